"""The `kopdes` command: loading reference and demo data, and planning a launch (`kopdes plan`)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller, Principal
from app.access.permissions import ROLE_PERMISSIONS
from app.access.security import NikCipher
from app.core.db import cli_session
from app.errors import AppError
from app.http import idempotency
from app.http.idempotency import Writer
from app.models.account import Role, UserAccount, UserCreate
from app.seed import demo
from app.services import accounts, cooperative_import, regions
from app.settings import get_settings
from planner.cli import plan

cli = typer.Typer(help="Kopdes service administration.", no_args_is_help=True)
regions_cli = typer.Typer(help="Kemendagri region reference data.", no_args_is_help=True)
demo_cli = typer.Typer(
    help="Demonstration data (never mixed with real records).", no_args_is_help=True
)
users_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
cooperatives_cli = typer.Typer(help="The cooperatives registry.", no_args_is_help=True)
idempotency_cli = typer.Typer(
    help="The stored answers of requests made with an Idempotency-Key.", no_args_is_help=True
)
cli.add_typer(regions_cli, name="regions")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(users_cli, name="users")
cli.add_typer(cooperatives_cli, name="cooperatives")
cli.add_typer(idempotency_cli, name="idempotency")
cli.command("plan")(plan)

T = TypeVar("T")


def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        async with cli_session() as session:
            return await work(session)

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
    scale: Annotated[
        demo.Scale,
        typer.Option(
            help="kukar: Kukar's 237 cooperatives. national: one cooperative per village loaded "
            "(83,762), with consultations, follow-ups, trainings and budget lines."
        ),
    ] = demo.Scale.kukar,
    skip_if_real_records: Annotated[
        bool,
        typer.Option(help="Exit successfully, loading nothing, when real records exist."),
    ] = False,
) -> None:
    """Create demo cooperatives (and, at national scale, their activity). Refuses a database
    that holds real records."""
    settings = get_settings()
    cipher = NikCipher(settings.nik_encryption_key.get_secret_value())
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("demo villages"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("load", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = _with_session(
                lambda session: demo.load_demo(session, cipher, scale=scale, progress=progress)
            )
    except demo.RealRecordsPresent as exc:
        typer.echo(f"demo data not loaded: {exc}", err=True)
        raise typer.Exit(code=0 if skip_if_real_records else 1) from None
    except LookupError as exc:
        typer.echo(f"demo data not loaded: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if scale is demo.Scale.national:
        written = ", ".join(f"{table} {n:,}" for table, n in report.rows.items())
        typer.echo(f"demo rows ({time.perf_counter() - started:.0f} s): {written}")
    typer.echo(f"demo cooperatives: {report.created} created, {report.already_there} already there")
    if settings.environment == "prod":
        typer.echo("demo accounts: never created in prod")
        return
    password = settings.demo_password.get_secret_value()
    created = _with_session(lambda session: demo.load_demo_accounts(session, password))
    typer.echo(
        f"demo accounts ({len(created)} new), scope {demo.KUKAR}, "
        "password from KOPDES_DEMO_PASSWORD (default 'demo-password'):"
    )
    for username, role in demo.DEMO_ACCOUNTS.items():
        typer.echo(f"  {username:18} {role.value}")


@users_cli.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name, lower case.")],
    region_scope: Annotated[
        str, typer.Option(help="Region code prefix, e.g. 64.02; empty for national.")
    ],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="KOPDES_ADMIN_PASSWORD",
            help="At least 12 characters (prompted for, or from KOPDES_ADMIN_PASSWORD).",
        ),
    ],
) -> None:
    """Create an administrator, e.g. the first one of a new deployment."""
    try:
        data = UserCreate(
            username=username, password=password, role=Role.admin, region_scope=region_scope
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"not created: {problems}", err=True)
        raise typer.Exit(code=1) from None

    async def create(session: AsyncSession) -> None:
        if await session.scalar(
            select(col(UserAccount.id)).where(col(UserAccount.username) == username)
        ):
            raise LookupError(f"the username {username!r} is taken")
        await accounts.create_account(
            session,
            username=data.username,
            password=data.password,
            role=Role.admin,
            region_scope=data.region_scope,
        )

    try:
        _with_session(create)
    except LookupError as exc:
        typer.echo(f"not created: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"admin {username} created, scope {region_scope or 'national'}")


# The command line acts for the whole country, as a national administrator would.
CLI_CALLER = Caller(
    principal=Principal(
        kind="system",
        id=0,
        name="cli",
        role=Role.admin,
        region_scope="",
        cooperative_id=None,
        api_scopes=frozenset(),
        permissions=ROLE_PERMISSIONS[Role.admin],
    ),
    request_id=None,
    client_ip=None,
)


@cooperatives_cli.command("import")
def cooperatives_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx.")],
) -> None:
    """Register the cooperatives of a spreadsheet, all or nothing (the columns of
    POST /api/v1/cooperatives/import). Every bad row is listed."""
    try:
        report = _with_session(
            lambda session: cooperative_import.import_cooperatives(
                Writer(session, CLI_CALLER),
                content=file.read_bytes(),
                file_name=file.name,
                content_type=None,
            )
        )
    except AppError as exc:
        typer.echo(f"nothing imported: {exc.detail}", err=True)
        for error in exc.errors or []:
            typer.echo(f"  {'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"cooperatives: {report.cooperatives_created} created from {report.rows_read} rows")


@idempotency_cli.command("purge")
def idempotency_purge() -> None:
    """Delete the stored answers of Idempotency-Keys older than 30 days, which can no longer be
    replayed and may hold phone numbers. Run it daily (cron, or a scheduled job)."""
    removed = _with_session(idempotency.purge_expired)
    typer.echo(f"idempotency: {removed} records older than 30 days removed")
