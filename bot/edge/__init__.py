"""The only place botbuilder is imported: HTTP in, Turn to the pipeline, replies out, and the
Bot Connector outside a turn (proactive messages, member lookups)."""

from bot.edge.connector import Connector, open_connector
from bot.edge.endpoint import MAX_TURNS_IN_FLIGHT, BotEndpoint
from bot.edge.notifier import BotConnectorNotifier

__all__ = ["MAX_TURNS_IN_FLIGHT", "BotConnectorNotifier", "BotEndpoint", "Connector", "open_connector"]
