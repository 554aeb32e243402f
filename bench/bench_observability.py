"""What metrics and the access log cost per request: ``python bench/bench_observability.py``.

Serves `GET /healthz` in-process (no network, no database) from two apps, one as built and one
without `ObservabilityMiddleware`, with the JSON access line written to /dev/null, and prints
the median time per request of each and the difference.
"""

import asyncio
import logging
import os
import statistics
import tempfile
import time

import httpx

from app.core.logs import HANDLER_NAME
from app.http.observability import ObservabilityMiddleware
from app.main import create_app
from app.settings import Settings

REQUESTS = 2000
ROUNDS = 7


async def per_request_us(client: httpx.AsyncClient) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        await client.get("/healthz")
    return (time.perf_counter() - start) / REQUESTS * 1e6


async def measure(observed, bare) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"with": [], "without": []}
    async with observed.router.lifespan_context(observed), bare.router.lifespan_context(bare):
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://b")
            for name, app in (("with", observed), ("without", bare))
        }
        for _ in range(ROUNDS):  # alternated, so that load from elsewhere hits both alike
            for name, client in clients.items():
                times[name].append(await per_request_us(client))
        for client in clients.values():
            await client.aclose()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as devnull:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.sqlite3", log_format="json")
        observed, bare = create_app(settings), create_app(settings)
        bare.user_middleware = [
            m for m in bare.user_middleware if m.cls is not ObservabilityMiddleware
        ]
        (handler,) = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
        handler.setStream(devnull)
        times = asyncio.run(measure(observed, bare))
    with_, without = statistics.median(times["with"]), statistics.median(times["without"])
    print(f"GET /healthz in-process, median of {ROUNDS} rounds of {REQUESTS} requests:")
    print(f"  with metrics and access log: {with_:7.1f} µs per request")
    print(f"  without:                     {without:7.1f} µs per request")
    print(f"  cost of observability:       {with_ - without:7.1f} µs per request")


if __name__ == "__main__":
    main()
