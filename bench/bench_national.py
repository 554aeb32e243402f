"""The whole country: national demo data, importing 83,762 cooperatives, exporting them.

Each step starts from a fresh PostgreSQL database (KOPDES_BENCH_POSTGRES_URL, default the
local cluster; it is dropped and recreated) holding the Kemendagri regions, and prints:
- import: 83,762 cooperatives (one per village, every column filled) posted as CSV and as XLSX
  to `POST /api/v1/cooperatives/import` on one uvicorn worker, wall clock per file;
- export: the whole country from `GET /api/v1/exports/cooperatives` as CSV and as XLSX, each on
  a newly started single-worker server: its resident memory after startup and a first request
  (VmRSS) and its peak (VmHWM, from /proc/<pid>/status) after the export, and the time and size
  of the file;
- demo: `kopdes demo load --scale national`, wall clock and the rows it wrote.

    .venv/bin/python bench/bench_national.py [--skip-import] [--skip-demo]
"""

import argparse
import csv
import io
import os
import random
import subprocess
import time
from pathlib import Path

import httpx
from common import BIN, ROOT, prepare_database, serve
from openpyxl import Workbook

from app.services import regions

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_national"
PORT = 8766
ADMIN, PASSWORD = "bench-admin", "bench-admin-password"
HEADER = [
    "Nama Koperasi",
    "Kode Desa",
    "Unit Usaha",
    "Anggota Laki-laki",
    "Anggota Perempuan",
    "Aktif",
    "Telepon",
    "Nomor Akta",
    "Tanggal Akta",
    "Notaris",
    "Nomor SK AHU",
    "Tanggal SK AHU",
    "NIB",
]


def national_rows() -> list[list[str]]:
    rng = random.Random(7)
    return [
        [
            f"Koperasi Merah Putih {row['name']}",
            row["code"],
            "gerai_sembako, simpan_pinjam",
            str(rng.randint(9, 160)),
            str(rng.randint(6, 140)),
            rng.choice(("ya", "tidak")),
            f"0812{rng.randint(10_000_000, 99_999_999)}",
            str(rng.randint(1, 250)),
            "2025-06-02",
            "Notaris Ratna Dewi, S.H., M.Kn.",
            f"AHU-{rng.randint(1, 99999):07d}.AH.01.29.TAHUN 2025",
            "2025-06-20",
            f"{rng.randint(10**12, 10**13 - 1)}",
        ]
        for row in regions.read_region_file()
        if len(row["code"] or "") == 13
    ]


def csv_file(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode()


def xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Koperasi")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fresh(url: str) -> None:
    prepare_database(url, demo=None)
    subprocess.run(
        [BIN / "kopdes", "users", "create-admin", "--username", ADMIN, "--region-scope", ""],
        cwd=ROOT,
        env={**os.environ, "KOPDES_DATABASE_URL": url, "KOPDES_ADMIN_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )


def token(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}
    )
    return response.json()["access_token"]


def memory_kb(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    return {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }


def import_file(url: str, name: str, content: bytes, media_type: str) -> None:
    fresh(url)
    with serve(url, PORT, 1) as (base, _):
        started = time.perf_counter()
        response = httpx.post(
            f"{base}/api/v1/cooperatives/import",
            headers={"Authorization": f"Bearer {token(base)}"},
            files={"file": (name, content, media_type)},
            timeout=600,
        )
        elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise SystemExit(f"import failed: {response.status_code} {response.text[:2000]}")
    created = response.json()["cooperatives_created"]
    print(
        f"import {name:14} {len(content) / 2**20:5.1f} MB  {created:,} cooperatives "
        f"in {elapsed:5.1f} s"
    )


def export(url: str, export_format: str, access_token: str) -> None:
    # The token comes from another server: logging in hashes the password with Argon2id
    # (64 MiB), which would set this worker's peak by itself.
    with serve(url, PORT, 1) as (base, pid):
        bearer = {"Authorization": f"Bearer {access_token}"}
        httpx.get(f"{base}/api/v1/auth/me", headers=bearer)
        startup = memory_kb(pid)["VmRSS"]
        size = 0
        started = time.perf_counter()
        with httpx.stream(
            "GET",
            f"{base}/api/v1/exports/cooperatives",
            params={"format": export_format},
            headers=bearer,
            timeout=600,
        ) as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
        elapsed = time.perf_counter() - started
        peak = memory_kb(pid)["VmHWM"]
    print(
        f"export {export_format:5} {size / 2**20:5.1f} MB in {elapsed:5.1f} s; worker RSS "
        f"{startup / 1024:.0f} MB after startup, peak {peak / 1024:.0f} MB"
    )


def demo_load(url: str) -> None:
    prepare_database(url, demo=None)
    started = time.perf_counter()
    done = subprocess.run(
        [BIN / "kopdes", "demo", "load", "--scale", "national"],
        cwd=ROOT,
        env={**os.environ, "KOPDES_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    rows = next(line for line in done.stdout.splitlines() if line.startswith("demo rows"))
    print(f"demo load --scale national: {elapsed:.0f} s wall clock; {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-demo", action="store_true", help="Leave out the demo load.")
    parser.add_argument("--skip-import", action="store_true", help="Export what is there.")
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    rows = national_rows()
    print(f"{len(rows):,} villages; load average {os.getloadavg()[0]:.1f}")
    xlsx_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if not args.skip_import:
        import_file(url, "koperasi.xlsx", xlsx_file(rows), xlsx_media_type)
        import_file(url, "koperasi.csv", csv_file(rows), "text/csv")
    # The database now holds the whole country, imported from the CSV.
    with serve(url, PORT, 1) as (base, _):
        access_token = token(base)
    export(url, "csv", access_token)
    export(url, "xlsx", access_token)
    if not args.skip_demo:
        demo_load(url)


if __name__ == "__main__":
    main()
