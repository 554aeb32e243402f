"""The `kopdes` command: loading reference and demo data, and planning a launch (`kopdes plan`)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import build_engine
from app.services import demo, regions
from app.settings import get_settings
from planner.cli import plan

cli = typer.Typer(help="Kopdes service administration.", no_args_is_help=True)
regions_cli = typer.Typer(help="Kemendagri region reference data.", no_args_is_help=True)
demo_cli = typer.Typer(
    help="Demonstration data (never mixed with real records).", no_args_is_help=True
)
cli.add_typer(regions_cli, name="regions")
cli.add_typer(demo_cli, name="demo")
cli.command("plan")(plan)

T = TypeVar("T")


def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = build_engine(get_settings())
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@regions_cli.command("load")
def regions_load() -> None:
    """Load or refresh every Kemendagri region shipped with kopdes. Safe to run again."""
    rows = regions.read_region_file()
    report = _with_session(lambda session: regions.load_regions(session, rows))
    typer.echo(f"regions: {report.rows} in the file, {report.added} new ({regions.REGION_VERSION})")
    if report.stale:
        typer.echo(
            f"warning: {len(report.stale)} regions in the database are no longer in the file "
            f"(kept, because records may point at them): {', '.join(report.stale[:10])}",
            err=True,
        )


@demo_cli.command("load")
def demo_load(
    skip_if_real_records: Annotated[
        bool,
        typer.Option(help="Exit successfully, loading nothing, when real records exist."),
    ] = False,
) -> None:
    """Create Kukar's 237 demo cooperatives. Refuses a database that holds real records."""
    try:
        report = _with_session(demo.load_demo)
    except demo.RealRecordsPresent as exc:
        typer.echo(f"demo data not loaded: {exc}", err=True)
        raise typer.Exit(code=0 if skip_if_real_records else 1) from None
    except LookupError as exc:
        typer.echo(f"demo data not loaded: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"demo cooperatives: {report.created} created, {report.already_there} already there")
