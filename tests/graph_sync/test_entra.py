"""The leader roster from Entra ID tier groups, through groups/delta on the Graph fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from config.schema import load_list_specs
from config.settings import Settings
from graph_sync.engine import run_once
from graph_sync.mapping import SyncConfig, load_sync_config
from graph_sync.sample.generate import generate
from graph_sync.sources.entra import EntraGroupRoster
from graph_sync.state import SqliteSyncState
from liststore import MemoryListStore
from liststore.sharepoint.client import connect
from liststore.sharepoint.transport import GraphTransport
from tests.fakes.graph_fake import RunningFake, serve_graph_fake
from tests.graph_sync.test_engine import read_rows

GROUPS = {"DX推進リーダー": "g-top", "DXアドバイザー": "g-adv", "デジタル行政推進リーダー": "g-sec"}


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[RunningFake]:
    async with serve_graph_fake(tmp_path / "tls") as running:
        yield running


def entra_config() -> SyncConfig:
    base = load_sync_config().model_dump()
    base["resources"] = [r for r in base["resources"] if r["name"] != "leaders"] + [{
        "name": "leaders-entra", "list": "LeaderRoster", "source": "entra_groups", "groups": GROUPS,
        "missing": "deactivate", "deactivate": {"RosterStatus": "退任"}}]
    base["jobs"] = []
    return SyncConfig.model_validate(base)


async def test_roster_from_tier_groups(graph: RunningFake, tmp_path: Path) -> None:
    generate(tmp_path / "sources", staff=300, seed=5)
    _, staff = read_rows(tmp_path / "sources" / "staff.csv")
    fake = graph.fake
    people = {f"u{n}": staff[n] for n in range(1, 7)}
    for uid, row in people.items():
        employee_id = {"u2": None, "u3": row[0].translate({c: c + 0xFEE0 for c in range(48, 58)})}.get(uid, row[0])
        fake.add_user(uid, employee_id, row[6])  # u2: no employeeId, matched by UPN
    fake.add_user("ux", None, "someone.else@example.org")
    fake.groups = {"g-top": {"displayName": "DX推進リーダー", "members": {"u1"}},
                   "g-adv": {"displayName": "DXアドバイザー", "members": {"u2", "u3"}},
                   "g-sec": {"displayName": "デジタル行政推進リーダー", "members": {"u3", "u4", "u5", "ux"}}}

    env: dict[str, Any] = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()}
    connection = connect(Settings(data_dir=tmp_path, **env))
    state = SqliteSyncState(tmp_path / "sync-state.sqlite3")
    store = MemoryListStore()
    specs = load_list_specs()
    for spec in specs.values():
        await store.ensure_list(spec)
    config = entra_config()
    entra = EntraGroupRoster(GraphTransport(connection), state)
    try:
        await run_once(store, state, config, specs, tmp_path / "sources", only=["staff"])

        async def sync(force: bool = False) -> Any:
            return await run_once(store, state, config, specs, tmp_path / "sources",
                                  only=["leaders-entra"], entra=entra, force=force)

        first = await sync()
        assert first.lists["LeaderRoster"].created == 5
        assert [e.column for e in first.row_errors] == ["member"]  # ux matches nobody
        tiers = {i.key: i.fields["Tier"] async for page in store.pages("LeaderRoster") for i in page}
        assert tiers == {people["u1"][0]: "DX推進リーダー", people["u2"][0]: "DXアドバイザー",
                         people["u3"][0]: "DXアドバイザー",  # in two groups: the higher tier
                         people["u4"][0]: "デジタル行政推進リーダー",
                         people["u5"][0]: "デジタル行政推進リーダー"}

        fake.groups["g-sec"]["members"].discard("u5")
        fake.groups["g-adv"]["members"].add("u6")
        second = await sync(force=True)  # one of five leaves: more than 5% of a tiny roster
        assert second.lists["LeaderRoster"].created == 1 and second.lists["LeaderRoster"].deactivated == 1
        gone = await store.get("LeaderRoster", people["u5"][0])
        assert gone is not None and gone.fields["RosterStatus"] == "退任"
        assert fake.counters["groups_delta_full"] == 1 and fake.counters["groups_delta_incremental"] == 1

        fake.knobs.expire_delta_tokens = True
        third = await sync()
        assert fake.counters["groups_delta_full"] == 2  # 410, then the membership read again
        assert third.totals()["created"] == third.totals()["updated"] == third.totals()["deactivated"] == 0
    finally:
        await state.close()
        await connection.close()
