"""The only place botbuilder is imported: HTTP in, Turn to the pipeline, replies out."""

from bot.edge.endpoint import BotEndpoint

__all__ = ["BotEndpoint"]
