"""Write rules every local store shares, so that memory and SQLite behave exactly alike.

The SharePoint store gets the same behaviour from the service itself; the contract suite checks
all of them against one another.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from config.schema import ColumnSpec, ListSpec
from liststore.errors import PermanentError
from liststore.model import Item, Outcome, SchemaReport, Upsert, WriteResult


def validate_upsert(spec: ListSpec, row: Upsert, *, exists: bool) -> dict[str, Any] | WriteResult:
    """The canonical fields `row` would write (key included), or why it cannot be written.

    Every store applies these rules before writing, so a row fails alike everywhere.
    """
    if not exists and row.if_match is not None:
        return WriteResult(row.key, Outcome.CONFLICT, error="the item no longer exists")
    incoming = dict(row.fields)
    if incoming.get(spec.key, row.key) != row.key:
        return WriteResult(row.key, Outcome.FAILED,
                           error=f"{spec.key} in fields differs from the key {row.key!r}")
    incoming[spec.key] = row.key
    try:
        return spec.coerce(incoming, creating=not exists)
    except ValueError as exc:
        return WriteResult(row.key, Outcome.FAILED, error=str(exc))


def merge_upsert(
    spec: ListSpec, existing: Item | None, row: Upsert
) -> tuple[dict[str, Any] | None, WriteResult | None]:
    """The fields to store for `row`, or a failed/conflict result explaining why not."""
    if existing is not None and row.if_match is not None and row.if_match != existing.etag:
        return None, WriteResult(row.key, Outcome.CONFLICT, existing.item_id, existing.etag,
                                 "the item changed since it was read")
    clean = validate_upsert(spec, row, exists=existing is not None)
    if isinstance(clean, WriteResult):
        return None, clean
    if existing is None:
        return clean, None
    merged = dict(existing.fields)
    merged.update(clean)
    return merged, None


def check_queryable(spec: ListSpec, column: str) -> ColumnSpec:
    """The column to filter on; refuse non-indexed ones as SharePoint does on large lists."""
    try:
        col = spec.column(column)
    except KeyError as exc:
        raise PermanentError(exc.args[0]) from None
    if not col.indexed:
        raise PermanentError(
            f"{spec.name}.{column} is not indexed; filtering on it fails on lists over 5,000 items"
        )
    return col


def query_value(column: ColumnSpec, value: Any) -> Any:
    """The canonical value to compare a filter against."""
    try:
        return column.coerce(value)
    except ValueError as exc:
        raise PermanentError(f"{column.name}: {exc}") from None


def compare_schema(
    declared: ListSpec, existing: Mapping[str, ColumnSpec]
) -> tuple[list[ColumnSpec], list[ColumnSpec], list[str]]:
    """Columns to add, indexes to add and plain-words drift between a declaration and a list."""
    to_add: list[ColumnSpec] = []
    to_index: list[ColumnSpec] = []
    drift: list[str] = []
    for column in declared.columns:
        have = existing.get(column.name)
        if have is None:
            to_add.append(column)
            continue
        if have.type != column.type:
            drift.append(
                f"{declared.name}.{column.name}: declared as {column.type} but the list has "
                f"{have.type}; left as it is (change it by hand after moving the data)"
            )
        if column.indexed and not have.indexed:
            to_index.append(column)
    for name in existing:
        if name not in declared.column_names:
            drift.append(f"{declared.name}.{name}: present in the list but not declared; kept")
    return to_add, to_index, drift


def _merged_choices(declared: ColumnSpec, have: ColumnSpec) -> tuple[str, ...]:
    """The list's choices followed by the declared ones it lacks (adding a value never
    invalidates an item); a column that is not a choice on both sides keeps what it has."""
    if declared.type != "choice" or have.type != "choice":
        return have.choices
    return tuple(have.choices) + tuple(c for c in declared.choices if c not in have.choices)


def choices_to_add(declared: ListSpec, existing: Mapping[str, ColumnSpec]) -> list[ColumnSpec]:
    """Choice columns of the list that lack values the declaration has, with merged choices."""
    out = []
    for column in declared.columns:
        have = existing.get(column.name)
        if have is not None and (merged := _merged_choices(column, have)) != tuple(have.choices):
            out.append(replace(have, choices=merged))
    return out


def schema_report(
    declared: ListSpec, created: bool, added: list[ColumnSpec], indexed: list[ColumnSpec],
    drift: list[str], extended: Sequence[ColumnSpec] = (),
) -> SchemaReport:
    """The report `ensure_list` returns; `extended` are choice columns given new values."""
    return SchemaReport(
        list_name=declared.name,
        created=created,
        added_columns=tuple(c.name for c in added) if not created else (),
        added_indexes=tuple(c.name for c in indexed),
        added_choices=tuple(c.name for c in extended),
        drift=tuple(drift),
    )


def effective_spec(
    declared: ListSpec, existing: Mapping[str, ColumnSpec] | None
) -> ListSpec:
    """The shape a list has after provisioning: existing columns win, new ones are added.

    A column whose type drifted keeps the type the list really has, so writes are validated
    against what the list will accept, not against what we wish it were.
    """
    if not existing:
        return declared
    columns: list[ColumnSpec] = []
    for column in declared.columns:
        have = existing.get(column.name)
        if have is None:
            columns.append(column)
        else:
            columns.append(replace(have, indexed=have.indexed or column.indexed,
                                   choices=_merged_choices(column, have),
                                   display=column.display, owner=column.owner))
    columns.extend(c for name, c in existing.items() if name not in declared.column_names)
    return replace(declared, columns=tuple(columns))


def make_change_token(instance: str, version: int) -> str:
    """A local store's change token: which database, and how far its feed was read."""
    return f"{instance}:{version}"


def parse_change_token(token: str | None, current: int, instance: str) -> int | None:
    """The version a change token stands for, or None when this store cannot honour it.

    A token from another database (a deleted and re-created file, another machine) is refused
    even when its number happens to fit, so a caller's mirror is rebuilt instead of trusted.
    """
    if token is None:
        return None
    owner, _, number = token.rpartition(":")
    if owner != instance:
        return None
    try:
        since = int(number)
    except ValueError:
        return None
    return since if 0 <= since <= current else None
