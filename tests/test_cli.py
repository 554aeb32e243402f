"""The `kopdes` command as an operator runs it, in a real process on a fresh SQLite file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

KOPDES = str(Path(sys.executable).parent / "kopdes")
ALEMBIC = str(Path(sys.executable).parent / "alembic")


def _run(args, database_url, **kwargs):
    env = {**os.environ, "KOPDES_DATABASE_URL": database_url}
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def test_regions_and_demo_load_are_idempotent_and_demo_never_mixes_with_real_records(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    assert _run([ALEMBIC, "upgrade", "head"], url).returncode == 0

    first = _run([KOPDES, "regions", "load"], url)
    assert first.returncode == 0, first.stderr
    assert "91599 in the file, 91599 new" in first.stdout
    again = _run([KOPDES, "regions", "load"], url)
    assert "91599 in the file, 0 new" in again.stdout

    demo = _run([KOPDES, "demo", "load"], url)
    assert demo.returncode == 0, demo.stderr
    assert "237 created" in demo.stdout
    assert "0 created, 237 already there" in _run([KOPDES, "demo", "load"], url).stdout

    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        db.execute("UPDATE cooperative SET is_demo = 0 WHERE id = 1")
        db.execute("DELETE FROM cooperative WHERE id = 2")
    refused = _run([KOPDES, "demo", "load"], url)
    assert refused.returncode == 1
    assert "real cooperatives" in refused.stderr
    skipped = _run([KOPDES, "demo", "load", "--skip-if-real-records"], url)
    assert skipped.returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cooperative").fetchone() == (236,)


def test_demo_load_at_national_scale_fills_every_loaded_village(tmp_path):
    """Only Tabang's villages are loaded here: the national scale takes every village loaded."""
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.db import build_engine
    from app.services import regions
    from app.settings import Settings

    url = f"sqlite:///{tmp_path}/national.sqlite3"
    assert _run([ALEMBIC, "upgrade", "head"], url).returncode == 0
    rows = [
        r
        for r in regions.read_region_file()
        if "64.02.12".startswith(r["code"]) or r["code"].startswith("64.02.12.")
    ]

    async def load() -> None:
        engine = build_engine(Settings(database_url=url))
        async with AsyncSession(engine) as session:
            await regions.load_regions(session, rows)
        await engine.dispose()

    asyncio.run(load())
    villages = sum(1 for r in rows if len(r["code"]) == 13)

    loaded = _run([KOPDES, "demo", "load", "--scale", "national"], url)
    assert loaded.returncode == 0, loaded.stderr
    assert f"{villages} created" in loaded.stdout
    assert f"cooperative {villages}," in loaded.stdout
    with sqlite3.connect(tmp_path / "national.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cooperative WHERE is_demo").fetchone() == (
            villages,
        )
        assert db.execute("SELECT count(*) FROM consultation").fetchone()[0] >= 4 * villages


def test_cooperatives_import_from_the_command_line_is_all_or_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/import.sqlite3"
    assert _run([ALEMBIC, "upgrade", "head"], url).returncode == 0
    assert _run([KOPDES, "regions", "load"], url).returncode == 0
    bad = tmp_path / "koperasi.csv"
    bad.write_text(
        "Nama Koperasi,Kode Desa\nKDMP Gunung Sari,64.02.12.2001\nKDMP Tak Ada,64.02.12.2999\n"
    )
    refused = _run([KOPDES, "cooperatives", "import", str(bad)], url)
    assert refused.returncode == 1
    assert "file.row.3.village_code" in refused.stderr
    good = tmp_path / "baik.csv"
    good.write_text("Nama Koperasi,Kode Desa\nKDMP Gunung Sari,64.02.12.2001\n")
    imported = _run([KOPDES, "cooperatives", "import", str(good)], url)
    assert imported.returncode == 0, imported.stderr
    assert "1 created from 1 rows" in imported.stdout
    with sqlite3.connect(tmp_path / "import.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cooperative").fetchone() == (1,)
        assert db.execute(
            "SELECT actor FROM audit_event WHERE action = 'cooperative.import'"
        ).fetchall() == [("system:cli",)]


def test_idempotency_purge_removes_only_keys_past_their_window(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    assert _run([ALEMBIC, "upgrade", "head"], url).returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        for key, created_at in (
            ("old", "2020-01-01 00:00:00.000000"),
            ("recent", "2999-01-01 00:00:00.000000"),
        ):
            db.execute(
                "INSERT INTO idempotency_record (actor, key, operation, request_hash, status, "
                "response_status, response_body, created_at) VALUES ('user:ani', ?, "
                "'POST /api/v1/cooperatives', 'h', 'completed', 201, "
                '\'{"contact_phone": "+6281234567890"}\', ?)',
                (key, created_at),
            )

    purged = _run([KOPDES, "idempotency", "purge"], url)

    assert purged.returncode == 0, purged.stderr
    assert "1 records older than 30 days removed" in purged.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        assert db.execute("SELECT key FROM idempotency_record").fetchall() == [("recent",)]
