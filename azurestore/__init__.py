"""Azure Storage for the state several bot instances and sync workers share (DX_STATE_STORE=azure):
the clients the settings name, and how a value is kept in a table entity.

The bot's and the sync's own state modules build on this; each passes the same contract suite
as its SQLite twin. Tables keep what a turn or a run commits (an entity group transaction is
atomic within one partition); blobs carry the locks (a lease is held by one client at a time).
"""

from azurestore.client import StateStorage, connection_string, open_storage
from azurestore.entities import (
    TooLarge,
    escape_key,
    json_from_entity,
    json_properties,
    table_key,
    transactions,
    wire_size,
)
from azurestore.lease import BlobLeaseLock

__all__ = ["BlobLeaseLock", "StateStorage", "TooLarge", "connection_string", "escape_key", "json_from_entity",
           "json_properties", "open_storage", "table_key", "transactions", "wire_size"]
