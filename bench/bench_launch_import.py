"""Importing the national launch's delegates: 100,000 registrations from one file.

A fresh PostgreSQL database (KOPDES_BENCH_POSTGRES_URL, default the local cluster; dropped and
recreated) with the national demo data (83,762 cooperatives, one per village), a saved national
plan and a launch run from it (its hubs: one per regency), every hub's capacity raised so that
the file fits. Then 100,000 delegates (one per village, and a second one for the first 16,238
villages) are posted as CSV, and again as XLSX to a second launch, to
`POST /api/v1/launches/{id}/registrations/import` on one uvicorn worker. Prints the wall clock of
each file against the target (60 s), and checks afterwards in the database that every delegate
was written once with a code of their own.

    .venv/bin/python bench/bench_launch_import.py
"""

import asyncio
import csv
import io
import os
import subprocess
import time

import asyncpg
import httpx
from common import BIN, ROOT, prepare_database, serve
from openpyxl import Workbook

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_launch_import"
PORT = 8767
ADMIN, PASSWORD = "bench-admin", "bench-admin-password"
DELEGATES = 100_000
TARGET_SECONDS = 60
HEADER = ["Kode Desa", "Nama", "Peran", "Telepon"]
ROLES = ["ketua", "pengurus", "pengawas", "anggota", "manajer"]


def delegate_rows(villages: list[str]) -> list[list[str]]:
    rows = []
    for number in range(DELEGATES):
        village = villages[number % len(villages)]
        phone = f"0812{number:08d}" if number % 3 == 0 else ""
        rows.append([village, f"Utusan {number + 1}", ROLES[number % len(ROLES)], phone])
    return rows


def csv_file(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode()


def xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def villages_and_room(url: str, launch_ids: list[int]) -> list[str]:
    """The villages with a cooperative, and room enough in every hub of the launches."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "UPDATE launch_hub SET capacity = $1 WHERE launch_id = ANY($2::int[])",
            DELEGATES,
            launch_ids,
        )
        return [
            r["village_code"]
            for r in await connection.fetch(
                "SELECT village_code FROM cooperative WHERE NOT is_joint ORDER BY village_code"
            )
        ]
    finally:
        await connection.close()


async def written(url: str, launch_id: int) -> tuple[int, int]:
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT code) AS codes FROM launch_registration "
            "WHERE launch_id = $1",
            launch_id,
        )
        return found["n"], found["codes"]
    finally:
        await connection.close()


def create_launches(base: str, headers: dict[str, str], count: int) -> list[int]:
    plan = httpx.post(
        f"{base}/api/v1/launch-plans",
        headers={**headers, "Idempotency-Key": "bench-plan"},
        json={
            "name": "Peluncuran nasional",
            "region": "",
            "inputs": {
                "preset": "national",
                "event": {"date": "2026-12-20", "hours": 3},
                "draws": 10,
            },
        },
        timeout=120,
    )
    plan.raise_for_status()
    ids = []
    for number in range(count):
        launch = httpx.post(
            f"{base}/api/v1/launches",
            headers={**headers, "Idempotency-Key": f"bench-launch-{number}"},
            json={
                "plan_id": plan.json()["id"],
                "format": "hybrid_hubs",
                "name": f"Peluncuran nasional {number + 1}",
                "starts_at": "2026-12-20T09:00:00+07:00",
                "ends_at": "2026-12-20T12:00:00+07:00",
            },
            timeout=120,
        )
        launch.raise_for_status()
        ids.append(launch.json()["id"])
    return ids


def main() -> None:
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    raw_url = url.replace("postgresql+asyncpg://", "postgresql://")
    print(f"load average {os.getloadavg()[0]:.1f}; preparing the national demo data")
    prepare_database(url, demo="national")
    subprocess.run(
        [BIN / "kopdes", "users", "create-admin", "--username", ADMIN, "--region-scope", ""],
        cwd=ROOT,
        env={**os.environ, "KOPDES_DATABASE_URL": url, "KOPDES_ADMIN_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    failed = []
    with serve(url, PORT, 1) as (base, _):
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        launch_ids = create_launches(base, headers, 2)
        villages = asyncio.run(villages_and_room(raw_url, launch_ids))
        rows = delegate_rows(villages)
        files = [
            ("utusan.csv", csv_file(rows), "text/csv"),
            (
                "utusan.xlsx",
                xlsx_file(rows),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ]
        print(f"{len(villages):,} villages with a cooperative; {len(rows):,} delegates")
        for launch_id, (name, content, media_type) in zip(launch_ids, files, strict=True):
            started = time.perf_counter()
            response = httpx.post(
                f"{base}/api/v1/launches/{launch_id}/registrations/import",
                headers=headers,
                files={"file": (name, content, media_type)},
                timeout=600,
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise SystemExit(f"import failed: {response.status_code} {response.text[:2000]}")
            count, codes = asyncio.run(written(raw_url, launch_id))
            verdict = "ok" if elapsed < TARGET_SECONDS else "MISSED"
            print(
                f"import {name:12} {len(content) / 2**20:5.1f} MB  "
                f"{response.json()['registrations_created']:,} delegates in {elapsed:5.1f} s "
                f"(target {TARGET_SECONDS} s: {verdict}); in the database: {count:,} rows, "
                f"{codes:,} distinct codes"
            )
            if elapsed >= TARGET_SECONDS or count != DELEGATES or codes != DELEGATES:
                failed.append(name)
    if failed:
        raise SystemExit(f"missed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
