"""The only place botbuilder is imported: HTTP in, Turn to the pipeline, replies out, and
proactive messages through the Bot Connector."""

from bot.edge.endpoint import MAX_TURNS_IN_FLIGHT, BotEndpoint
from bot.edge.notifier import BotConnectorNotifier, open_notifier

__all__ = ["MAX_TURNS_IN_FLIGHT", "BotConnectorNotifier", "BotEndpoint", "open_notifier"]
