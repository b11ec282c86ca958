"""SharePointListStore: the ListStore contract over Microsoft Graph.

Reads use `expand=fields(select=…)` and follow `@odata.nextLink`; filters only touch indexed
columns; writes go through JSON `$batch`. A key → item-id index, kept current with the list's
delta feed, tells creates from updates without listing the list, and makes creates idempotent:
a create retried after a timeout or a dropped connection that did commit meets the unique key
column (409) and becomes an update of the item that exists.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qs, quote, urlsplit

from azurestore import open_storage
from config.schema import ColumnType, ListSpec, load_list_specs
from config.settings import Settings
from liststore.errors import NotProvisionedError, PermanentError, StoreError
from liststore.model import ChangeSet, Item, Outcome, SchemaReport, Upsert, WriteResult
from liststore.protocol import DEFAULT_PAGE_SIZE
from liststore.rules import (
    check_queryable,
    choices_to_add,
    compare_schema,
    effective_spec,
    query_value,
    schema_report,
    validate_upsert,
)
from liststore.sharepoint.client import GraphConnection, connect
from liststore.sharepoint.columns import column_definition, column_from_graph, from_graph, to_graph
from liststore.sharepoint.keyindex import KeyIndex, SqliteKeyIndex
from liststore.sharepoint.pacing import Pacer
from liststore.sharepoint.retry import classify, error_message
from liststore.sharepoint.shared_keyindex import TableKeyIndex
from liststore.sharepoint.transport import GraphTransport, SubRequest, SubResponse

logger = logging.getLogger(__name__)

DELTA_PAGE = 1000
# Our own writes keep the key index current, and a stale entry is caught anyway (a create meets
# the unique key: 409; an update meets a deleted item: 404). So one delta call every few
# minutes catches other people's edits without costing a request per write call.
INDEX_MAX_AGE = 300.0


@dataclass
class _ListState:
    list_id: str
    spec: ListSpec
    index: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (item id, etag)
    # item id -> key. Append-only: SharePoint never reuses item ids, and the delta feed reports
    # a deletion by id alone, long after we or someone else deleted the item.
    by_id: dict[str, str] = field(default_factory=dict)
    index_token: str | None = None
    index_loaded: bool = False
    index_refreshed: float = float("-inf")
    dirty: set[str] = field(default_factory=set)  # item ids to save to the key-index file

    def remember(self, key: str, item_id: str, etag: str) -> None:
        self.index[key] = (item_id, etag)
        self.by_id[item_id] = key
        self.dirty.add(item_id)

    def forget_id(self, item_id: str) -> str | None:
        """Drop a deleted item from the index; its key, when it was ever seen."""
        key = self.by_id.get(item_id)
        if key is not None and self.index.get(key, ("",))[0] == item_id:
            del self.index[key]
            self.dirty.add(item_id)
        return key

    def forget_key(self, key: str) -> None:
        """The item behind `key` is gone (found out by a 404 or a failed lookup)."""
        known = self.index.get(key)
        if known is not None:
            self.forget_id(known[0])

    def rows(self, ids: Iterable[str]) -> list[tuple[str, str, str, bool]]:
        """(item id, key, etag, live) rows for the key-index file."""
        out = []
        for item_id in ids:
            key = self.by_id[item_id]
            known = self.index.get(key)
            live = known is not None and known[0] == item_id
            out.append((item_id, key, known[1] if live and known else "", live))
        return out


def _odata_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _delta_token(link: str) -> str | None:
    return parse_qs(urlsplit(link).query).get("token", [None])[0]


class SharePointListStore:
    """Lists in one SharePoint site, through msgraph-sdk's client and our $batch."""

    def __init__(self, connection: GraphConnection, transport: GraphTransport, site_id: str,
                 declared: Mapping[str, ListSpec], index_file: KeyIndex | None = None) -> None:
        self.connection = connection
        self.transport = transport
        self.site_id = site_id
        self._declared = dict(declared)
        self._lists: dict[str, _ListState] = {}
        self._index_file = index_file

    @property
    def request_count(self) -> int:
        """HTTP requests sent to Graph so far (a $batch counts once), for run reports."""
        return self.transport.stats.http_requests

    # ---- opening ---------------------------------------------------------------------------

    @classmethod
    async def open(cls, settings: Settings, *, concurrency: int = 4) -> "SharePointListStore":
        """Connect, authenticate and resolve the site; errors say what to fix."""
        connection = connect(settings)
        transport = GraphTransport(connection, pacer=Pacer(settings.graph_ru_per_minute),
                                   concurrency=concurrency)
        try:
            site_id = await cls._resolve_site(connection, transport, settings)
        except BaseException:
            await connection.close()
            raise
        index_file: KeyIndex
        if settings.state_store == "azure":  # shared by every instance and worker
            index_file = TableKeyIndex(open_storage(settings))
        else:
            index_file = SqliteKeyIndex(settings.data_dir / "graph-index.sqlite3")
        return cls(connection, transport, site_id, load_list_specs(), index_file)

    @staticmethod
    async def _resolve_site(connection: GraphConnection, transport: GraphTransport,
                            settings: Settings) -> str:
        try:
            if settings.site_id:
                site = await connection.client.sites.by_site_id(settings.site_id).get()
                if site is None or not site.id:
                    raise PermanentError(f"DX_SITE_ID {settings.site_id}: site not found")
                return site.id
            parsed = urlsplit(settings.site_url or "")
            _, _, body = await transport.call("GET", f"/sites/{parsed.hostname}:{parsed.path.rstrip('/')}",
                                              what=f"site {settings.site_url}")
            return str(body["id"])
        except StoreError as exc:
            raise _site_error(exc, settings) from None
        except Exception as exc:  # the SDK raises its own APIError / azure-identity its own
            raise _translate_sdk_error(exc, settings) from None

    # ---- helpers ---------------------------------------------------------------------------

    def _site(self, suffix: str = "") -> str:
        return f"/sites/{self.site_id}{suffix}"

    def _list_path(self, state: _ListState, suffix: str = "") -> str:
        return self._site(f"/lists/{state.list_id}{suffix}")

    def _select(self, spec: ListSpec) -> str:
        return "fields(select=" + ",".join(c.name for c in spec.columns) + ")"

    async def _find_list(self, name: str) -> Mapping[str, Any] | None:
        _, _, body = await self.transport.call("GET", self._site("/lists?$select=id,name,displayName"),
                                               what="list lists")
        for raw in body.get("value", []):
            if raw.get("name") == name or raw.get("displayName") == name:
                return raw
        return None

    async def _columns(self, list_id: str) -> dict[str, Any]:
        _, _, body = await self.transport.call("GET", self._site(f"/lists/{list_id}/columns"),
                                               what="list columns")
        return {raw["name"]: raw for raw in body.get("value", [])}

    async def _state(self, name: str) -> _ListState:
        state = self._lists.get(name)
        if state is not None:
            return state
        declared = self._declared.get(name)
        found = await self._find_list(name)
        if found is None or declared is None:
            raise NotProvisionedError(name)
        columns = self._declared_columns(declared, await self._columns(found["id"]))
        state = _ListState(str(found["id"]), effective_spec(declared, columns))
        await self._load_index(state)
        self._lists[name] = state
        return state

    async def _load_index(self, state: _ListState) -> None:
        if self._index_file is None:
            return
        saved = await self._index_file.load(self.site_id, state.list_id)
        if saved.token:
            state.index, state.by_id, state.index_token = saved.live, saved.by_id, saved.token
            state.index_loaded = True

    async def _save_index(self, state: _ListState, *, replace: bool = False) -> None:
        if self._index_file is None:
            state.dirty.clear()
            return
        ids = list(state.by_id) if replace else list(state.dirty)
        if ids or replace or state.index_token:
            await self._index_file.save(self.site_id, state.list_id, state.index_token, state.rows(ids),
                                        replace=replace)
        state.dirty.difference_update(ids)  # what another call added meanwhile is saved next time

    @staticmethod
    def _declared_columns(spec: ListSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
        # SharePoint adds system columns (Created, Author, ContentType, …) to every list, and
        # the DX division may add its own: neither is ours to validate, write or report.
        out = {}
        for name, definition in raw.items():
            if name not in spec.column_names:
                continue
            column = column_from_graph(definition)
            if spec.column(name).type is ColumnType.URL and column.type is ColumnType.TEXT:
                column = replace(column, type=ColumnType.URL)  # URLs live in text columns
            out[name] = column
        return out

    def _item(self, spec: ListSpec, raw: Mapping[str, Any]) -> Item | None:
        fields_raw = raw.get("fields") or {}
        key = fields_raw.get(spec.key)
        if not key:
            return None  # an item someone made by hand without a key: not ours to manage
        fields = {}
        for column in spec.columns:
            value = from_graph(column, fields_raw.get(column.name))
            if value is not None:
                fields[column.name] = value
        return Item(str(key), fields, str(raw["id"]), str(raw.get("eTag") or fields_raw.get("@odata.etag")),
                    str(raw.get("lastModifiedDateTime", "")))

    # ---- schema ----------------------------------------------------------------------------

    async def ensure_list(self, spec: ListSpec) -> SchemaReport:
        """Create the list with indexed columns before any data, or add what it lacks."""
        self._declared[spec.name] = spec
        found = await self._find_list(spec.name)
        if found is None:
            body = {
                "displayName": spec.name,
                "description": f"{spec.display} — {spec.description}".strip(" —"),
                "list": {"template": "genericList"},
                "columns": [column_definition(c) for c in spec.columns if c.name != "Title"],
            }
            _, _, created = await self.transport.call("POST", self._site("/lists"), body, cost=2,
                                                      what=f"create list {spec.name}")
            list_id = str(created["id"])
            await self._set_title(list_id, spec)
            self._lists[spec.name] = _ListState(list_id, spec)
            return schema_report(spec, True, list(spec.columns), [], [])
        list_id = str(found["id"])
        raw_columns = await self._columns(list_id)
        existing = self._declared_columns(spec, raw_columns)
        added, indexed, drift = compare_schema(spec, existing)
        extended = choices_to_add(spec, existing)
        for column in extended:
            # "For columns in site or list, you can update any property of columnDefinition other
            # than the id" (learn.microsoft.com/graph/api/columndefinition-update); the choice
            # facet is sent whole, list's values first, so nothing an item holds goes missing.
            facet = column_definition(column)["choice"]
            await self.transport.call("PATCH", self._site(f"/lists/{list_id}/columns/{raw_columns[column.name]['id']}"),
                                      {"choice": facet}, cost=2, what=f"add choices to {column.name}")
        for column in added:
            await self.transport.call("POST", self._site(f"/lists/{list_id}/columns"),
                                      column_definition(column), cost=2, what=f"add column {column.name}")
        for column in indexed:
            await self.transport.call("PATCH", self._site(f"/lists/{list_id}/columns/{raw_columns[column.name]['id']}"),
                                      {"indexed": True}, cost=2, what=f"index column {column.name}")
        title = raw_columns.get("Title")
        if title and title.get("displayName") != spec.column("Title").display:
            await self._set_title(list_id, spec, title["id"])
        merged = {**existing, **{c.name: c for c in added}}
        state = _ListState(list_id, effective_spec(spec, merged))
        await self._load_index(state)
        self._lists[spec.name] = state
        return schema_report(spec, False, added, indexed, drift, extended)

    async def _set_title(self, list_id: str, spec: ListSpec, column_id: str | None = None) -> None:
        if column_id is None:
            column_id = (await self._columns(list_id))["Title"]["id"]
        await self.transport.call("PATCH", self._site(f"/lists/{list_id}/columns/{column_id}"),
                                  {"displayName": spec.column("Title").display}, cost=2,
                                  what="rename Title")

    # ---- reads -----------------------------------------------------------------------------

    async def _filtered(self, state: _ListState, column: str, value: Any) -> list[Item]:
        literal = _odata_literal(to_graph(state.spec.column(column), value))
        url = (self._list_path(state, "/items") + f"?expand={quote(self._select(state.spec))}"
               + f"&$filter={quote(f'fields/{column} eq {literal}')}&$top=999")
        out: list[Item] = []
        while url:
            _, _, body = await self.transport.call("GET", url, cost=2, what=f"query {state.spec.name}")
            out.extend(i for raw in body.get("value", []) if (i := self._item(state.spec, raw)))
            url = body.get("@odata.nextLink")
        for item in out:
            state.remember(item.key, item.item_id, item.etag)
        return out

    async def spec(self, list_name: str) -> ListSpec:
        """The list's shape as SharePoint has it (choices added there by hand included)."""
        return (await self._state(list_name)).spec

    async def get(self, list_name: str, key: str) -> Item | None:
        """The item with this key (a filter on the unique, indexed key column)."""
        state = await self._state(list_name)
        found = await self._filtered(state, state.spec.key, key)
        return found[0] if found else None

    async def query(self, list_name: str, column: str, value: Any) -> list[Item]:
        """Items whose indexed column equals value; non-indexed columns are refused up front."""
        state = await self._state(list_name)
        col = check_queryable(state.spec, column)
        return await self._filtered(state, column, query_value(col, value))

    async def pages(self, list_name: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[list[Item]]:
        """Every item, following `@odata.nextLink`."""
        state = await self._state(list_name)
        url: str | None = (self._list_path(state, "/items") + f"?expand={quote(self._select(state.spec))}"
                           + f"&$top={min(page_size, 5000)}")
        while url:
            _, _, body = await self.transport.call("GET", url, cost=2, what=f"page {list_name}")
            items = [i for raw in body.get("value", []) if (i := self._item(state.spec, raw))]
            for item in items:
                state.remember(item.key, item.item_id, item.etag)
            if items:
                yield items
            url = body.get("@odata.nextLink")

    async def count(self, list_name: str) -> int:
        """How many keyed items the list holds (from the delta-fed index)."""
        state = await self._state(list_name)
        await self._refresh_index(state)
        return len(state.index)

    # ---- the key index ---------------------------------------------------------------------

    async def _delta(
        self, state: _ListState, token: str | None, select: str,
        on_page: Callable[[list[Mapping[str, Any]]], None] | None = None,
    ) -> tuple[list[Mapping[str, Any]], str | None, bool]:
        """All delta pages since `token`: raw entries (or each page handed to `on_page` and
        not kept), the next token, and whether it was a full enumeration."""
        base = self._list_path(state, "/items/delta")
        full = token is None
        first = base + f"?expand={quote(select)}&$top={DELTA_PAGE}"
        url: str | None = first + f"&token={quote(token)}" if token else first
        entries: list[Mapping[str, Any]] = []
        while url:
            try:
                _, _, body = await self.transport.call("GET", url, cost=2, what=f"delta {state.spec.name}")
            except StoreError as exc:
                if exc.status == 410 and not full:
                    # The token expired: enumerate again from scratch and reconcile.
                    logger.info("delta %s: token expired, re-enumerating", state.spec.name)
                    full, entries = True, []
                    url = base + f"?expand={quote(select)}&$top={DELTA_PAGE}"
                    continue
                raise
            if on_page is not None:
                on_page(body.get("value", []))
            else:
                entries.extend(body.get("value", []))
            url = body.get("@odata.nextLink")
            if not url:
                return entries, _delta_token(body.get("@odata.deltaLink", "")), full
        return entries, None, full

    async def _fresh_index(self, state: _ListState) -> None:
        """The key index, refreshed when it is older than INDEX_MAX_AGE."""
        if time.monotonic() - state.index_refreshed > INDEX_MAX_AGE:
            await self._refresh_index(state)

    async def _refresh_index(self, state: _ListState) -> None:
        """Bring the key index up to date with one delta call (a full listing the first time)."""
        entries, token, full = await self._delta(
            state, state.index_token, f"fields(select={state.spec.key})")
        if full:
            state.index.clear()
        for raw in entries:
            item_id = str(raw["id"])
            if "deleted" in raw:
                state.forget_id(item_id)
                continue
            key = (raw.get("fields") or {}).get(state.spec.key)
            if key:
                state.remember(str(key), item_id, str(raw.get("eTag") or ""))
        state.index_token = token
        state.index_loaded = True
        state.index_refreshed = time.monotonic()
        await self._save_index(state, replace=full)

    # ---- writes ----------------------------------------------------------------------------

    async def upsert(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create or update by key through $batch; results in the order of `rows`."""
        state = await self._state(list_name)
        await self._fresh_index(state)
        results: dict[int, WriteResult] = {}
        subs: dict[str, tuple[int, SubRequest, Upsert]] = {}
        for n, row in enumerate(rows):
            outcome = self._prepare(state, n, row)
            if isinstance(outcome, WriteResult):
                results[n] = outcome
            else:
                subs[outcome.id] = (n, outcome, row)
        retry_as_update: list[tuple[int, Upsert]] = []
        answers = await self.transport.batch([s for _, s, _ in subs.values()])
        for sub_id, (n, sub, row) in subs.items():
            answer = answers.get(sub_id)
            result = self._written(state, row, sub, answer)
            if result is None:
                retry_as_update.append((n, row))
            else:
                results[n] = result
        if retry_as_update:
            # The key exists after all (a create that committed before its response was lost,
            # or someone else's write): look the item up and update it instead.
            for n, row in retry_as_update:
                results[n] = await self._resolve_and_update(state, row)
        await self._save_index(state)
        return [results[n] for n in range(len(rows))]

    async def create(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """POST each row, whatever the key index says: the list's unique key column is the
        judge, so two writers creating the same key at once get one CREATED and one EXISTS.

        A create whose response was lost and that is sent again also meets 409 (EXISTS); a
        caller that must tell its own earlier create from someone else's keeps an id of its
        own in the item and reads it back.
        """
        state = await self._state(list_name)
        results: dict[int, WriteResult] = {}
        subs: dict[str, tuple[int, SubRequest, Upsert]] = {}
        for n, row in enumerate(rows):
            clean = validate_upsert(state.spec, row, exists=False)
            if isinstance(clean, WriteResult):
                results[n] = clean
                continue
            body = {name: to_graph(state.spec.column(name), value) for name, value in clean.items()}
            sub = SubRequest(str(n), "POST", self._list_path(state, "/items"), {"fields": body})
            subs[sub.id] = (n, sub, row)
        answers = await self.transport.batch([s for _, s, _ in subs.values()])
        for sub_id, (n, sub, row) in subs.items():
            answer = answers.get(sub_id)
            if answer is not None and answer.status == 409:
                results[n] = WriteResult(row.key, Outcome.EXISTS, error=f"{row.key} exists")
            else:
                results[n] = self._written(state, row, sub, answer) or WriteResult(
                    row.key, Outcome.FAILED, error="unexpected answer to a create")
        await self._save_index(state)
        return [results[n] for n in range(len(rows))]

    def _prepare(self, state: _ListState, n: int, row: Upsert) -> SubRequest | WriteResult:
        spec = state.spec
        known = state.index.get(row.key)
        clean = validate_upsert(spec, row, exists=known is not None)
        if isinstance(clean, WriteResult):
            return clean  # a stale If-Match is Graph's to judge (412), not ours
        body = {name: to_graph(spec.column(name), value) for name, value in clean.items()}
        if known is None:
            return SubRequest(str(n), "POST", self._list_path(state, "/items"), {"fields": body})
        headers = {"If-Match": row.if_match} if row.if_match else {}
        body.pop(spec.key, None)  # unchanged by definition; saves a unique-check on the server
        return SubRequest(str(n), "PATCH", self._list_path(state, f"/items/{known[0]}/fields"), body,
                          headers)

    def _written(self, state: _ListState, row: Upsert, sub: SubRequest,
                 answer: SubResponse | None) -> WriteResult | None:
        """The result of one write, or None when it must be retried as an update by key."""
        if answer is None:
            return WriteResult(row.key, Outcome.FAILED, error="no response from Graph")
        if answer.status in (200, 201):
            body = answer.body or {}
            item_id = str(body.get("id") or state.index.get(row.key, ("",))[0])
            etag = str(body.get("eTag") or body.get("@odata.etag") or "")
            state.remember(row.key, item_id, etag)
            return WriteResult(row.key, Outcome.CREATED if sub.method == "POST" else Outcome.UPDATED,
                               item_id, etag)
        if answer.status == 409 and sub.method == "POST":
            return None
        if answer.status == 404 and sub.method == "PATCH" and row.if_match is None:
            state.forget_key(row.key)  # deleted behind our back: create it again
            return None
        if answer.status == 412:
            return WriteResult(row.key, Outcome.CONFLICT, error="the item changed since it was read")
        err = classify(answer.status, answer.headers, answer.body, f"{state.spec.name} {row.key}")
        return WriteResult(row.key, Outcome.FAILED, error=str(err) if err else error_message(answer.body))

    async def _resolve_and_update(self, state: _ListState, row: Upsert) -> WriteResult:
        """A create met the unique key: find the item by key and write to it instead.

        When the create was ours and its response was lost, the item is the one we created,
        so the outcome is still CREATED.
        """
        was_create = row.key not in state.index
        if not await self._filtered(state, state.spec.key, row.key):
            state.forget_key(row.key)
        prepared = self._prepare(state, 0, row)
        if isinstance(prepared, WriteResult):
            return prepared
        answers = await self.transport.batch([prepared])
        result = self._written(state, row, prepared, answers.get(prepared.id))
        if result is None:
            return WriteResult(row.key, Outcome.FAILED, error="the key kept conflicting")
        if was_create and result.outcome is Outcome.UPDATED:
            return WriteResult(row.key, Outcome.CREATED, result.item_id, result.etag)
        return result

    async def delete(self, list_name: str, keys: Sequence[str]) -> list[WriteResult]:
        """Delete by key; a key not in the list (or already gone) is NOT_FOUND."""
        state = await self._state(list_name)
        await self._fresh_index(state)
        results: dict[int, WriteResult] = {}
        subs: dict[str, tuple[int, str, str]] = {}
        requests = []
        for n, key in enumerate(keys):
            known = state.index.get(key)
            if known is None:
                results[n] = WriteResult(key, Outcome.NOT_FOUND)
                continue
            sub = SubRequest(str(n), "DELETE", self._list_path(state, f"/items/{known[0]}"))
            subs[sub.id] = (n, key, known[0])
            requests.append(sub)
        answers = await self.transport.batch(requests)
        for sub_id, (n, key, item_id) in subs.items():
            answer = answers.get(sub_id)
            if answer is not None and answer.status in (200, 204):
                state.forget_id(item_id)
                results[n] = WriteResult(key, Outcome.DELETED, item_id)
            elif answer is not None and answer.status == 404:
                state.forget_id(item_id)  # a retried delete that had already landed
                results[n] = WriteResult(key, Outcome.NOT_FOUND)
            else:
                err = answer and classify(answer.status, answer.headers, answer.body,
                                          f"{list_name} {key}")
                results[n] = WriteResult(key, Outcome.FAILED, error=str(err or "no response from Graph"))
        await self._save_index(state)
        return [results[n] for n in range(len(keys))]

    # ---- change feed -----------------------------------------------------------------------

    async def changes(self, list_name: str, token: str | None) -> ChangeSet:
        """Graph's delta since `token`; an expired token means a full, flagged re-enumeration."""
        state = await self._state(list_name)
        if not state.index_loaded:
            await self._refresh_index(state)
        # Each page is turned into Items as it arrives: the raw JSON of 40,000 items is never
        # held at once. The same item may appear more than once: the last occurrence counts.
        items: dict[str, Item] = {}
        deleted: dict[str, None] = {}

        def take(page: list[Mapping[str, Any]]) -> None:
            for raw in page:
                item_id = str(raw["id"])
                if "deleted" in raw:
                    key = state.forget_id(item_id)
                    if key is None:
                        continue
                    if key in items and items[key].item_id != item_id:
                        continue  # deleted and created again: the new item stands
                    items.pop(key, None)
                    deleted[key] = None
                    continue
                item = self._item(state.spec, raw)
                if item is not None:
                    items[item.key] = item
                    deleted.pop(item.key, None)
                    state.remember(item.key, item.item_id, item.etag)

        _, next_token, full = await self._delta(state, token, self._select(state.spec), on_page=take)
        await self._save_index(state)
        return ChangeSet(tuple(items.values()), tuple(deleted), next_token or "", full=full)

    async def close(self) -> None:
        """Close the HTTP clients, the credential and the key-index file."""
        await self.connection.close()
        if self._index_file is not None:
            await self._index_file.close()


def _site_error(exc: StoreError, settings: Settings) -> StoreError:
    where = settings.site_id or settings.site_url
    if exc.status == 404:
        return PermanentError(f"SharePoint site not found: {where} (check DX_SITE_ID / DX_SITE_URL)")
    return exc


def _translate_sdk_error(exc: Exception, settings: Settings) -> StoreError:
    """azure-identity and kiota errors, in words that say what to fix (never the secret)."""
    from azure.core.exceptions import ClientAuthenticationError

    from liststore.errors import AuthError, TransientError

    if isinstance(exc, ClientAuthenticationError):
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        secret = settings.client_secret_value()
        if secret:
            message = message.replace(secret, "********")
        return AuthError(
            f"could not get a token for tenant {settings.tenant_id} and client id "
            f"{settings.client_id}: {message}. Check DX_TENANT_ID, DX_CLIENT_ID and the "
            "certificate or secret (DX_CLIENT_CERTIFICATE_PATH / DX_CLIENT_SECRET)."
        )
    status = getattr(exc, "response_status_code", None)
    if isinstance(status, int):
        headers = dict(getattr(exc, "response_headers", None) or {})
        odata = getattr(exc, "error", None)
        body = {"error": {"code": getattr(odata, "code", ""), "message": str(getattr(odata, "message", exc))}}
        err = classify(status, headers, body, f"site {settings.site_id or settings.site_url}")
        if err is not None:
            return _site_error(err, settings)
    if "connect" in type(exc).__name__.lower() or "timeout" in type(exc).__name__.lower():
        return TransientError(f"cannot reach Graph at {settings.graph_endpoint}: {type(exc).__name__}")
    return StoreError(f"{type(exc).__name__}: {exc}")


__all__ = ["SharePointListStore", "ColumnType"]
