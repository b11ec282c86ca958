"""The sync worker's own state: a mirror of each list, change cursors, group membership and runs.

Why a mirror: planning needs the target's current values, and listing 40,000 items every night
is what the sync must not do. The mirror holds the sync-owned columns of every item as last
seen; a run brings it up to date from the store's change feed (delta) since the saved cursor,
plans against it, and records what landed. Checkpoint rules (as dlt's pipelines keep them):

- the cursor advances only after the mirror holds everything the feed returned up to it;
- a write updates the mirror only after the store confirmed it;
- a run killed anywhere leaves the mirror behind reality, never ahead of it, so the next run's
  feed read brings it level and planning again writes only what is still missing.

`SyncState` is the interface; `SqliteSyncState` keeps it in a file beside the data (each method
that changes something is one transaction), `TableSyncState` (`azure.py`) in Azure Table
storage shared by several machines (the rules hold by the order of its writes), and
`MemorySyncState` is the twin for tests and the demo. All pass one contract suite
(tests/graph_sync/test_state_contract.py).
"""

from graph_sync.state.memory import MemorySyncState
from graph_sync.state.protocol import RunRecord, SyncState
from graph_sync.state.sqlite import SqliteSyncState

__all__ = ["MemorySyncState", "RunRecord", "SqliteSyncState", "SyncState"]
