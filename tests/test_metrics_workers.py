"""`/metrics` under several uvicorn workers, served the way the Docker entrypoint serves it."""

import json
import os
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


def test_all_workers_are_counted_and_logs_are_json_lines(tmp_path):
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
        before = _healthz_count(httpx.get(base + "/metrics").text)
        sent = 0
        # A new connection each time, until both workers have answered some.
        while sent < MAX_REQUESTS and (sent < 20 or len(answered_by) < 2):
            assert httpx.get(base + "/healthz").status_code == 200
            sent += 1
        after = _healthz_count(httpx.get(base + "/metrics").text)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(answered_by) == 2, "both workers should have answered"
    assert after - before == sent


def _read_access_lines(server: subprocess.Popen, answered_by: set[int]) -> None:
    assert server.stderr is not None
    for line in server.stderr:
        if line.startswith("{"):
            record = json.loads(line)  # every line a worker writes is JSON
            if record["logger"] == "kopdes.access":
                answered_by.add(record["process"])


def _healthz_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels["route"] == "/healthz"
    )
