"""The sync's composition root: what every `dx-sync` command and the scheduler's jobs work with,
opened and closed in one place (settings, list declarations, sync mapping, store, state, the
run lock, and the Entra ID reader when a chosen resource needs one)."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Sequence

from azurestore import BlobLeaseLock, connection_string, open_storage
from config.schema import ListSpec, load_list_specs
from config.settings import Settings
from graph_sync.engine import ResourcePlan, RunReport, prepare, run_once
from graph_sync.lock import FileRunLock, RunLock, held, watching
from graph_sync.mapping import SyncConfig, load_sync_config
from graph_sync.state import MemorySyncState, SqliteSyncState, SyncState
from graph_sync.state.azure import TableSyncState
from liststore import ListStore, SchemaReport, open_store

if TYPE_CHECKING:
    from graph_sync.sources.entra import EntraGroupRoster


@dataclass(frozen=True, slots=True)
class SyncWorker:
    """One open sync: run, plan or provision against the settings' store."""

    settings: Settings
    specs: dict[str, ListSpec]
    config: SyncConfig
    store: ListStore
    state: SyncState
    resources: Sequence[str] | None  # None: every resource of config/sync.toml
    entra: EntraGroupRoster | None

    async def provision(self) -> list[SchemaReport]:
        """Create missing lists, columns and indexes; add declared choices."""
        return [await self.store.ensure_list(spec) for spec in self.specs.values()]

    async def plan(self, *, force: bool = False) -> list[ResourcePlan]:
        """What a run would write, per resource; writes nothing to the lists."""
        return [p async for p in prepare(self.store, self.state, self.config, self.specs,
                                         self.settings.resolved_sources_dir, only=self.resources,
                                         force=force, entra=self.entra)]

    async def run(self, *, job: str | None = None, force: bool = False, progress: Any = None) -> RunReport:
        """Sync the chosen resources once."""
        return await run_once(self.store, self.state, self.config, self.specs,
                              self.settings.resolved_sources_dir, only=self.resources, force=force,
                              progress=progress, job=job, entra=self.entra)


def open_state(settings: Settings) -> SyncState:
    """The sync worker's state: in Azure Storage, shared by workers on several machines
    (DX_STATE_STORE=azure), else a file next to the data, or memory beside the memory store
    (whose lists, too, last only as long as the process)."""
    if settings.state_store == "azure":
        return TableSyncState(open_storage(settings))
    if settings.store == "memory":
        return MemorySyncState()
    return SqliteSyncState(settings.data_dir / "sync-state.sqlite3")


def run_lock(settings: Settings) -> RunLock:
    """One sync run at a time: across machines by a blob lease (DX_STATE_STORE=azure), else
    across the processes of this data directory by a lock file."""
    if settings.state_store == "azure":
        return BlobLeaseLock(connection_string(settings), settings.state_prefix)
    return FileRunLock(settings.data_dir / "locks")


@asynccontextmanager
async def open_worker(settings: Settings, resources: Sequence[str] | None = None,
                      *, config: SyncConfig | None = None,
                      exclusive: bool = False) -> AsyncIterator[SyncWorker]:
    """A sync over `resources` (None: all), everything it holds closed on the way out.

    `exclusive`: hold the run lock throughout, or raise `Busy` at once naming who holds it.
    """
    config = config or load_sync_config()
    async with AsyncExitStack() as stack:
        lock = run_lock(settings) if exclusive else None
        if lock is not None:
            await stack.enter_async_context(held(lock))
        state = open_state(settings)
        stack.push_async_callback(state.close)
        store = await stack.enter_async_context(open_store(settings))
        entra = await stack.enter_async_context(_entra(settings, config, resources, state))
        async with watching(lock):  # the run itself stops if the lock is lost; closing does not
            yield SyncWorker(settings, load_list_specs(), config, store, state, resources, entra)


@asynccontextmanager
async def _entra(settings: Settings, config: SyncConfig, resources: Sequence[str] | None,
                 state: SyncState) -> AsyncIterator[EntraGroupRoster | None]:
    """The Entra ID group reader, when a chosen resource needs one (else None)."""
    chosen = [r for r in config.resources if resources is None or r.name in resources]
    if not any(r.source == "entra_groups" for r in chosen) or not settings.client_id:
        yield None
        return
    from graph_sync.sources.entra import EntraGroupRoster
    from liststore.sharepoint.client import connect
    from liststore.sharepoint.transport import GraphTransport

    connection = connect(settings)
    try:
        yield EntraGroupRoster(GraphTransport(connection), state)
    finally:
        await connection.close()
