"""A local stand-in for the Microsoft identity platform and Microsoft Graph's SharePoint lists.

It follows the documented service, not our client, so the real msgraph-sdk and azure-identity
can be pointed at it on 127.0.0.1 over TLS. Behaviour copied from the documentation:

- Token endpoint `/{tenant}/oauth2/v2.0/token` (client credentials; AADSTS errors):
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
- Sites by id and by path (`/sites/{host}:/{path}`), lists, columns (columnDefinition), items
  with `expand=fields(select=…)`, `$filter`, `$top` and `@odata.nextLink` paging:
  https://learn.microsoft.com/graph/api/listitem-list , .../list-post-columns
- Filtering on a non-indexed column of a list over the view threshold fails with 400:
  https://learn.microsoft.com/sharepoint/troubleshoot/lists-and-libraries/items-exceeds-list-view-threshold
- `PATCH …/items/{id}/fields` with a stale `If-Match` → 412; unique columns → 409 on duplicates.
- Delta: pages end with `@odata.deltaLink`; deleted items carry a `deleted` facet and no fields;
  an unusable token is `410 Gone` with a `Location` header to restart from:
  https://learn.microsoft.com/graph/api/listitem-delta
- JSON `$batch`: at most 20 requests, relative URLs, responses in any order, each sub-request
  throttled on its own: https://learn.microsoft.com/graph/json-batching
- Resource units: 1 RU for a single-item read, 2 for a multi-item query or a write; 429 with
  `Retry-After` when the budget is spent, `RateLimit-*` headers past 80% of it:
  https://learn.microsoft.com/sharepoint/dev/general-development/how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online
- Date-only columns are stored as midnight in the site's time zone and returned in UTC, so a
  JST site returns 2025-05-12 as "2025-05-11T15:00:00Z".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import re
import secrets
import time
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from aiohttp import web

from tests.fakes.tls import LoopbackTLS, make_loopback_tls

JST = timezone(timedelta(hours=9))
MAX_BATCH = 20
LIST_VIEW_THRESHOLD = 5000

Response = tuple[int, dict[str, str], Any]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return status, headers or {}, {"error": {"code": code, "message": message,
                                             "innerError": {"request-id": str(uuid.uuid4())}}}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeItem:
    id: int
    fields: dict[str, Any]
    version: int  # position in the site-wide change sequence
    ui_version: int = 1
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    modified: str = field(default_factory=_now)

    @property
    def etag(self) -> str:
        return f'"{self.guid},{self.ui_version}"'


@dataclass
class FakeList:
    id: str
    name: str
    display_name: str
    description: str
    columns: dict[str, dict[str, Any]]
    items: dict[int, FakeItem] = field(default_factory=dict)
    tombstones: list[tuple[int, int]] = field(default_factory=list)  # (version, item id)
    unique: dict[str, dict[Any, int]] = field(default_factory=dict)  # column -> value -> item id
    ids: Any = field(default_factory=lambda: itertools.count(1))


@dataclass
class Knobs:
    """What a test can turn: latency, failures, expiry (throttling: GraphFake.set_budget)."""

    latency: float = 0.0  # seconds per HTTP request
    fail_503_rate: float = 0.0  # share of requests (and sub-requests) answered 503
    drop_batches: int = 0  # the next N $batch calls commit half their work, then drop the line
    expire_delta_tokens: bool = False
    list_view_threshold: int = LIST_VIEW_THRESHOLD
    granted: bool = True  # False: the app has Sites.Selected but no grant on the site


class _Bucket:
    """The tenant's resource-unit budget for this app, refilled continuously."""

    def __init__(self, per_window: float, window: float = 60.0) -> None:
        self.capacity = per_window
        self.rate = per_window / window
        self.tokens = per_window
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, cost: float) -> float | None:
        """None when the units were spent; else seconds until they would be available."""
        self._refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return None
        return (cost - self.tokens) / self.rate

    def headers(self) -> dict[str, str]:
        self._refill()
        if self.tokens > 0.2 * self.capacity:
            return {}
        reset = math.ceil((self.capacity - self.tokens) / self.rate)
        return {"RateLimit-Limit": str(int(self.capacity)), "RateLimit-Remaining": str(int(self.tokens)),
                "RateLimit-Reset": str(reset)}


