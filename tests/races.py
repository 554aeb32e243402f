"""Requests that race each other inside the running app, and proof that they did.

A race test that passes when nothing overlapped proves nothing: each test counts the pairs of
requests that were in the app at the same time (`overlapping_pairs`) and asserts there were
some, beside the mix of answers it expects.
"""

import asyncio
import time
from typing import Any

import httpx
from fastapi.testclient import TestClient

Timed = tuple[httpx.Response, float, float]  # the answer, when it was sent, when it came


def race(
    client: TestClient, requests: list[tuple[str, str, dict[str, Any]]], stagger: float = 0.0
) -> list[Timed]:
    """Send `requests` ([(method, url, kwargs)]) all at once into the running app (without the
    test client's hooks: POSTs that write need their own Idempotency-Key), and return each
    answer with the moments it was sent and answered. With `stagger`, each starts that many
    seconds after the one before it, still while the others run."""

    async def send_all() -> list[Timed]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=dict(client.headers)
        ) as concurrent:

            async def send(order: int, method: str, url: str, kwargs: dict[str, Any]) -> Timed:
                await asyncio.sleep(order * stagger)
                sent = time.perf_counter()
                response = await concurrent.request(method, url, **kwargs)
                return response, sent, time.perf_counter()

            return await asyncio.gather(
                *(send(order, *request) for order, request in enumerate(requests))
            )

    return client.portal.call(send_all)  # type: ignore[union-attr]


def overlapping_pairs(timed: list[Timed]) -> int:
    """How many pairs of requests were in the app at the same time."""
    spans = sorted((sent, answered) for _, sent, answered in timed)
    return sum(
        1
        for i, (_, answered) in enumerate(spans)
        for later_sent, _ in spans[i + 1 :]
        if later_sent < answered
    )
