"""The only place botbuilder is imported: HTTP in, Turn to the pipeline, replies out."""

from bot.edge.endpoint import MAX_TURNS_IN_FLIGHT, BotEndpoint

__all__ = ["MAX_TURNS_IN_FLIGHT", "BotEndpoint"]
