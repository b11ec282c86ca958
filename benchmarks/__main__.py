"""Run every benchmark: `python -m benchmarks` (or `make bench`)."""

from __future__ import annotations

import asyncio

from benchmarks import (
    bot_bench,
    flood_bench,
    graph_bench,
    local_sync_bench,
    proposal_bench,
    state_bench,
    sync_bench,
)

if __name__ == "__main__":
    asyncio.run(local_sync_bench.main())
    asyncio.run(graph_bench.main())
    asyncio.run(sync_bench.main())
    asyncio.run(bot_bench.main())
    asyncio.run(flood_bench.main())
    asyncio.run(proposal_bench.main())
    asyncio.run(state_bench.main())
