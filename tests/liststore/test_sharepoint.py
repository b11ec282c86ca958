"""The SharePoint store against the Graph fake: provisioning, dates, batching and every fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from config.schema import load_list_specs
from config.settings import Settings
from liststore import AuthError, Outcome, PermanentError, StoreError, Upsert
from liststore.sharepoint.store import SharePointListStore
from tests.fakes.graph_fake import RunningFake, serve_graph_fake


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[RunningFake]:
    async with serve_graph_fake(tmp_path / "tls") as running:
        yield running


def settings_for(running: RunningFake, tmp_path: Path, **overrides: Any) -> Settings:
    env: dict[str, Any] = {k.removeprefix("DX_").lower(): v for k, v in running.env().items()}
    env.update(overrides)
    return Settings(data_dir=tmp_path, **env)


@pytest.fixture
async def store(graph: RunningFake, tmp_path: Path) -> AsyncIterator[SharePointListStore]:
    s = await SharePointListStore.open(settings_for(graph, tmp_path, graph_ru_per_minute=100000))
    await s.ensure_list(load_list_specs()["CourseCompletions"])
    yield s
    await s.close()


def completion(n: int, **extra: Any) -> Upsert:
    key = f"{n:06d}_E-SEC"
    return Upsert(key, {"Title": f"職員{n} / 情報セキュリティ研修", "StaffNumber": f"{n:06d}",
                        "CourseCode": "E-SEC", "Status": "修了", **extra})


def fake_items(graph: RunningFake, list_name: str = "CourseCompletions") -> list[dict[str, Any]]:
    return [i.fields for i in graph.fake.list_by_name(list_name).items.values()]


async def test_provisioning_creates_every_list_indexed_and_is_idempotent(
    graph: RunningFake, tmp_path: Path
) -> None:
    s = await SharePointListStore.open(settings_for(graph, tmp_path))
    try:
        specs = load_list_specs()
        first = [await s.ensure_list(spec) for spec in specs.values()]
        assert all(r.created for r in first)
        staff = graph.fake.list_by_name("Staff")
        assert staff.columns["StaffNumber"]["indexed"] and staff.columns["StaffNumber"]["enforceUniqueValues"]
        assert staff.columns["StaffNumber"]["displayName"] == "職員番号"
        assert staff.columns["Title"]["displayName"] == "氏名"
        assert staff.columns["IsActive"]["indexed"] and not staff.columns["Notes"]["indexed"]
        assert "職員" in staff.description
        second = [await s.ensure_list(spec) for spec in specs.values()]
        assert not any(r.changed or r.drift for r in second)
    finally:
        await s.close()


async def test_provisioning_repairs_indexes_and_reports_drift_in_plain_words(
    graph: RunningFake, tmp_path: Path
) -> None:
    specs = load_list_specs()
    s = await SharePointListStore.open(settings_for(graph, tmp_path))
    try:
        await s.ensure_list(specs["Courses"])
        courses = graph.fake.list_by_name("Courses")
        courses.columns["Program"]["indexed"] = False  # someone removed an index by hand
        courses.columns["Hours"] = {**courses.columns["Hours"], "text": {}}  # and retyped a column
        del courses.columns["Hours"]["number"]
        del courses.columns["Stage"]  # and deleted one
        report = await s.ensure_list(specs["Courses"])
        assert report.added_indexes == ("Program",) and report.added_columns == ("Stage",)
        assert courses.columns["Program"]["indexed"] and "Stage" in courses.columns
        assert report.drift == ("Courses.Hours: declared as number but the list has text; left as "
                                "it is (change it by hand after moving the data)",)
    finally:
        await s.close()


async def test_writes_go_in_batches_of_at_most_twenty(graph: RunningFake, store: SharePointListStore) -> None:
    before = graph.fake.counters.copy()
    results = await store.upsert("CourseCompletions", [completion(n) for n in range(45)])
    assert [r.outcome for r in results] == [Outcome.CREATED] * 45
    assert graph.fake.counters["batch_requests"] - before["batch_requests"] == 3
    assert graph.fake.counters["sub_requests"] - before["sub_requests"] == 45
    assert len(fake_items(graph)) == 45
    # Updates send only what changed, as PATCH …/fields.
    results = await store.upsert("CourseCompletions", [Upsert(f"{n:06d}_E-SEC", {"Status": "受講中"})
                                                       for n in range(20)])
    assert [r.outcome for r in results] == [Outcome.UPDATED] * 20
    assert graph.fake.counters["PATCH _patch_fields"] == 20


async def test_dates_are_japanese_calendar_days_at_the_midnight_edge(
    graph: RunningFake, store: SharePointListStore
) -> None:
    await store.upsert("CourseCompletions", [completion(1, CompletedOn="2025-04-01", FiscalYear=2025)])
    (stored,) = fake_items(graph)
    # SharePoint keeps midnight JST as the previous day 15:00 UTC …
    assert stored["CompletedOn"] == "2025-03-31T15:00:00Z"
    # … and staff must still see 1 April, the first day of fiscal year 2025.
    item = await store.get("CourseCompletions", "000001_E-SEC")
    assert item is not None and item.fields["CompletedOn"] == "2025-04-01"
    found = await store.query("CourseCompletions", "CompletedOn", "2025-04-01")
    assert [i.key for i in found] == ["000001_E-SEC"]


async def test_user_agent_and_bearer_token_reach_a_custom_graph_host(
    graph: RunningFake, store: SharePointListStore
) -> None:
    await store.get("CourseCompletions", "x")
    agents = [ua for ua in graph.fake.user_agents if ua]
    assert agents and all(ua.startswith("NONISV|CityHall|DXCommunity/") for ua in agents), agents
    assert graph.fake.counters["token_requests"] >= 1 and graph.fake.tokens


async def test_a_429_storm_is_ridden_out_without_losing_or_duplicating(
    graph: RunningFake, store: SharePointListStore
) -> None:
    graph.fake.set_budget(40, window=2.0)  # 20 RU/s with a burst of 40: 80 writes need ~6 s
    results = await store.upsert("CourseCompletions", [completion(n) for n in range(80)])
    assert all(r.outcome is Outcome.CREATED for r in results), [r for r in results if not r.ok][:3]
    assert graph.fake.counters["429"] > 0
    keys = [f["CompletionKey"] for f in fake_items(graph)]
    assert sorted(keys) == sorted(f"{n:06d}_E-SEC" for n in range(80))


async def test_random_503s_are_retried(graph: RunningFake, store: SharePointListStore) -> None:
    graph.fake.knobs.fail_503_rate = 0.3
    results = await store.upsert("CourseCompletions", [completion(n) for n in range(60)])
    assert all(r.outcome is Outcome.CREATED for r in results)
    assert await store.count("CourseCompletions") == 60
    assert len(await store.query("CourseCompletions", "Status", "修了")) == 60
    assert graph.fake.counters["503"] > 0
    graph.fake.knobs.fail_503_rate = 0.0
    assert len(fake_items(graph)) == 60


async def test_a_connection_dropped_mid_batch_creates_nothing_twice(
    graph: RunningFake, store: SharePointListStore
) -> None:
    graph.fake.knobs.drop_batches = 2  # half of each of two batches commits, then the line drops
    results = await store.upsert("CourseCompletions", [completion(n) for n in range(40)])
    assert [r.outcome for r in results] == [Outcome.CREATED] * 40
    keys = [f["CompletionKey"] for f in fake_items(graph)]
    assert len(keys) == len(set(keys)) == 40
    # Deletes are idempotent the same way: a retried delete that had landed is not an error.
    graph.fake.knobs.drop_batches = 1
    deleted = await store.delete("CourseCompletions", [f"{n:06d}_E-SEC" for n in range(10)])
    assert all(r.ok for r in deleted) and len(fake_items(graph)) == 30


async def test_expired_delta_token_means_full_reenumeration(
    graph: RunningFake, store: SharePointListStore
) -> None:
    await store.upsert("CourseCompletions", [completion(n) for n in range(5)])
    first = await store.changes("CourseCompletions", None)
    assert first.full and len(first.items) == 5
    await store.upsert("CourseCompletions", [completion(9)])
    await store.delete("CourseCompletions", ["000000_E-SEC"])
    second = await store.changes("CourseCompletions", first.token)
    assert [i.key for i in second.items] == ["000009_E-SEC"] and second.deleted == ("000000_E-SEC",)
    graph.fake.knobs.expire_delta_tokens = True
    again = await store.changes("CourseCompletions", second.token)
    assert again.full and sorted(i.key for i in again.items) == sorted(
        f"{n:06d}_E-SEC" for n in (1, 2, 3, 4, 9))


async def test_the_fake_refuses_what_graph_refuses(graph: RunningFake, store: SharePointListStore) -> None:
    """The fake follows the service: these are Graph's rules, checked through our transport."""
    graph.fake.knobs.list_view_threshold = 3
    await store.upsert("CourseCompletions", [completion(n) for n in range(5)])
    state = await store._state("CourseCompletions")
    t = store.transport
    with pytest.raises(PermanentError, match="not indexed"):
        await t.call("GET", store._list_path(state, "/items?$filter=fields/ProgressPercent eq 100"))
    with pytest.raises(PermanentError, match="not recognized"):
        await t.call("POST", store._list_path(state, "/items"), {"fields": {"Title": "x", "Colour": "red"}})
    item_id = state.index["000001_E-SEC"][0]
    with pytest.raises(StoreError, match="412"):
        await t.call("PATCH", store._list_path(state, f"/items/{item_id}/fields"), {"Status": "修了"},
                     headers={"If-Match": '"stale,1"'})
    too_many = [{"id": str(n), "method": "GET", "url": store._list_path(state, "/items")} for n in range(21)]
    with pytest.raises(PermanentError, match="exceeds the limit"):
        await t.call("POST", "/$batch", {"requests": too_many})
    absolute = [{"id": "1", "method": "GET", "url": t.absolute(store._list_path(state, "/items"))}]
    _, _, body = await t.call("POST", "/$batch", {"requests": absolute})
    assert body["responses"][0]["status"] == 400


