import json

import pytest
import typer
from typer.testing import CliRunner

from planner.cli import plan

app = typer.Typer()
app.command()(plan)
runner = CliRunner()


def test_kukar_table():
    result = runner.invoke(app, ["--preset", "kukar", "--date", "2025-07-21", "--draws", "200"])
    assert result.exit_code == 0, result.output
    assert "Launch comparison: 1,008 participants" in result.output
    assert "Recommendation" in result.output and "Sensitivity" in result.output


def test_json_and_chart(tmp_path):
    chart = tmp_path / "cost.svg"
    result = runner.invoke(
        app,
        [
            "--preset",
            "kukar",
            "--date",
            "2025-07-21",
            "--json",
            "--chart",
            str(chart),
            "--draws",
            "100",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["participants"] == 1008
    assert set(data["plans"]) == {"offline_central", "online", "hybrid_hubs"}
    assert data["request"]["seed"] == 3
    assert data["catalog_version"]
    assert chart.read_bytes().startswith(b"<?xml")


def test_participants_scales_the_preset_and_set_overrides():
    result = runner.invoke(
        app,
        [
            "--participants",
            "500",
            "--json",
            "--draws",
            "10",
            "--set",
            "meal.lunch=55000",
            "--date",
            "2026-01-05",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["participants"] == 500
    assert data["request"]["overrides"] == {"meal.lunch": "55000"}


def test_custom_catalog(tmp_path):
    path = tmp_path / "shs.toml"
    path.write_text(
        'base = "default"\nversion = "my-shs"\n[entries."perdiem.luar_kota"]\nvalue = 450000\n'
    )
    result = runner.invoke(app, ["--catalog", str(path), "--json", "--draws", "10"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["catalog_version"] == "my-shs"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "meal.lunch"], "KEY=NUMBER"),
        (["--set", "platform.zoom_pro.cap=-1"], 'overrides["platform.zoom_pro.cap"]'),
        (["--chart", "out.gif"], ".svg or .png"),
        (["--date", "21/07/2025"], "YYYY-MM-DD"),
    ],
)
def test_bad_options_exit_non_zero(args, needle):
    result = runner.invoke(app, [*args, "--draws", "10"])
    assert result.exit_code == 2
    assert needle in result.output
