"""Refresh the office guide's screenshots from the browser tests' own.

The browser tests (tests/web) keep a full-page screenshot of every page they check, at phone
and desktop size, in test-artifacts/screenshots/. This copies the ones the guide shows into
docs/images/: the top of the page (what a screen shows first), narrowed and reduced to a small
palette, so that the guide stays light to clone. Run it after the tests:

    make test            # or: .venv/bin/python -m pytest tests/web
    .venv/bin/python docs/images/refresh.py
"""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
HERE = Path(__file__).parent
# The guide's pages, each as the test that checks it names it, with the size it is shown at.
PAGES = {
    "masuk": "desktop",
    "beranda": "desktop",
    "koperasi": "desktop",
    "koperasi-satu": "desktop",
    "meja": "desktop",
    "konsultasi": "desktop",
    "tindak-lanjut": "desktop",
    "pelatihan": "desktop",
    "pelatihan-satu": "desktop",
    "pelatihan-hadir": "phone",
    "daftar-hadir": "desktop",
    "anggaran": "desktop",
    "anggaran-impor-ditolak": "desktop",
    "pergeseran-baru": "desktop",
    "pergeseran-satu": "desktop",
    "rencana-satu": "desktop",
    "rencana-banding": "desktop",
    "peluncuran-satu": "desktop",
    "peluncuran-check-in-hasil": "phone",
    "peluncuran-papan": "desktop",
    "unduh": "desktop",
    "kalender-tautan": "phone",
    "admin-pengguna": "desktop",
    "admin-kunci-api-baru": "desktop",
    "admin-audit": "desktop",
    "akun": "desktop",
}
WIDTH = {"desktop": 960, "phone": 390}
# The first screenfuls: enough to show what the page is for, not its whole length.
MAX_HEIGHT = {"desktop": 1100, "phone": 1400}


def refresh(name: str, size: str) -> Path:
    with Image.open(SHOTS / f"{name}-{size}.png") as shot:
        scale = WIDTH[size] / shot.width
        top = shot.crop((0, 0, shot.width, min(shot.height, int(MAX_HEIGHT[size] / scale))))
        small = top.convert("RGB").resize(
            (WIDTH[size], round(top.height * scale)), Image.Resampling.LANCZOS
        )
        target = HERE / f"{name}.png"
        small.quantize(colors=64).save(target, optimize=True)
    return target


def main() -> None:
    missing = [
        f"{name}-{size}.png"
        for name, size in PAGES.items()
        if not (SHOTS / f"{name}-{size}.png").exists()
    ]
    if missing:
        raise SystemExit(f"run the browser tests first; missing in {SHOTS}: {', '.join(missing)}")
    for name, size in PAGES.items():
        target = refresh(name, size)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
