"""Graph write paths against the fake, side by side in one run.

1. Bulk create: HTTP requests to create N items with our $batch path, against the target
   ≤ 1.05 × ⌈N / 20⌉ plus provisioning, and against the SDK's one-request-per-item path.
2. Under a resource-unit budget: sustained write throughput as a share of what the budget
   allows (its burst plus its refill over the elapsed time), items lost or duplicated, and
   429s seen — our paced $batch path against the SDK's default path (kiota's retry handler,
   one request per item, the same concurrency).

The budget's window is compressed from SharePoint's minute to a few seconds on both sides
(the fake and our pacer), so a sustained run takes seconds, not minutes.

    python -m benchmarks.graph_bench [--items 40000] [--budget-items 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem
from msgraph_core import GraphClientFactory

from config.schema import load_list_specs
from config.settings import Settings
from liststore import Upsert
from liststore.sharepoint.client import graph_scope, ssl_context
from liststore.sharepoint.pacing import Pacer
from liststore.sharepoint.store import SharePointListStore
from tests.fakes.graph_fake import GraphFake, RunningFake, serve_graph_fake

LIST = "CourseCompletions"
CHUNK = 200  # what the sync executor hands the store per call
LATENCY = 0.020


def rows(n: int, offset: int = 0) -> list[Upsert]:
    return [Upsert(f"{i:06d}_E-SEC", {"Title": f"職員{i}", "StaffNumber": f"{i:06d}", "CourseCode": "E-SEC",
                                      "Status": "修了", "ProgressPercent": 100})
            for i in range(offset, offset + n)]


def settings_for(running: RunningFake, tmp: Path) -> Settings:
    env: dict[str, Any] = {k.removeprefix("DX_").lower(): v for k, v in running.env().items()}
    return Settings(data_dir=tmp, **env)


async def open_store(running: RunningFake, tmp: Path, pacer: Pacer | None = None) -> SharePointListStore:
    store = await SharePointListStore.open(settings_for(running, tmp))
    if pacer is not None:
        store.transport.pacer = pacer
    await store.ensure_list(load_list_specs()[LIST])
    return store


async def sdk_client(running: RunningFake, tmp: Path, store: SharePointListStore) -> GraphServiceClient:
    """The SDK as a simple script uses it: default middleware, kiota's retry handler on."""
    settings = settings_for(running, tmp)
    http = httpx.AsyncClient(base_url=f"{settings.graph_endpoint}/v1.0", verify=ssl_context(settings))
    http = GraphClientFactory.create_with_default_middleware(client=http)
    host = settings.graph_endpoint.split("//")[1].split(":")[0]
    auth = AzureIdentityAuthenticationProvider(store.connection.credential, scopes=[graph_scope(settings)],
                                               allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{settings.graph_endpoint}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def sdk_create(client: GraphServiceClient, site: str, list_id: str, items: list[Upsert],
                     concurrency: int) -> int:
    """One POST per item; returns how many failed after the SDK's own retries."""
    gate = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(row: Upsert) -> None:
        nonlocal failed
        async with gate:
            body = ListItem(fields=FieldValueSet(additional_data={**row.fields, "CompletionKey": row.key}))
            try:
                await client.sites.by_site_id(site).lists.by_list_id(list_id).items.post(body)
            except Exception:  # noqa: BLE001 - the baseline counts failures, whatever they are
                failed += 1

    await asyncio.gather(*(one(r) for r in items))
    return failed


@dataclass
class Tally:
    seconds: float
    requests: int
    lost: int
    duplicated: int
    throttled: int
    ru_share: float = 0.0


def verify(fake: GraphFake, expected: int) -> tuple[int, int]:
    keys = [i.fields.get("CompletionKey") for i in fake.list_by_name(LIST).items.values()]
    return expected - len(set(keys)), len(keys) - len(set(keys))


async def bulk_create(n: int, tmp: Path) -> tuple[Tally, Tally, int]:
    fake = GraphFake()
    fake.knobs.latency = LATENCY
    async with serve_graph_fake(tmp / "a", fake) as running:
        store = await open_store(running, tmp, Pacer(None))  # an unthrottled tenant: count requests
        provisioning = fake.counters["http_requests"]
        started = time.perf_counter()
        for start in range(0, n, CHUNK):
            await store.upsert(LIST, rows(min(CHUNK, n - start), start))
        ours_s = time.perf_counter() - started
        lost, dup = verify(fake, n)
        ours = Tally(ours_s, fake.counters["http_requests"] - provisioning, lost, dup, fake.counters["429"])

        # The SDK path on a slice (its request count is exactly one per item, by construction).
        sample = min(n, 2000)
        state = await store._state(LIST)
        client = await sdk_client(running, tmp, store)
        before = fake.counters["http_requests"]
        started = time.perf_counter()
        failed = await sdk_create(client, store.site_id, state.list_id, rows(sample, 10**5), 4)
        sdk_s = (time.perf_counter() - started) * n / sample
        sdk = Tally(sdk_s, round((fake.counters["http_requests"] - before) * n / sample), failed, 0, 0)
        await store.close()
    return ours, sdk, provisioning


async def under_budget(n: int, tmp: Path, ru: float, window: float) -> tuple[Tally, Tally]:
    results = []
    for which in ("ours", "sdk"):
        fake = GraphFake()
        fake.knobs.latency = LATENCY
        async with serve_graph_fake(tmp / which, fake) as running:
            store = await open_store(running, tmp, Pacer(ru, window=window))
            state = await store._state(LIST)
            fake.set_budget(ru, window=window)  # from here on, every request spends the budget
            spent_before = fake.counters["ru"]
            before = fake.counters["http_requests"]
            started = time.perf_counter()
            if which == "ours":
                for start in range(0, n, CHUNK):
                    await store.upsert(LIST, rows(min(CHUNK, n - start), start))
                failed = 0
            else:
                client = await sdk_client(running, tmp, store)
                failed = await sdk_create(client, store.site_id, state.list_id, rows(n), 4)
            elapsed = time.perf_counter() - started
            lost, dup = verify(fake, n)
            allowed = ru + ru / window * elapsed
            spent = fake.counters["ru"] - spent_before
            results.append(Tally(elapsed, fake.counters["http_requests"] - before, max(lost, failed), dup,
                                 fake.counters["429"], spent / allowed))
            await store.close()
    return results[0], results[1]


async def main(items: int = 40000, budget_items: int = 3000) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours, sdk, provisioning = await bulk_create(items, tmp)
        target = 1.05 * math.ceil(items / 20)
        print(f"graph benchmark: fake Graph over TLS on loopback, {LATENCY * 1000:.0f} ms latency")
        print(f"  create {items} items: our $batch path {ours.requests} HTTP requests "
              f"(+{provisioning} provisioning; target <= {target:.0f}) in {ours.seconds:.1f}s; "
              f"lost {ours.lost}, duplicated {ours.duplicated}")
        print(f"  SDK one-request-per-item path: ~{sdk.requests} requests, ~{sdk.seconds:.1f}s "
              f"(measured on 2000, scaled) -> x{sdk.requests / ours.requests:.1f} requests, "
              f"x{sdk.seconds / ours.seconds:.1f} time")
        ru, window = 1200.0, 6.0
        paced, default = await under_budget(budget_items, tmp, ru, window)
        print(f"  under a budget of {ru:.0f} RU per {window:.0f}s window, {budget_items} creates:")
        for name, t in (("our paced $batch", paced), ("SDK default path", default)):
            print(f"    {name:<17} {t.ru_share:6.1%} of the budget in {t.seconds:5.1f}s, "
                  f"429s {t.throttled}, lost {t.lost}, duplicated {t.duplicated}, requests {t.requests}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40000)
    parser.add_argument("--budget-items", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.items, args.budget_items))
