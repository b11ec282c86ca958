"""The DX community bot for Microsoft Teams: botbuilder only in `bot.edge`, plain Python inside."""