async def test_a_wrong_secret_names_tenant_and_client_but_never_the_secret(
    graph: RunningFake, tmp_path: Path
) -> None:
    wrong = "Wr0ng-secret-value-123"
    with pytest.raises(AuthError) as info:
        await SharePointListStore.open(settings_for(graph, tmp_path, client_secret=wrong))
    message = str(info.value)
    assert graph.fake.tenant_id in message and graph.fake.client_id in message
    assert "AADSTS7000215" in message and wrong not in message


async def test_site_not_found_by_url_or_id(graph: RunningFake, tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="site not found.*DX_SITE"):
        await SharePointListStore.open(settings_for(
            graph, tmp_path, site_url="https://contoso.sharepoint.com/sites/nope"))
    with pytest.raises(PermanentError, match="site not found.*DX_SITE"):
        await SharePointListStore.open(settings_for(graph, tmp_path, site_url=None,
                                                    site_id="contoso.sharepoint.com,1,2"))


async def test_site_by_id_through_the_sdk(graph: RunningFake, tmp_path: Path) -> None:
    s = await SharePointListStore.open(settings_for(graph, tmp_path, site_url=None,
                                                    site_id=graph.fake.site_id))
    assert s.site_id == graph.fake.site_id
    await s.close()


async def test_a_missing_site_grant_says_which_permission_and_how(
    graph: RunningFake, tmp_path: Path
) -> None:
    graph.fake.knobs.granted = False
    with pytest.raises(AuthError) as info:
        await SharePointListStore.open(settings_for(graph, tmp_path))
    message = str(info.value)
    assert "Sites.Selected" in message and "POST /sites/{site-id}/permissions" in message
    assert "403" in message


