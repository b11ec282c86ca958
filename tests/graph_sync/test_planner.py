"""The pure planner: table tests, then properties with hypothesis."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_sync.planner import Create, Deactivate, Delete, Update, plan

OWNED = frozenset({"Title", "Score", "Active"})


def test_creates_updates_only_changed_columns_and_leaves_the_rest() -> None:
    source = {"a": {"Title": "A", "Score": 1}, "b": {"Title": "B", "Score": 2}, "c": {"Title": "C"}}
    target = {"a": {"Title": "A", "Score": 1, "Notes": "hand"}, "b": {"Title": "B", "Score": 9}}
    p = plan("L", source, target, owned=OWNED)
    assert p.creates == (Create("c", {"Title": "C"}),)
    assert p.updates == (Update("b", {"Score": 2}),)
    assert p.unchanged == 1 and p.writes == 2 and p.removals == 0


def test_columns_not_owned_are_never_written() -> None:
    source = {"a": {"Title": "A", "Notes": "from export"}}
    target = {"a": {"Title": "A", "Notes": "edited by the division"}}
    p = plan("L", source, target, owned=OWNED)
    assert p.writes == 0 and p.unchanged == 1
    created = plan("L", source, {}, owned=OWNED)
    assert created.creates == (Create("a", {"Title": "A"}),)


@pytest.mark.parametrize("missing", ["delete", "deactivate"])
def test_held_keys_stay_exactly_as_they_are(missing: Any) -> None:
    target = {"a": {"Title": "A", "Active": True}, "b": {"Title": "B", "Active": True}}
    p = plan("L", {}, target, owned=OWNED, missing=missing, deactivate={"Active": False},
             held={"a"})
    assert [getattr(x, "key") for x in (*p.deactivations, *p.deletes)] == ["b"]
    everything = plan("L", {}, target, owned=OWNED, missing=missing,
                      deactivate={"Active": False}, hold_all=True)
    assert everything.writes == 0 and everything.unchanged == 2


def test_unknown_columns_are_written_on_create_and_never_overwritten() -> None:
    source = {"a": {"Title": "A2", "Score": None}, "n": {"Title": "N", "Score": None}}
    target = {"a": {"Title": "A", "Score": 5}}
    p = plan("L", source, target, owned=OWNED, unknown=frozenset({"Score"}))
    assert p.updates == (Update("a", {"Title": "A2"}),)
    assert p.creates == (Create("n", {"Title": "N", "Score": None}),)


def test_column_shares_count_changes_and_emptied_values() -> None:
    target = {k: {"Title": k, "Score": 1} for k in "abcd"}
    source = {"a": {"Title": "a", "Score": None}, "b": {"Title": "B", "Score": None},
              "c": {"Title": "c", "Score": 2}, "d": {"Title": "d", "Score": 1}}
    shares = plan("L", source, target, owned=OWNED).column_shares()
    assert shares == {"Score": (0.75, 0.5), "Title": (0.25, 0.0)}


@pytest.mark.parametrize(("missing", "expected"), [
    ("keep", ((), (), 2)),
    ("delete", ((), (Delete("x"),), 1)),
    ("deactivate", ((Deactivate("x", {"Active": False}),), (), 1)),
])
def test_missing_keys_follow_the_policy(missing: Any, expected: tuple[Any, Any, int]) -> None:
    source = {"a": {"Title": "A"}}
    target = {"a": {"Title": "A"}, "x": {"Title": "X", "Active": True}}
    p = plan("L", source, target, owned=OWNED, missing=missing, deactivate={"Active": False})
    assert (p.deactivations, p.deletes, p.unchanged) == expected


def test_already_inactive_items_are_not_written_again() -> None:
    p = plan("L", {}, {"x": {"Active": False}}, owned=OWNED, missing="deactivate",
             deactivate={"Active": False})
    assert p.writes == 0 and p.unchanged == 1


def test_removal_share() -> None:
    target = {str(i): {"Title": str(i)} for i in range(100)}
    source = {k: v for k, v in target.items() if int(k) >= 6}
    p = plan("L", source, target, owned=OWNED, missing="delete")
    assert p.removals == 6 and p.removal_share() == pytest.approx(0.06)
    assert plan("L", {}, {}, owned=OWNED).removal_share() == 0.0


values = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["修了", "受講中", ""]), st.booleans())
records = st.dictionaries(st.sampled_from(["Title", "Score", "Active", "Notes"]), values, max_size=4)
tables = st.dictionaries(st.text("abcdef", min_size=1, max_size=3), records, max_size=12)


def _apply(target: dict[str, dict[str, Any]], p: Any) -> dict[str, dict[str, Any]]:
    out = {k: dict(v) for k, v in target.items()}
    for c in p.creates:
        out[c.key] = dict(c.fields)
    for u in p.updates + p.deactivations:
        out[u.key].update(u.fields)
    for d in p.deletes:
        del out[d.key]
    return out


@settings(max_examples=300, deadline=None)
@given(source=tables, target=tables, missing=st.sampled_from(["keep", "delete", "deactivate"]))
def test_applying_a_plan_converges_and_replanning_is_empty(
    source: dict[str, dict[str, Any]], target: dict[str, dict[str, Any]], missing: Any
) -> None:
    deactivate = {"Active": False}
    p = plan("L", source, target, owned=OWNED, missing=missing, deactivate=deactivate)
    after = _apply(target, p)

    def owned_values(fields: dict[str, Any]) -> dict[str, Any]:
        # Absent and null are the same value: SharePoint omits empty fields from responses.
        return {c: v for c, v in fields.items() if c in OWNED and v is not None}

    for key, fields in source.items():
        assert owned_values(after[key]) == owned_values({**target.get(key, {}), **fields})
        # The division's column is untouched wherever the item already existed.
        if key in target:
            assert after[key].get("Notes") == target[key].get("Notes")
    for key in target.keys() - source.keys():
        if missing == "delete":
            assert key not in after
        elif missing == "deactivate":
            assert after[key]["Active"] is False
        else:
            assert after[key] == target[key]
    again = plan("L", source, after, owned=OWNED, missing=missing, deactivate=deactivate)
    assert again.writes == 0
    assert again.unchanged == len(after)


def test_lost_zeros_pairs_a_new_key_with_the_existing_one_it_was() -> None:
    from graph_sync.planner import lost_zeros

    target = {"012345": {}, "000777_E-SEC": {}, "500": {}}
    source = {"12345": {}, "777_E-SEC": {}, "500": {}, "999": {}}
    assert lost_zeros(source, target) == {"12345": "012345", "777_E-SEC": "000777_E-SEC"}
    assert lost_zeros({"012345": {}, "12345": {}}, {"012345": {}}) == {}  # both present: two people
