"""The declared lists: well-formed, Power Platform friendly, and values checked like SharePoint."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.schema import ColumnType, Owner, load_list_specs, spec_from_dict, spec_to_dict

REQUIRED_LISTS = {"Staff", "Courses", "CourseCompletions", "LeaderRoster", "FAQ", "Questions",
                  "Proposals", "KPI"}


def test_the_product_lists_are_declared() -> None:
    specs = load_list_specs()
    assert REQUIRED_LISTS <= specs.keys()
    assert specs["Staff"].display == "職員" and specs["CourseCompletions"].display == "受講状況"
    assert specs["Staff"].key == "StaffNumber"
    assert specs["Courses"].key == "CourseCode"
    assert specs["CourseCompletions"].key == "CompletionKey"


def test_keys_are_unique_indexed_required_text() -> None:
    for spec in load_list_specs().values():
        key = spec.column(spec.key)
        assert key.unique and key.indexed and key.required and key.type is ColumnType.TEXT, spec.name


def test_names_are_ascii_and_display_names_japanese() -> None:
    for spec in load_list_specs().values():
        for c in spec.columns:
            assert c.name.isascii() and c.name.isalnum() and len(c.name) <= 32
            assert c.display


def test_no_column_type_that_power_apps_cannot_delegate() -> None:
    # Lookup, person and calculated columns are deliberately absent (docs/list-design.md).
    allowed = {t for t in ColumnType}
    for spec in load_list_specs().values():
        assert {c.type for c in spec.columns} <= allowed
        assert len(spec.indexed_columns) <= 20


def test_sync_never_owns_what_the_division_edits() -> None:
    specs = load_list_specs()
    assert specs["Staff"].column("Notes").owner is Owner.DIVISION
    assert specs["Proposals"].column("Status").owner is Owner.SHARED  # the bot sets 受付; reviewers move it
    assert specs["Proposals"].column("Problem").owner is Owner.BOT
    assert specs["CourseCompletions"].column("Status").owner is Owner.SYNC
    assert all(c.owner is Owner.DIVISION for c in specs["FAQ"].columns)


def test_spec_round_trips_through_json() -> None:
    for spec in load_list_specs().values():
        assert spec_from_dict(spec_to_dict(spec)) == spec


def test_coerce_canonicalises_like_sharepoint() -> None:
    spec = load_list_specs()["CourseCompletions"]
    jst = timezone(timedelta(hours=9))
    out = spec.coerce({"CompletedOn": date(2025, 5, 12), "FiscalYear": 2025.0, "Bureau": ""},
                      creating=False)
    assert out == {"CompletedOn": "2025-05-12", "FiscalYear": 2025, "Bureau": None}
    with pytest.raises(ValueError, match="Title: required"):
        spec.coerce({"Title": ""}, creating=False)
    q = load_list_specs()["Questions"]
    assert q.coerce({"AskedAt": datetime(2025, 4, 1, 8, 59, tzinfo=jst)}, creating=False) == {
        "AskedAt": "2025-03-31T23:59:00Z"}
    with pytest.raises(ValueError, match="not one of"):
        spec.coerce({"Status": "済"}, creating=False)
    with pytest.raises(ValueError, match="missing: .*CompletionKey"):
        spec.coerce({"Title": "x", "Status": "修了"}, creating=True)


def test_a_malformed_declaration_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "lists.toml"
    bad.write_text(
        '[[lists]]\nname = "X"\ndisplay = "x"\nkey = "Code"\nowner = "sync"\ncolumns = [\n'
        '  { name = "Title", display = "t", type = "text", required = true },\n'
        '  { name = "Code", display = "c", type = "text" },\n]\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="must be a unique, required text column"):
        load_list_specs(bad)


def test_every_column_says_who_writes_it_and_writers_keep_to_their_own() -> None:
    from bot.ownership import NotTheirs, writes
    from config.schema import Owner, load_list_specs

    specs = load_list_specs()
    assert {c.owner for s in specs.values() for c in s.columns} <= set(Owner)
    assert specs["Questions"].column("Status").owner is Owner.SHARED
    assert specs["Questions"].column("Answer").owner is Owner.DIVISION
    writes("Questions", ["Status", "Feedback"], Owner.BOT)
    writes("Proposals", ["Status", "ReviewComment", "ActualHoursSaved"], Owner.DIVISION)
    with pytest.raises(NotTheirs, match="Answer"):
        writes("Questions", ["Status", "Answer"], Owner.BOT)  # the division's answer is not the bot's
    with pytest.raises(NotTheirs, match="ReviewComment"):
        writes("Proposals", ["ReviewComment"], Owner.BOT)
    with pytest.raises(NotTheirs, match="Nonexistent"):
        writes("Proposals", ["Nonexistent"], Owner.BOT)
