"""The ListStore contract: every implementation must pass this suite unchanged."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from config.schema import ColumnType, ListSpec
from liststore import Item, ListStore, NotProvisionedError, Outcome, PermanentError, Upsert
from tests.liststore.conftest import col

JST = timezone(timedelta(hours=9))


def row(code: str, **fields: object) -> Upsert:
    return Upsert(code, {"Title": f"item {code}", **fields})


async def test_ensure_list_is_idempotent(store: ListStore, spec: ListSpec) -> None:
    first = await store.ensure_list(spec)
    second = await store.ensure_list(spec)
    assert first.created and first.changed
    assert not second.created and not second.changed and second.drift == ()


async def test_ensure_list_adds_columns_and_reports_drift_without_losing_data(
    store: ListStore, spec: ListSpec
) -> None:
    await store.ensure_list(spec)
    await store.upsert("Things", [row("A", Score=1.5)])
    changed_type = tuple(
        replace(c, type=ColumnType.TEXT) if c.name == "Score" else c for c in spec.columns
    )
    grown = replace(spec, columns=changed_type + (col("Extra", "integer"),))
    report = await store.ensure_list(grown)
    assert report.added_columns == ("Extra",)
    assert any("Score" in d and "number" in d for d in report.drift)
    item = await store.get("Things", "A")
    assert item is not None and item.fields["Score"] == 1.5
    # The new column is writable at once.
    (res,) = await store.upsert("Things", [Upsert("A", {"Extra": 3})])
    assert res.outcome is Outcome.UPDATED


async def test_unknown_list_is_not_provisioned(store: ListStore) -> None:
    with pytest.raises(NotProvisionedError, match="provision"):
        await store.get("Nope", "x")


async def test_create_then_get_returns_canonical_values(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    (res,) = await store.upsert("Things", [row(
        "A",
        Group="g1",
        Body="一行目\n二行目",
        Score=2.5,
        Count=3.0,
        Active=True,
        Day="2025-05-12",
        At=datetime(2025, 5, 12, 0, 30, tzinfo=JST),
        State="修了",
        Link="https://example.com/a",
    )])
    assert res.outcome is Outcome.CREATED and res.ok and res.item_id and res.etag
    item = await store.get("Things", "A")
    assert item is not None
    assert item.key == "A" and item.item_id == res.item_id and item.etag == res.etag
    assert item.fields["Code"] == "A"
    assert item.fields["Count"] == 3 and isinstance(item.fields["Count"], int)
    # 00:30 JST on 12 May is 15:30 UTC on 11 May: stored in UTC with an explicit zone.
    assert item.fields["At"] == "2025-05-11T15:30:00Z"
    assert item.fields["Day"] == "2025-05-12"
    assert item.fields["Body"] == "一行目\n二行目"
    assert await store.get("Things", "missing") is None


async def test_create_only_never_overwrites_and_one_of_two_racing_creates_wins(
        store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    [first] = await store.create("Things", [row("2026-0001", Group="first")])
    assert first.outcome is Outcome.CREATED and first.ok
    [taken, fresh] = await store.create("Things", [row("2026-0001", Group="second"), row("2026-0002", Group="x")])
    assert taken.outcome is Outcome.EXISTS and not taken.ok
    assert fresh.outcome is Outcome.CREATED
    item = await store.get("Things", "2026-0001")
    assert item is not None and item.fields["Group"] == "first"  # the second writer changed nothing
    # Two writers at the same moment (two bot instances filing the next number).
    results = await asyncio.gather(store.create("Things", [row("2026-0003", Group="a")]),
                                   store.create("Things", [row("2026-0003", Group="b")]))
    assert sorted(r.outcome for [r] in results) == sorted([Outcome.CREATED, Outcome.EXISTS])
    assert await store.count("Things") == 3


async def test_update_changes_only_the_fields_sent(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    (created,) = await store.upsert("Things", [row("A", Group="g1", Score=1)])
    (updated,) = await store.upsert("Things", [Upsert("A", {"Score": 2})])
    assert updated.outcome is Outcome.UPDATED
    assert updated.item_id == created.item_id and updated.etag != created.etag
    item = await store.get("Things", "A")
    assert item is not None
    assert item.fields["Group"] == "g1" and item.fields["Score"] == 2


async def test_bad_rows_fail_alone_and_name_the_column(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    results = await store.upsert("Things", [
        row("ok1"),
        row("bad-choice", State="済"),
        row("bad-number", Score="many"),
        row("unknown", Colour="red"),
        Upsert("no-title", {"Group": "g"}),
        row("naive-time", At=datetime(2025, 5, 12, 9, 0)),
        row("too-long", Group="x" * 256),
        row("ok2"),
    ])
    outcomes = {r.key: r for r in results}
    assert [r.key for r in results] == [
        "ok1", "bad-choice", "bad-number", "unknown", "no-title", "naive-time", "too-long", "ok2"]
    assert outcomes["ok1"].outcome is Outcome.CREATED and outcomes["ok2"].outcome is Outcome.CREATED
    for key, word in [("bad-choice", "State"), ("bad-number", "Score"), ("unknown", "Colour"),
                      ("no-title", "Title"), ("naive-time", "offset"), ("too-long", "255")]:
        assert outcomes[key].outcome is Outcome.FAILED and not outcomes[key].ok
        assert word in (outcomes[key].error or ""), (key, outcomes[key].error)
    assert await store.count("Things") == 2


async def test_key_in_fields_must_match(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    (res,) = await store.upsert("Things", [Upsert("A", {"Title": "t", "Code": "B"})])
    assert res.outcome is Outcome.FAILED
    assert await store.get("Things", "B") is None


async def test_if_match_guards_against_lost_updates(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    (first,) = await store.upsert("Things", [row("A", Score=1)])
    (second,) = await store.upsert("Things", [Upsert("A", {"Score": 2}, if_match=first.etag)])
    assert second.outcome is Outcome.UPDATED
    (stale,) = await store.upsert("Things", [Upsert("A", {"Score": 3}, if_match=first.etag)])
    assert stale.outcome is Outcome.CONFLICT and not stale.ok
    item = await store.get("Things", "A")
    assert item is not None and item.fields["Score"] == 2
    (gone,) = await store.upsert("Things", [Upsert("Z", {"Score": 3}, if_match=first.etag)])
    assert gone.outcome is Outcome.CONFLICT


async def test_query_by_indexed_columns(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    await store.upsert("Things", [
        row("A", Group="g1", Active=True, Count=1, Day="2025-04-01", State="修了"),
        row("B", Group="g2", Active=False, Count=2, State="受講中"),
        row("C", Group="g1", Active=True, Count=1, Day="2025-04-01"),
    ])
    def keys(items: list[Item]) -> list[str]:
        return sorted(i.key for i in items)

    assert keys(await store.query("Things", "Group", "g1")) == ["A", "C"]
    assert keys(await store.query("Things", "Active", False)) == ["B"]
    assert keys(await store.query("Things", "Count", 1)) == ["A", "C"]
    assert keys(await store.query("Things", "Day", "2025-04-01")) == ["A", "C"]
    assert [i.key for i in await store.query("Things", "State", "修了")] == ["A"]
    assert [i.key for i in await store.query("Things", "State", None)] == ["C"]
    assert [i.key for i in await store.query("Things", "Code", "B")] == ["B"]
    assert await store.query("Things", "Group", "none") == []


async def test_query_refuses_non_indexed_and_unknown_columns(
    store: ListStore, spec: ListSpec
) -> None:
    await store.ensure_list(spec)
    with pytest.raises(PermanentError, match="not indexed"):
        await store.query("Things", "Free", "x")
    with pytest.raises(PermanentError, match="Nope"):
        await store.query("Things", "Nope", "x")


async def test_pages_visit_every_item_once_in_a_stable_order(
    store: ListStore, spec: ListSpec
) -> None:
    await store.ensure_list(spec)
    keys = [f"K{n:05d}" for n in range(1234)]
    results = await store.upsert("Things", [row(k) for k in keys])
    assert all(r.outcome is Outcome.CREATED for r in results)
    pages = [page async for page in store.pages("Things", page_size=100)]
    assert [len(p) for p in pages] == [100] * 12 + [34]
    seen = [i.key for p in pages for i in p]
    # Every item exactly once. The order is the store's own (SharePoint's $batch may create
    # items in any order), but it must not change between enumerations.
    assert sorted(seen) == keys
    again = [i.key async for p in store.pages("Things", page_size=500) for i in p]
    assert again == seen
    assert await store.count("Things") == 1234


async def test_delete_by_key(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    await store.upsert("Things", [row("A"), row("B")])
    results = await store.delete("Things", ["A", "missing"])
    assert [(r.key, r.outcome) for r in results] == [("A", Outcome.DELETED), ("missing", Outcome.NOT_FOUND)]
    assert all(r.ok for r in results)
    assert await store.get("Things", "A") is None
    assert await store.count("Things") == 1


async def test_change_feed(store: ListStore, spec: ListSpec) -> None:
    await store.ensure_list(spec)
    await store.upsert("Things", [row("A"), row("B"), row("C")])
    first = await store.changes("Things", None)
    assert first.full and sorted(i.key for i in first.items) == ["A", "B", "C"]

    nothing = await store.changes("Things", first.token)
    assert nothing.items == () and nothing.deleted == () and not nothing.full

    await store.upsert("Things", [Upsert("B", {"Score": 5}), row("D")])
    await store.delete("Things", ["C"])
    second = await store.changes("Things", first.token)
    assert sorted(i.key for i in second.items) == ["B", "D"]
    assert second.deleted == ("C",)
    assert next(i for i in second.items if i.key == "B").fields["Score"] == 5

    # Deleted then created again: it is a changed item, not a deletion.
    await store.delete("Things", ["A"])
    await store.upsert("Things", [row("A", Score=9)])
    third = await store.changes("Things", second.token)
    assert [i.key for i in third.items] == ["A"] and third.deleted == ()

    # A token the store cannot honour means a full re-enumeration, flagged as such.
    for bad in ("garbage", "999999999", first.token.rpartition(":")[0] + ":999999999"):
        redo = await store.changes("Things", bad)
        assert redo.full and sorted(i.key for i in redo.items) == ["A", "B", "D"]


async def test_change_feeds_of_lists_are_separate(store: ListStore, spec: ListSpec) -> None:
    other = replace(spec, name="Others")
    await store.ensure_list(spec)
    await store.ensure_list(other)
    start = await store.changes("Things", None)
    await store.upsert("Others", [row("X")])
    assert (await store.changes("Things", start.token)).items == ()
    assert [i.key for i in (await store.changes("Others", None)).items] == ["X"]


async def test_product_lists_accept_realistic_rows(store: ListStore) -> None:
    from config.schema import load_list_specs

    specs = load_list_specs()
    for spec in specs.values():
        report = await store.ensure_list(spec)
        assert report.created
    (res,) = await store.upsert("CourseCompletions", [Upsert("012345_E-SEC", {
        "Title": "山田 太郎 情報セキュリティ研修",
        "StaffNumber": "012345",
        "CourseCode": "E-SEC",
        "Status": "修了",
        "ProgressPercent": 100,
        "CompletedOn": "2025-05-12",
        "FiscalYear": 2025,
    })])
    assert res.outcome is Outcome.CREATED, res.error
    found = await store.query("CourseCompletions", "StaffNumber", "012345")
    assert [i.key for i in found] == ["012345_E-SEC"]


async def test_ensure_list_adds_declared_choice_values_and_they_are_writable_at_once(
    store: ListStore, spec: ListSpec
) -> None:
    await store.ensure_list(spec)
    (refused,) = await store.upsert("Things", [row("A", State="取消")])
    assert not refused.ok
    grown = replace(spec, columns=tuple(
        replace(c, choices=(*c.choices, "取消")) if c.name == "State" else c for c in spec.columns))
    report = await store.ensure_list(grown)
    assert report.added_choices == ("State",) and report.changed and report.drift == ()
    (res,) = await store.upsert("Things", [row("A", State="取消")])
    assert res.ok
    item = await store.get("Things", "A")
    assert item is not None and item.fields["State"] == "取消"
    again = await store.ensure_list(grown)
    assert not again.changed


async def test_spec_is_the_shape_the_list_really_has(store: ListStore, spec: ListSpec) -> None:
    with pytest.raises(NotProvisionedError):
        await store.spec("Things")
    await store.ensure_list(spec)
    grown = replace(spec, columns=tuple(
        replace(c, choices=(*c.choices, "取消")) if c.name == "State" else c for c in spec.columns))
    await store.ensure_list(grown)
    # A later declaration without the added value does not take it away: the list has it.
    await store.ensure_list(spec)
    have = await store.spec("Things")
    assert "取消" in have.column("State").choices
    assert have.key == spec.key and have.column_names >= spec.column_names
