"""What the bot does, one module a feature; each registers its routes on the router.

The composition root (`bot/community.py`) lists them in order: a message goes to the first
route that matches, so the FAQ, which answers anything, comes last.
"""