class GraphFake:
    """State and behaviour of one tenant with one SharePoint site."""

    def __init__(self, *, tenant_id: str = "11111111-2222-3333-4444-555555555555",
                 client_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                 client_secret: str = "test-secret-value", seed: int = 1) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.hostname = "contoso.sharepoint.com"
        self.site_path = "/sites/dx-community"
        self.site_id = f"{self.hostname},{uuid.UUID(int=1)},{uuid.UUID(int=2)}"
        self.knobs = Knobs()
        self.rng = random.Random(seed)
        self.lists: dict[str, FakeList] = {}
        self.sequence = itertools.count(1)
        self.tokens: set[str] = set()
        self.delta_tokens: dict[str, tuple[str, int]] = {}  # token -> (list id, version)
        self.counters: Counter[str] = Counter()
        self.certificates: list[Any] = []  # public keys accepted for client assertions
        self.identity_header = secrets.token_hex(8)
        # Entra ID: users (id -> properties) and groups (id -> displayName, member ids).
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.group_tokens: dict[str, dict[str, set[str]]] = {}  # token -> membership snapshot
        self.user_agents: Counter[str] = Counter()
        self._bucket: _Bucket | None = None
        self.base_url = ""

    # ---- knobs and counters ----------------------------------------------------------------

    def set_budget(self, ru: float | None, window: float = 60.0) -> None:
        """Allow `ru` resource units per `window` seconds (SharePoint's window is a minute;
        tests shrink it so a throttling storm takes seconds)."""
        self._bucket = _Bucket(ru, window) if ru else None

    @property
    def write_requests(self) -> int:
        """Item creates, updates and deletes served so far (inside $batch or not)."""
        c = self.counters
        return c["POST _post_item"] + c["PATCH _patch_fields"] + c["DELETE _delete_item"]

    def list_by_name(self, name: str) -> FakeList:
        return next(lst for lst in self.lists.values() if lst.name == name)

    # ---- identity platform -----------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = await request.post()
        self.counters["token_requests"] += 1
        if tenant != self.tenant_id:
            return web.json_response({"error": "invalid_request", "error_description":
                                      f"AADSTS90002: Tenant '{tenant}' not found.",
                                      "error_codes": [90002]}, status=400)
        if form.get("client_id") != self.client_id:
            return web.json_response({"error": "unauthorized_client", "error_description":
                                      f"AADSTS700016: Application with identifier "
                                      f"'{form.get('client_id')}' was not found in the directory.",
                                      "error_codes": [700016]}, status=400)
        assertion = form.get("client_assertion")
        if assertion is not None and not self._assertion_ok(str(assertion), str(request.url)):
            return web.json_response({"error": "invalid_client", "error_description":
                                      "AADSTS700027: The certificate with identifier used to sign "
                                      "the client assertion is not registered on application.",
                                      "error_codes": [700027]}, status=401)
        if assertion is None and form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "invalid_client", "error_description":
                                      "AADSTS7000215: Invalid client secret provided. Ensure the "
                                      "secret being sent in the request is the client secret "
                                      "value, not the client secret ID.",
                                      "error_codes": [7000215]}, status=401)
        access = "fake." + secrets.token_urlsafe(24)
        self.tokens.add(access)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599,
                                  "ext_expires_in": 3599, "access_token": access})

    async def managed_identity(self, request: web.Request) -> web.Response:
        """App Service's managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER)."""
        self.counters["msi_requests"] += 1
        if request.headers.get("X-IDENTITY-HEADER") != self.identity_header:
            return web.json_response({"error": "invalid_request"}, status=400)
        access = "fake-msi." + secrets.token_urlsafe(24)
        self.tokens.add(access)
        return web.json_response({"access_token": access, "expires_on": str(int(time.time()) + 3600),
                                  "resource": request.query.get("resource", ""), "token_type": "Bearer"})

    def _assertion_ok(self, assertion: str, audience: str) -> bool:
        """A client assertion signed by a registered certificate, for this client and endpoint."""
        import jwt

        for key in self.certificates:
            try:
                claims = jwt.decode(assertion, key, algorithms=["RS256", "PS256"], audience=audience)
            except jwt.PyJWTError:
                continue
            return claims.get("iss") == claims.get("sub") == self.client_id
        return False

    async def openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.base_url}/{tenant}"
        return web.json_response({
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "jwks_uri": f"{self.base_url}/{tenant}/discovery/v2.0/keys",
        })

    # ---- HTTP entry points -----------------------------------------------------------------

    async def graph(self, request: web.Request) -> web.StreamResponse:
        self.counters["http_requests"] += 1
        self.user_agents[request.headers.get("User-Agent", "")] += 1
        if self.knobs.latency:
            await asyncio.sleep(self.knobs.latency)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            status, headers, body = _error(401, "InvalidAuthenticationToken",
                                           "Access token is empty." if not auth else
                                           "Access token validation failure. Invalid audience.")
            return web.json_response(body, status=status, headers=headers)
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw else None
        if path == "/$batch" and request.method == "POST":
            return await self._batch(request, body)
        status, headers, payload = self.dispatch(request.method, path, request.query_string,
                                                 dict(request.headers), body)
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.json_response(payload, status=status, headers=headers)

    async def _batch(self, request: web.Request, body: Any) -> web.StreamResponse:
        self.counters["batch_requests"] += 1
        requests = (body or {}).get("requests")
        if not isinstance(requests, list) or not requests:
            status, headers, payload = _error(400, "BadRequest", "Invalid batch payload format.")
            return web.json_response(payload, status=status)
        if len(requests) > MAX_BATCH:
            status, headers, payload = _error(
                400, "BadRequest", f"Number of batch requests exceeds the limit of {MAX_BATCH}.")
            return web.json_response(payload, status=status)
        drop = self.knobs.drop_batches > 0
        if drop:
            self.knobs.drop_batches -= 1
            requests = requests[: max(1, len(requests) // 2)]
        responses = []
        for sub in requests:
            self.counters["sub_requests"] += 1
            rid = str(sub.get("id"))
            url = str(sub.get("url", ""))
            if url.startswith(("http://", "https://")) or not url:
                status, headers, payload = _error(400, "BadRequest",
                                                  "Invalid request URL: batch URLs must be relative.")
            else:
                if not url.startswith("/"):
                    url = "/" + url
                parts = urlsplit(url)
                path = parts.path.removeprefix("/v1.0")
                status, headers, payload = self.dispatch(str(sub.get("method", "GET")).upper(), path,
                                                         parts.query, sub.get("headers") or {},
                                                         sub.get("body"))
            entry: dict[str, Any] = {"id": rid, "status": status, "headers": headers}
            if payload is not None:
                entry["body"] = payload
                entry["headers"] = {**headers, "Content-Type": "application/json"}
            responses.append(entry)
        if drop:
            # The work above has committed; the caller never hears about it.
            assert request.transport is not None
            request.transport.close()
            raise ConnectionResetError("fake: dropped mid-batch")
        self.rng.shuffle(responses)  # Graph answers in any order
        return web.json_response({"responses": responses})

    # ---- dispatch ---------------------------------------------------------------------------

    _ROUTES: list[tuple[str, re.Pattern[str], str]] = [
        ("GET", re.compile(r"/groups/delta"), "_groups_delta"),
        ("GET", re.compile(r"/users/(?P<user>[^/]+)"), "_get_user"),
        ("POST", re.compile(r"/users/(?P<user>[^/]+)/checkMemberGroups"), "_check_member_groups"),
        ("GET", re.compile(r"/sites/(?P<host>[^/:]+):(?P<path>/.+)"), "_get_site_by_path"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)"), "_get_site"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists"), "_get_lists"),
        ("POST", re.compile(r"/sites/(?P<site>[^/]+)/lists"), "_post_list"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)"), "_get_list"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/columns"), "_get_columns"),
        ("POST", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/columns"), "_post_column"),
        ("PATCH", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/columns/(?P<col>[^/]+)"),
         "_patch_column"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items/delta"), "_delta"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items"), "_get_items"),
        ("POST", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items"), "_post_item"),
        ("GET", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items/(?P<item>\d+)"),
         "_get_item"),
        ("PATCH", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items/(?P<item>\d+)/fields"),
         "_patch_fields"),
        ("DELETE", re.compile(r"/sites/(?P<site>[^/]+)/lists/(?P<list>[^/]+)/items/(?P<item>\d+)"),
         "_delete_item"),
    ]

    # Resource units per operation kind (SharePoint's throttling guidance).
    _COST = {"GET": 1, "GET_MANY": 2, "POST": 2, "PATCH": 2, "DELETE": 2}

    def dispatch(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: Any) -> Response:
        """One Graph request (also each $batch sub-request)."""
        path = path.removeprefix("/v1.0")
        if self.knobs.fail_503_rate and self.rng.random() < self.knobs.fail_503_rate:
            self.counters["503"] += 1
            return _error(503, "serviceNotAvailable", "The service is temporarily unavailable.")
        for verb, pattern, handler in self._ROUTES:
            match = pattern.fullmatch(path)
            if match and verb == method:
                many = handler in {"_get_items", "_delta", "_get_lists", "_get_columns"}
                cost = self._COST["GET_MANY" if many else method]
                if self._bucket is not None:
                    wait = self._bucket.take(cost)
                    if wait is not None:
                        self.counters["429"] += 1
                        return _error(429, "activityLimitReached",
                                      "The request has been throttled.",
                                      {"Retry-After": str(max(1, math.ceil(wait))),
                                       **self._bucket.headers()})
                self.counters["ru"] += cost
                self.counters[f"{method} {handler}"] += 1
                params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
                status, out_headers, payload = getattr(self, handler)(
                    match.groupdict(), params, {k.lower(): v for k, v in headers.items()}, body)
                if self._bucket is not None:
                    out_headers = {**self._bucket.headers(), **out_headers}
                return status, out_headers, payload
        return _error(400, "BadRequest", f"Resource not found for the segment '{path}'.")

    # ---- Entra ID: users and group membership delta ---------------------------------------
    # https://learn.microsoft.com/graph/api/group-delta : members@delta lists added members by
    # id and removed ones with "@removed"; groups without changes are left out.

    def add_user(self, user_id: str, employee_id: str | None, upn: str) -> None:
        self.users[user_id] = {"id": user_id, "employeeId": employee_id, "userPrincipalName": upn,
                               "mail": upn}

    def _get_user(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        user = self.users.get(p["user"])
        if user is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{p['user']}' does not exist.")
        select = q.get("$select")
        fields = select.split(",") if select else list(user)
        return 200, {}, {k: user.get(k) for k in ["id", *fields]}

    def _check_member_groups(self, p: dict[str, str], q: dict[str, str], h: dict[str, str],
                             b: Any) -> Response:
        """POST /users/{id}/checkMemberGroups {"groupIds": [...]} (at most 20): the ones the user
        is a member of. https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups"""
        self.counters["check_member_groups"] += 1
        if p["user"] not in self.users:
            return _error(404, "Request_ResourceNotFound", f"Resource '{p['user']}' does not exist.")
        wanted = (b or {}).get("groupIds")
        if not isinstance(wanted, list) or not 0 < len(wanted) <= 20:
            return _error(400, "Request_BadRequest", "groupIds must list 1 to 20 group ids.")
        return 200, {}, {"value": [g for g in wanted if p["user"] in self.groups.get(g, {}).get("members", ())]}

    def _groups_delta(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        base = f"{self.base_url}/v1.0/groups/delta"
        token = q.get("$deltatoken")
        wanted = re.findall(r"'([^']+)'", q.get("$filter", ""))
        if token:
            snapshot = self.group_tokens.get(token)
            if snapshot is None or self.knobs.expire_delta_tokens:
                return _error(410, "resyncRequired", "The delta token is no longer valid.",
                              {"Location": base})
        else:
            snapshot = {}
        self.counters["groups_delta_incremental" if token else "groups_delta_full"] += 1
        ids = wanted or list(self.groups)
        value = []
        for gid in ids:
            group = self.groups.get(gid)
            if group is None:
                continue
            before = snapshot.get(gid, set())
            now = set(group["members"])
            if token and gid in snapshot and before == now:
                continue
            delta = [{"@odata.type": "#microsoft.graph.user", "id": u} for u in sorted(now - before)]
            delta += [{"@odata.type": "#microsoft.graph.user", "id": u, "@removed": {"reason": "deleted"}}
                      for u in sorted(before - now)]
            value.append({"id": gid, "displayName": group["displayName"], "members@delta": delta})
        new_token = secrets.token_urlsafe(12)
        self.group_tokens[new_token] = {gid: set(self.groups[gid]["members"]) for gid in ids
                                        if gid in self.groups}
        return 200, {}, {"value": value, "@odata.deltaLink": f"{base}?$deltatoken={new_token}"}

    # ---- sites ------------------------------------------------------------------------------

    def _site_json(self) -> dict[str, Any]:
        return {"id": self.site_id, "name": self.site_path.rsplit("/", 1)[-1],
                "displayName": "DXコミュニティ", "webUrl": f"https://{self.hostname}{self.site_path}"}

    def _check_site(self, site: str) -> Response | None:
        if site != self.site_id:
            return _error(404, "itemNotFound", "Requested site could not be found")
        if not self.knobs.granted:
            return _error(403, "accessDenied", "Access denied")
        return None

    def _get_site(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        return self._check_site(p["site"]) or (200, {}, self._site_json())

    def _get_site_by_path(self, p: dict[str, str], q: dict[str, str], h: dict[str, str],
                          b: Any) -> Response:
        if p["host"] != self.hostname or p["path"].rstrip("/") != self.site_path:
            return _error(404, "itemNotFound", "Requested site could not be found")
        return self._check_site(self.site_id) or (200, {}, self._site_json())

    # ---- lists and columns ------------------------------------------------------------------

    def _list(self, p: dict[str, str]) -> FakeList | Response:
        denied = self._check_site(p["site"])
        if denied:
            return denied
        key = p["list"]
        for lst in self.lists.values():
            if key in (lst.id, lst.display_name):
                return lst
        return _error(404, "itemNotFound", "The specified list was not found")

    def _list_json(self, lst: FakeList) -> dict[str, Any]:
        return {"id": lst.id, "name": lst.name, "displayName": lst.display_name,
                "description": lst.description, "list": {"template": "genericList"}}

    def _get_lists(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        return self._check_site(p["site"]) or (200, {}, {"value": [
            self._list_json(lst) for lst in self.lists.values()]})

    def _post_list(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        denied = self._check_site(p["site"])
        if denied:
            return denied
        display = (b or {}).get("displayName")
        if not display:
            return _error(400, "invalidRequest", "displayName is required")
        if any(lst.display_name == display for lst in self.lists.values()):
            return _error(409, "nameAlreadyExists", "A list with that name already exists")
        lst = FakeList(str(uuid.uuid4()), re.sub(r"[^A-Za-z0-9]", "", display) or "List",
                       display, b.get("description", ""),
                       {"Title": {"id": str(uuid.uuid4()), "name": "Title", "displayName": "Title",
                                  "text": {}, "indexed": False, "enforceUniqueValues": False,
                                  "required": True}})
        self.lists[lst.id] = lst
        for col in b.get("columns", []):
            status, _, payload = self._add_column(lst, col)
            if status >= 400:
                return status, {}, payload
        return 201, {}, self._list_json(lst)

    def _get_list(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        return lst if isinstance(lst, tuple) else (200, {}, self._list_json(lst))

    def _get_columns(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        return lst if isinstance(lst, tuple) else (200, {}, {"value": list(lst.columns.values())})

    _TYPES = ("text", "number", "boolean", "dateTime", "choice", "hyperlinkOrPicture", "currency")

    def _add_column(self, lst: FakeList, col: dict[str, Any]) -> Response:
        name = col.get("name")
        if not name or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", name):
            return _error(400, "invalidRequest", f"Invalid column name '{name}'")
        if name in lst.columns:
            return _error(409, "nameAlreadyExists", f"A column named '{name}' already exists")
        facets = [t for t in self._TYPES if t in col]
        if len(facets) != 1:
            return _error(400, "invalidRequest", "Exactly one column type facet is required")
        if col.get("enforceUniqueValues") and not col.get("indexed"):
            return _error(400, "invalidRequest",
                          "You must index a column before enforcing unique values on it.")
        stored = {"id": str(uuid.uuid4()), "name": name, "displayName": col.get("displayName", name),
                  "indexed": bool(col.get("indexed")), "required": bool(col.get("required")),
                  "enforceUniqueValues": bool(col.get("enforceUniqueValues")), facets[0]: col[facets[0]]}
        lst.columns[name] = stored
        return 201, {}, stored

    def _post_column(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        return lst if isinstance(lst, tuple) else self._add_column(lst, b or {})

    def _patch_column(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        col = next((c for c in lst.columns.values() if p["col"] in (c["id"], c["name"])), None)
        if col is None:
            return _error(404, "itemNotFound", "Column not found")
        if b.get("indexed") and not col["indexed"] and len(lst.items) > self.knobs.list_view_threshold:
            return _error(400, "invalidRequest", "Cannot index a column of a list over the threshold")
        if "choice" in b:
            if "choice" not in col:
                return _error(400, "invalidRequest", "The column is not a choice column")
            col["choice"] = {**col["choice"], **b["choice"]}  # the values sent replace the list
        for key in ("displayName", "indexed", "description", "required"):
            if key in b:
                col[key] = b[key]
        return 200, {}, col

    # ---- field values -----------------------------------------------------------------------

    def _store_value(self, col: dict[str, Any], value: Any) -> Any:
        if value is None or value == "":
            return None
        if "dateTime" in col:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            if col["dateTime"].get("format") == "dateOnly":
                # Midnight of that day in the site's time zone, kept in UTC.
                day = moment.astimezone(JST).date()
                moment = datetime(day.year, day.month, day.day, tzinfo=JST)
            return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if "number" in col:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"The value '{value}' is not a number.")
            return float(value)
        if "boolean" in col:
            if not isinstance(value, bool):
                raise ValueError(f"The value '{value}' is not a boolean.")
            return value
        if "choice" in col and value not in col["choice"].get("choices", []):
            if not col["choice"].get("allowTextEntry"):
                raise ValueError(f"The value '{value}' is not one of the choices.")
        return str(value)

    def _write_fields(self, lst: FakeList, item: FakeItem | None, fields: dict[str, Any]) -> Response | None:
        clean: dict[str, Any] = {}
        for name, value in fields.items():
            col = lst.columns.get(name)
            if col is None:
                return _error(400, "invalidRequest", f"Field '{name}' is not recognized")
            try:
                clean[name] = self._store_value(col, value)
            except ValueError as exc:
                return _error(400, "invalidRequest", str(exc))
        merged = {**(item.fields if item else {}), **clean}
        for name, col in lst.columns.items():
            if col.get("enforceUniqueValues") and merged.get(name) is not None:
                owner = lst.unique.get(name, {}).get(merged[name])
                if owner is not None and (item is None or owner != item.id):
                    return _error(409, "nameAlreadyExists",
                                  "The list item could not be added or updated because duplicate "
                                  f"values were found in the following field(s) in the list: [{name}].")
        if item is None and merged.get("Title") is None:
            return _error(400, "invalidRequest", "Field 'Title' is required")
        return None if not clean and item else (0, {}, {k: v for k, v in merged.items() if v is not None})

    @staticmethod
    def _index_unique(lst: FakeList, item: FakeItem, old: dict[str, Any] | None) -> None:
        for name, col in lst.columns.items():
            if not col.get("enforceUniqueValues"):
                continue
            values = lst.unique.setdefault(name, {})
            if old is not None and values.get(old.get(name)) == item.id:
                del values[old[name]]
            if item.fields.get(name) is not None:
                values[item.fields[name]] = item.id

    def _item_json(self, lst: FakeList, item: FakeItem, select: list[str] | None) -> dict[str, Any]:
        fields = {k: v for k, v in item.fields.items() if select is None or k in select}
        fields["id"] = str(item.id)
        return {"id": str(item.id), "eTag": item.etag, "lastModifiedDateTime": item.modified,
                "fields": {"@odata.etag": item.etag, **fields}}

    @staticmethod
    def _select(q: dict[str, str]) -> list[str] | None:
        expand = q.get("expand") or q.get("$expand") or ""
        match = re.search(r"fields\(\$?select=([^)]*)\)", expand)
        return [s.strip() for s in match.group(1).split(",")] if match else None

    # ---- items ------------------------------------------------------------------------------

    def _matches(self, lst: FakeList, flt: str) -> tuple[list[FakeItem] | None, Response | None]:
        clauses = [c.strip() for c in re.split(r"\s+and\s+", flt) if c.strip()]
        items = list(lst.items.values())
        for clause in clauses:
            m = re.fullmatch(r"fields/(\w+)\s+eq\s+(.+)", clause)
            if not m:
                return None, _error(400, "invalidRequest", f"Invalid filter clause: {clause}")
            name, literal = m.groups()
            col = lst.columns.get(name)
            if col is None:
                return None, _error(400, "invalidRequest", f"Field '{name}' is not recognized")
            if not col["indexed"] and len(lst.items) > self.knobs.list_view_threshold:
                return None, _error(
                    400, "invalidRequest",
                    f"Field '{name}' cannot be referenced in filter or orderby as it is not indexed. "
                    "Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to "
                    "allow this, but be warned that such queries may fail on large lists.")
            if literal.startswith("'"):
                value: Any = literal[1:-1].replace("''", "'")
            elif literal in ("true", "false"):
                value = literal == "true"
            elif literal == "null":
                value = None
            else:
                value = float(literal)
            try:
                value = self._store_value(col, value)
            except (ValueError, TypeError):
                return None, _error(400, "invalidRequest", f"Invalid value in filter: {literal}")
            items = [i for i in items if i.fields.get(name) == value]
        return items, None

    def _get_items(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        items = list(lst.items.values())
        if q.get("$filter"):
            found, err = self._matches(lst, q["$filter"])
            if err:
                return err
            items = found or []
        top = min(int(q.get("$top", 200)), 5000)
        start = int(q.get("$skiptoken", "0") or 0)
        page = items[start : start + top]
        out: dict[str, Any] = {"value": [self._item_json(lst, i, self._select(q)) for i in page]}
        if start + top < len(items):
            rest = {**q, "$skiptoken": str(start + top)}
            out["@odata.nextLink"] = (f"{self.base_url}/v1.0/sites/{p['site']}/lists/{lst.id}/items?"
                                      + urlencode(rest, quote_via=quote))
        return 200, {}, out

    def _list_item(self, p: dict[str, str]) -> Any:
        """(list, item), or the error response when either is missing."""
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        item = lst.items.get(int(p["item"]))
        if item is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        return lst, item

    def _get_item(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        found = self._list_item(p)
        if not isinstance(found[0], FakeList):
            return found  # an error response
        lst, item = found
        return 200, {}, self._item_json(lst, item, self._select(q))

    def _post_item(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        result = self._write_fields(lst, None, (b or {}).get("fields") or {})
        if result is not None and result[0] != 0:
            return result
        fields = result[2] if result else {}
        item = FakeItem(next(lst.ids), fields, next(self.sequence))
        lst.items[item.id] = item
        self._index_unique(lst, item, None)
        return 201, {}, self._item_json(lst, item, None)

    def _patch_fields(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        found = self._list_item(p)
        if not isinstance(found[0], FakeList):
            return found  # an error response
        lst, item = found
        if_match = h.get("if-match")
        if if_match and if_match != "*" and if_match != item.etag:
            return _error(412, "resourceModified", "The resource has changed since the caller last "
                          "read it; usually an eTag mismatch")
        result = self._write_fields(lst, item, b or {})
        if result is not None and result[0] != 0:
            return result
        if result is not None:
            old = dict(item.fields)
            item.fields = result[2]
            self._index_unique(lst, item, old)
        item.version = next(self.sequence)
        item.ui_version += 1
        item.modified = _now()
        return 200, {}, {"@odata.etag": item.etag, **item.fields, "id": str(item.id)}

    def _delete_item(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        item = lst.items.pop(int(p["item"]), None)
        if item is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        for name, values in lst.unique.items():
            if values.get(item.fields.get(name)) == item.id:
                del values[item.fields[name]]
        lst.tombstones.append((next(self.sequence), item.id))
        return 204, {}, None

    # ---- delta ------------------------------------------------------------------------------

    def _delta(self, p: dict[str, str], q: dict[str, str], h: dict[str, str], b: Any) -> Response:
        lst = self._list(p)
        if isinstance(lst, tuple):
            return lst
        base = f"{self.base_url}/v1.0/sites/{p['site']}/lists/{lst.id}/items/delta"
        token = q.get("token")
        since = 0
        if token:
            known = self.delta_tokens.get(token)
            if known is None or known[0] != lst.id or self.knobs.expire_delta_tokens:
                return _error(410, "resyncRequired", "The delta token is no longer valid.",
                              {"Location": base})
            since = known[1]
        skip = int(q.get("$skiptoken", "0") or 0)
        top = min(int(q.get("$top", 200)), 1000)
        if not skip:
            self.counters["delta_incremental" if since else "delta_full"] += 1
        now = next(self.sequence)  # a fresh point in the sequence marks this enumeration
        changed: list[dict[str, Any]] = [
            self._item_json(lst, i, self._select(q)) for i in sorted(lst.items.values(), key=lambda i: i.version)
            if i.version > since]
        if since:
            changed += [{"id": str(item_id), "deleted": {"state": "deleted"}}
                        for version, item_id in lst.tombstones if version > since]
        page = changed[skip : skip + top]
        out: dict[str, Any] = {"value": page}
        if skip + top < len(changed):
            rest = {k: v for k, v in q.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(skip + top)
            out["@odata.nextLink"] = f"{base}?" + urlencode(rest, quote_via=quote)
        else:
            new_token = secrets.token_urlsafe(12)
            self.delta_tokens[new_token] = (lst.id, now if not since and not skip else now)
            out["@odata.deltaLink"] = f"{base}?token={new_token}"
        return 200, {}, out


@dataclass
class RunningFake:
    """A started fake: where it listens and how clients trust it."""

    fake: GraphFake
    base_url: str
    tls: LoopbackTLS

    def env(self) -> dict[str, str]:
        """DX_* settings that point the product at this fake."""
        return {
            "DX_STORE": "sharepoint",
            "DX_TENANT_ID": self.fake.tenant_id,
            "DX_CLIENT_ID": self.fake.client_id,
            "DX_CLIENT_SECRET": self.fake.client_secret,
            "DX_SITE_URL": f"https://{self.fake.hostname}{self.fake.site_path}",
            "DX_GRAPH_ENDPOINT": self.base_url,
            "DX_AUTHORITY_HOST": self.base_url,
            "DX_CA_BUNDLE": str(self.tls.ca_path),
        }


@asynccontextmanager
async def serve_graph_fake(folder: Path, fake: GraphFake | None = None) -> AsyncIterator[RunningFake]:
    """Serve a GraphFake over TLS on 127.0.0.1 (identity platform and Graph on one port)."""
    fake = fake or GraphFake()
    tls = make_loopback_tls(folder)
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", fake.token)
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", fake.openid)
    app.router.add_get("/msi/token", fake.managed_identity)
    app.router.add_route("*", "/v1.0/{tail:.*}", fake.graph)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server_context())
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"https://127.0.0.1:{port}"
    try:
        yield RunningFake(fake, fake.base_url, tls)
    finally:
        await runner.cleanup()
