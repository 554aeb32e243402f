"""Backup and restore drill: pg_dump a small kopdes database, restore it into a new one, serve it.

The source is a database with the regions and Kukar's demo data, loaded with the `kopdes` CLI
after `alembic upgrade head`. The script dumps it with `pg_dump -Fc`, restores the dump into an
empty database with `pg_restore`, and passes when:
- the restored database is at the migration head;
- every table holds as many rows as in the source;
- the app serves it: /readyz is 200, a login and a list work, and a new record can be written
  (the id sequences came back too).

    .venv/bin/python faults/restore_drill.py
"""

import asyncio
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import httpx
from harness import connect, database_url, fail, fresh_database, login, passed, serve, until_ready
from sqlalchemy.engine import make_url

from app.core.migrations import head_revisions

PORT = 8775


def run(command: list[str], url: str) -> None:
    """Run a PostgreSQL client tool against the server of `url`."""
    parsed = make_url(url)
    env = {
        **os.environ,
        "PGHOST": parsed.host or "127.0.0.1",
        "PGPORT": str(parsed.port or 5432),
        "PGUSER": parsed.username or "postgres",
    }
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    print("running:", shlex.join(command))
    subprocess.run(command, env=env, check=True)


async def row_counts(url: str) -> dict[str, int]:
    connection = await connect(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        return {
            row["tablename"]: await connection.fetchval(
                f'SELECT count(*) FROM "{row["tablename"]}"'
            )
            for row in tables
        }
    finally:
        await connection.close()


async def revisions(url: str) -> set[str]:
    connection = await connect(url)
    try:
        return {row["version_num"] for row in await connection.fetch("TABLE alembic_version")}
    finally:
        await connection.close()


async def recreate_empty(url: str) -> None:
    name = make_url(url).database
    admin = await connect(make_url(url).set(database="postgres").render_as_string(False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def use_restored(base: str, cooperatives: int) -> None:
    await until_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        admin = await login(client, "demo-admin")
        listed = await client.get("/api/v1/cooperatives?total=true&page_size=5", headers=admin)
        created = await client.post(
            "/api/v1/budget-lines",
            headers={**admin, "Idempotency-Key": "restore-drill"},
            json={
                "fiscal_year": 2025,
                "region_code": "64.02",
                "skpd": "Dinas Koperasi dan UKM Kab. Kutai Kartanegara",
                "sub_kegiatan_code": "2.17.05.2.01.0001",
                "sub_kegiatan_name": "Pelatihan perkoperasian",
                "kode_rekening": "5.1.02.02.01.9999",
                "name": "Restore drill",
                "original_ceiling": 1_000_000,
            },
        )
    print(
        f"restored app: cooperatives list {listed.status_code}, "
        f"new budget line {created.status_code}"
    )
    if listed.status_code != 200 or listed.json().get("total") != cooperatives:
        fail(f"the restored app lists {listed.json().get('total')} of {cooperatives} cooperatives")
    if created.status_code != 201:
        fail(f"writing to the restored database failed: {created.status_code} {created.text}")


def main() -> None:
    source, restored = fresh_database("restore_source"), database_url("restored")
    with tempfile.TemporaryDirectory() as folder:
        dump = str(Path(folder) / "kopdes.dump")
        run(["pg_dump", "--format=custom", f"--file={dump}", make_url(source).database], source)
        print(f"dump: {Path(dump).stat().st_size / 1e6:.1f} MB")
        asyncio.run(recreate_empty(restored))
        run(
            [
                "pg_restore",
                "--exit-on-error",
                "--no-owner",
                "--dbname",
                make_url(restored).database,
                dump,
            ],
            restored,
        )

    expected, found = asyncio.run(row_counts(source)), asyncio.run(row_counts(restored))
    differ = {t: (n, found.get(t)) for t, n in expected.items() if found.get(t) != n}
    print(f"{len(expected)} tables, {sum(expected.values())} rows in the source")
    if differ or found.keys() != expected.keys():
        fail(f"row counts differ (source, restored): {differ or set(found) ^ set(expected)}")
    at = asyncio.run(revisions(restored))
    if at != head_revisions():
        fail(f"the restored database is at {at}, the head is {head_revisions()}")
    with serve(restored, PORT, workers=1):
        asyncio.run(use_restored(f"http://127.0.0.1:{PORT}", expected["cooperative"]))
    passed(
        f"pg_dump/pg_restore brought back {len(expected)} tables with identical row counts at "
        "the migration head, and the app served and wrote to the restored database"
    )


if __name__ == "__main__":
    main()
