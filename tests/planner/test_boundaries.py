import subprocess
import sys

FORBIDDEN = ("fastapi", "sqlmodel", "sqlalchemy", "starlette", "pydantic_settings", "app")


def test_planner_imports_no_web_or_database_code():
    code = (
        "import sys, planner, planner.cli, planner.chart\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_planner_does_not_import_matplotlib_until_a_chart_is_drawn():
    code = "import sys, planner; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