def _client_certificate(folder: Path) -> tuple[Path, Any]:
    """A self-signed RSA certificate and key in one PEM, as an app registration would hold."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dx-community-app")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = folder / "app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))
    return path, key.public_key()


async def test_certificate_credential(graph: RunningFake, tmp_path: Path) -> None:
    pem, public_key = _client_certificate(tmp_path)
    graph.fake.certificates.append(public_key)
    s = await SharePointListStore.open(settings_for(graph, tmp_path, client_secret=None,
                                                    client_certificate_path=pem))
    assert s.site_id == graph.fake.site_id
    await s.close()
    (tmp_path / "other").mkdir()
    other, _ = _client_certificate(tmp_path / "other")  # a certificate the app never registered
    with pytest.raises(AuthError, match="AADSTS700027"):
        await SharePointListStore.open(settings_for(graph, tmp_path, client_secret=None,
                                                    client_certificate_path=other))


async def test_proxy_carries_both_token_and_graph_calls(graph: RunningFake, tmp_path: Path) -> None:
    from tests.fakes.proxy import serve_connect_proxy

    async with serve_connect_proxy() as proxy:
        s = await SharePointListStore.open(settings_for(
            graph, tmp_path, https_proxy=f"http://127.0.0.1:{proxy.port}"))
        try:
            await s.ensure_list(load_list_specs()["FAQ"])
        finally:
            await s.close()
    target = graph.base_url.removeprefix("https://")
    assert proxy.tunnels[target] >= 2 and graph.fake.counters["token_requests"] >= 1

    # The token request on its own goes through the proxy too.
    import aiohttp

    from liststore.sharepoint.client import build_credential, graph_scope, ssl_context

    async with serve_connect_proxy() as proxy:
        settings = settings_for(graph, tmp_path, https_proxy=f"http://127.0.0.1:{proxy.port}")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context(settings))) as session:
            credential = build_credential(settings, session)
            token = await credential.get_token(graph_scope(settings))
            await credential.close()
        assert token.token in graph.fake.tokens
        assert proxy.tunnels == {target: 1}


async def test_edits_made_by_hand_in_sharepoint_do_not_break_writes(
    graph: RunningFake, store: SharePointListStore
) -> None:
    await store.upsert("CourseCompletions", [completion(1), completion(2)])
    lst = graph.fake.list_by_name("CourseCompletions")
    # Someone deletes item 1 in the SharePoint UI, and adds item 3 with our key format by hand.
    gone = next(i for i in lst.items.values() if i.fields["CompletionKey"] == "000001_E-SEC")
    graph.fake.dispatch("DELETE", f"/sites/{graph.fake.site_id}/lists/{lst.id}/items/{gone.id}", "", {}, None)
    graph.fake.dispatch("POST", f"/sites/{graph.fake.site_id}/lists/{lst.id}/items", "", {},
                        {"fields": {"Title": "手入力", "CompletionKey": "000003_E-SEC",
                                    "StaffNumber": "000003", "CourseCode": "E-SEC", "Status": "受講中"}})
    results = await store.upsert("CourseCompletions", [
        Upsert("000001_E-SEC", {"Status": "受講中"}),  # our index still has it: PATCH meets 404
        completion(3),                                  # unknown to us: POST meets 409
    ])
    assert results[0].outcome is Outcome.FAILED and "required" in (results[0].error or "")
    assert results[1].ok
    keys = sorted(i.fields["CompletionKey"] for i in lst.items.values())
    assert keys == ["000002_E-SEC", "000003_E-SEC"]
    (three,) = [i for i in lst.items.values() if i.fields["CompletionKey"] == "000003_E-SEC"]
    assert three.fields["Status"] == "修了" and three.fields["Title"].startswith("職員3")
    # With every column, the deleted item is simply created again.
    (again,) = await store.upsert("CourseCompletions", [completion(1)])
    assert again.outcome is Outcome.CREATED and len(lst.items) == 3


async def test_the_key_index_survives_a_restart_without_relisting(graph: RunningFake, tmp_path: Path) -> None:
    settings = settings_for(graph, tmp_path, graph_ru_per_minute=100000)
    first = await SharePointListStore.open(settings)
    await first.ensure_list(load_list_specs()["CourseCompletions"])
    await first.upsert("CourseCompletions", [completion(n) for n in range(50)])
    await first.close()
    assert (tmp_path / "graph-index.sqlite3").exists()

    before = graph.fake.counters.copy()
    second = await SharePointListStore.open(settings)
    try:
        results = await second.upsert("CourseCompletions", [completion(n, ProgressPercent=100)
                                                            for n in range(50)])
        assert [r.outcome for r in results] == [Outcome.UPDATED] * 50
        # One incremental delta call from the saved token, not a re-listing of the list.
        assert graph.fake.counters["delta_full"] == before["delta_full"]
        assert graph.fake.counters["delta_incremental"] - before["delta_incremental"] == 1
        assert graph.fake.counters["POST _post_item"] == before["POST _post_item"]
    finally:
        await second.close()


async def test_a_permanent_refusal_is_reported_with_the_items_key(
    graph: RunningFake, store: SharePointListStore
) -> None:
    # A column removed from SharePoint by hand, before provisioning puts it back.
    del graph.fake.list_by_name("CourseCompletions").columns["ProgressPercent"]
    results = await store.upsert("CourseCompletions", [completion(1, ProgressPercent=50), completion(2)])
    assert results[1].outcome is Outcome.CREATED
    assert results[0].outcome is Outcome.FAILED
    assert "000001_E-SEC" in (results[0].error or "") and "ProgressPercent" in (results[0].error or "")


async def test_managed_identity(graph: RunningFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # App Service publishes its identity endpoint in these variables; here it is the fake.
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{graph.base_url}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", graph.fake.identity_header)
    s = await SharePointListStore.open(settings_for(graph, tmp_path, client_secret=None,
                                                    use_managed_identity=True))
    try:
        await s.ensure_list(load_list_specs()["KPI"])
    finally:
        await s.close()
    assert graph.fake.counters["msi_requests"] >= 1 and graph.fake.counters["token_requests"] == 0
