"""`/metrics` under several uvicorn workers, served the way the Docker entrypoint serves it."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

BIN = Path(sys.executable).parent
MAX_REQUESTS = 400


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def test_all_workers_are_counted_and_a_dead_workers_pool_is_forgotten(tmp_path):
    url = f"sqlite:///{tmp_path}/workers.sqlite3"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "KOPDES_DATABASE_URL": url,
        "KOPDES_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    migrated = subprocess.run(
        [BIN / "alembic", "upgrade", "head"], env=env, capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [BIN / "uvicorn", "--factory", "app.main:create_app", "--port", str(port)]
        + ["--workers", "2"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    answered_by: set[int] = set()  # the processes that wrote access lines
    reader = threading.Thread(target=_read_access_lines, args=(server, answered_by), daemon=True)
    reader.start()
    try:
        _wait_until_up(base, server)
        before = _sample(httpx.get(base + "/metrics").text, "http_requests_total", "/healthz")
        sent = _until_both_answer(base, answered_by)
        scraped = httpx.get(base + "/metrics").text
        after = _sample(scraped, "http_requests_total", "/healthz")
        assert after - before == sent
        two_pools = _sample(scraped, "kopdes_db_pool_size")

        # uvicorn replaces a worker that dies; the dead one's pool must not be counted.
        killed = next(iter(answered_by))
        os.kill(killed, signal.SIGKILL)
        _until_both_answer(base, answered_by, but=killed)
        assert _sample(httpx.get(base + "/metrics").text, "kopdes_db_pool_size") == two_pools
    finally:
        server.terminate()
        server.wait(timeout=30)


def _until_both_answer(base: str, answered_by: set[int], but: int | None = None) -> int:
    """Sends requests, each on a new connection, until two workers (other than `but`) have
    answered some."""
    sent = 0
    while sent < 20 or len(answered_by - {but}) < 2:
        assert sent < MAX_REQUESTS, f"only {answered_by} answered"
        try:
            assert httpx.get(base + "/healthz").status_code == 200
        except httpx.TransportError:  # the connection went to the worker just killed
            continue
        sent += 1
    return sent


def _read_access_lines(server: subprocess.Popen, answered_by: set[int]) -> None:
    assert server.stderr is not None
    for line in server.stderr:
        if line.startswith("{"):
            record = json.loads(line)  # every line a worker writes is JSON
            if record["logger"] == "kopdes.access":
                answered_by.add(record["process"])


def _sample(text: str, name: str, route: str | None = None) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels.get("route") == route
    )
