"""The `partnerpulse` command line."""

import asyncio
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.progress import Progress

from partnerpulse.settings import Settings, get_settings

if TYPE_CHECKING:
    from partnerpulse.embedded import StartLock


class CommandError(Exception):
    """A mistake or a set-up problem the user must fix: printed as one line, exit code 1."""


class PartnerPulseApp(typer.Typer):
    """The command line, whose expected errors (a server that does not answer, a file that cannot be written,
    a database without tables) are one line and a non-zero exit, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            message = user_error(error)
            if message is None:
                raise
            console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
            sys.exit(1)


def user_error(error: BaseException) -> str | None:
    """The one line to show for an expected error, None for a bug (which keeps its traceback)."""
    import redis.exceptions

    from partnerpulse.doctor import describe, where

    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        url = os.environ.get("REDIS_URL") or os.environ.get("PARTNERPULSE_REDIS_URL") or ""
        return f"cannot reach Redis at {where(url)}: {describe(error)} (`partnerpulse doctor` checks the set-up)"
    if isinstance(error, asyncpg.UndefinedTableError):
        return f"the database has no PartnerPulse tables yet ({error}): run `partnerpulse migrate`"
    connect_errors = (ConnectionError, TimeoutError, socket.gaierror, asyncpg.InvalidPasswordError,
                      asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError,
                      asyncpg.CannotConnectNowError)  # fmt: skip
    if isinstance(error, connect_errors):
        url = os.environ.get("DATABASE_URL") or os.environ.get("PARTNERPULSE_DATABASE_URL") or ""
        at = f" at {where(url)}" if url else ""
        return f"cannot reach PostgreSQL{at}: {describe(error)} (`partnerpulse doctor` checks the set-up)"
    if isinstance(error, asyncpg.PostgresError):
        return f"the database refused: {error}"
    if isinstance(error, OSError) and error.filename:
        return f"cannot use {error.filename}: {error.strerror or error}"
    return None


app = PartnerPulseApp(help="PartnerPulse: satisfaction and risk of cooperation projects.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(schema_app, name="schema")
console = Console(stderr=True, soft_wrap=True)  # an error stays one line, whatever the terminal
T = TypeVar("T")
NOT_RUNNING = (
    "DATABASE_URL and REDIS_URL are not set, and PartnerPulse is not running from this folder: start it with "
    "`python3 run.py start` (commands run here then use its servers), or set both."
)


@app.callback()
def find_running_servers(context: typer.Context) -> None:
    """Without DATABASE_URL and REDIS_URL, commands use the servers of the `run.py start` (`partnerpulse dev`)
    running from this folder: its Redis listens on a port chosen at start."""
    if context.invoked_subcommand == "dev":
        return
    names = ("DATABASE_URL", "PARTNERPULSE_DATABASE_URL", "REDIS_URL", "PARTNERPULSE_REDIS_URL")
    if any(os.environ.get(name) for name in names):
        return
    from partnerpulse.embedded import running_servers

    data_dir = Path(os.environ.get("PARTNERPULSE_DATA_DIR") or Settings.model_fields["data_dir"].default)
    servers = running_servers(data_dir)
    if servers and servers.get("database_url") and servers.get("redis_url"):
        os.environ["DATABASE_URL"] = servers["database_url"]
        os.environ["REDIS_URL"] = servers["redis_url"]
        get_settings.cache_clear()


def _settings() -> Settings:
    from partnerpulse.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server under the data folder when it is not set."""
    if settings.database_url:
        return settings.database_url
    from partnerpulse.embedded import start_postgres

    return start_postgres(settings.data_dir)


def _with_connection(dsn: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        from db.pool import init_connection

        connection = await asyncpg.connect(dsn)
        await init_connection(connection)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from db.migrate import MigrationError
    from db.migrate import migrate as run_migrations

    settings = _settings()
    try:
        applied = asyncio.run(run_migrations(_database_url(settings)))
    except (MigrationError, asyncpg.PostgresError) as error:
        # e.g. 0011 refusing duplicate organization names: one line saying which, no traceback
        console.print(f"migration failed: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))


@app.command()
def seed(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same network.")] = 42,
    scale: Annotated[int, typer.Option(min=1, help="Demo network times N (625+: benchmark size).")] = 1,
    reset: Annotated[bool, typer.Option(help="Delete all data first.")] = False,
) -> None:
    """Load the demo network (or, with --scale, a large one for benchmarks) into an empty database."""
    settings = _settings()
    dsn = _database_url(settings)
    from db.migrate import migrate as run_migrations

    asyncio.run(run_migrations(dsn))
    counts = _seed(dsn, seed, scale, reset)
    console.print(", ".join(f"{n} {table}" for table, n in counts.items()))


def _seed(dsn: str, seed: int, scale: int, reset: bool) -> dict[str, int]:
    from db.demo import plan_network
    from db.seed import is_empty, load_network, truncate_all

    network = plan_network(seed=seed, scale=scale, today=date.today())

    async def work(connection: asyncpg.Connection) -> dict[str, int]:
        if reset:
            await truncate_all(connection)
        elif not await is_empty(connection):
            raise CommandError(
                "the database holds data already: `partnerpulse seed --reset` deletes all of it and loads the network"
            )
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("seeding projects", total=len(network.projects))
            return await load_network(connection, network, lambda n: progress.advance(task, n))

    return _with_connection(dsn, work)


@app.command()
def recompute(
    all_projects: Annotated[
        bool, typer.Option("--all", help="Every project at once, set-based (bulk), not only the stale ones.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Projects computed at once.")] = 4,
) -> None:
    """Recompute statistics, trends, health and flags in this process (what the workers do), then the
    portfolio. For a start with fresh data, after bulk loads, and for benchmarks."""
    settings = _settings()
    seconds, count = asyncio.run(_recompute(settings, _database_url(settings), all_projects, concurrency))
    console.print(f"recomputed {count} project(s) and the portfolio in {seconds:.2f} s")


async def _recompute(settings: Settings, dsn: str, all_projects: bool, concurrency: int) -> tuple[float, int]:
    """--all: the bulk recomputation (workers/bulk.py); otherwise the stale projects one by one."""
    from db import portfolio
    from db import recompute as recompute_sql
    from db.pool import create_pool
    from workers.bulk import recompute_all
    from workers.portfolio import publish_closed_months
    from workers.recompute import recompute as recompute_one
    from workers.recompute import thresholds

    started = time.perf_counter()
    pool_settings = settings.model_copy(
        update={"db_pool_max_size": max(concurrency, 3), "db_command_timeout": 3600.0, "db_statement_timeout_ms": 0}
    )
    pool = await create_pool(pool_settings, dsn, "partnerpulse-recompute")
    rules = thresholds(settings)
    try:
        if all_projects:
            async with pool.acquire() as connection, pool.acquire() as beside, pool.acquire() as portfolio_beside:
                result = await recompute_all(connection, rules, beside, portfolio_beside)
            for phase, seconds in result.seconds.items():
                console.print(f"  {phase}: {seconds:.2f} s")
            return time.perf_counter() - started, result.projects
        async with pool.acquire() as connection:
            ids = await recompute_sql.stale_projects(connection, limit=10**9)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for project_id in ids:
            queue.put_nowait(project_id)

        async def drain() -> None:
            async with pool.acquire() as connection:
                while not queue.empty():
                    await recompute_one(connection, queue.get_nowait(), rules)

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("recomputing projects", total=len(ids))
            tracker = asyncio.create_task(_track(progress, task, queue, len(ids)))
            await asyncio.gather(*(drain() for _ in range(concurrency)))
            tracker.cancel()
        async with pool.acquire() as connection:
            await portfolio.refresh_portfolio(connection)
            await publish_closed_months(connection, settings.min_group_size)
    finally:
        await pool.close()
    return time.perf_counter() - started, len(ids)


async def _track(progress: Progress, task: Any, queue: asyncio.Queue[int], total: int) -> None:
    while True:
        progress.update(task, completed=total - queue.qsize())
        await asyncio.sleep(0.2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: PARTNERPULSE_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PARTNERPULSE_PORT.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (one per core in production).")] = 1,
) -> None:
    """Run the API server (uvicorn with uvloop and httptools)."""
    import uvicorn

    settings = _settings()
    _require_urls(settings)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics answers for all server processes: they count into files of one folder (prometheus_client)
        metrics_dir = tempfile.mkdtemp(prefix="partnerpulse-metrics-")
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


@app.command()
def worker(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 0 when a worker reported alive recently (health checks).")
    ] = False,
) -> None:
    """Run a background worker (arq): recomputations, reconciler and cron jobs."""
    from arq.connections import RedisSettings
    from arq.worker import async_check_health
    from redis.exceptions import RedisError

    from domain.jobs import wake_key
    from workers.settings import WorkerSettings, cron_jobs, redis_settings
    from workers.waking import run_waking_worker

    settings = _settings()
    _require_urls(settings)
    if check:
        # a health check answers at once: no retrying for half a minute as a starting worker does
        check_settings = RedisSettings.from_dsn(settings.redis_url or "")
        check_settings.conn_retries, check_settings.conn_timeout = 0, 2
        try:
            code = asyncio.run(async_check_health(check_settings, queue_name=settings.queue_name))
        except (TimeoutError, OSError, RedisError) as error:
            from partnerpulse.doctor import describe, where

            raise CommandError(f"cannot reach Redis at {where(settings.redis_url or '')}: {describe(error)}") from None
        if code:
            console.print("no worker has reported in the last minute", highlight=False)
        raise typer.Exit(code)
    from partnerpulse.waiting import GaveUpWaiting

    try:
        # Redis not reachable yet: wait here (arq's own retries log every attempt and give up after 30)
        asyncio.run(_wait_for_redis(settings))
        run_waking_worker(
            WorkerSettings,
            wake_key=wake_key(settings.redis_namespace),
            wake_gather=WorkerSettings.wake_gather,
            redis_settings=redis_settings(settings.redis_url or ""),
            job_timeout=settings.worker_job_timeout,
            queue_name=settings.queue_name,
            cron_jobs=cron_jobs(settings.worker_job_timeout, settings.redis_namespace),
            job_completion_wait=settings.shutdown_grace_seconds,  # SIGTERM: stop taking jobs, finish running ones
        )
    except GaveUpWaiting as error:
        console.print(f"[red]{error}[/] (PARTNERPULSE_STARTUP_WAIT_SECONDS)", highlight=False)
        raise typer.Exit(1) from None


async def _wait_for_redis(settings: Settings) -> None:
    from redis.asyncio import Redis

    from partnerpulse.waiting import redis_unreachable, wait_for

    client = Redis.from_url(settings.redis_url or "", socket_connect_timeout=2, socket_timeout=5)
    try:
        await wait_for("Redis", client.ping, settings.startup_wait_seconds, redis_unreachable)
    finally:
        await client.aclose()


def _require_urls(settings: Settings) -> None:
    if not settings.database_url or not settings.redis_url:
        console.print(NOT_RUNNING, style="red", soft_wrap=True, highlight=False)
        raise typer.Exit(2)


@app.command()
def doctor() -> None:
    """Check configuration, PostgreSQL, migrations, Redis and the worker; say what is wrong in plain words."""
    from pydantic import ValidationError

    from partnerpulse.doctor import diagnose

    out = Console(soft_wrap=True)
    try:
        settings = get_settings()
    except ValidationError as error:
        for problem in error.errors():
            field = str(problem["loc"][0]).upper()
            variable = field if field in ("DATABASE_URL", "REDIS_URL") else f"PARTNERPULSE_{field}"
            out.print(f"[red]✗ configuration[/]: {variable}: {problem['msg']}")
        raise typer.Exit(1) from None
    checks = asyncio.run(diagnose(settings))
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        out.print(f"{mark} {check.name}: {check.detail}", highlight=False)
    healthy = all(check.ok for check in checks)
    out.print("all good" if healthy else "[red]something needs attention[/] (see ✗ above)")
    raise typer.Exit(0 if healthy else 1)


class ExportDialect(StrEnum):
    standard = "standard"
    excel_de = "excel-de"


class ExportKind(StrEnum):
    projects = "projects"
    portfolio = "portfolio"
    answers = "answers"


@app.command()
def export(
    what: Annotated[
        ExportKind,
        typer.Argument(
            help="projects: statistics per survey round; portfolio: monthly means per kind and industry; "
            "answers: individual answers (admin tokens only)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write; - for standard output.")] = Path(
        "-"
    ),
    project: Annotated[
        list[str] | None,
        typer.Option(help="A project's global id (repeatable); default: every project the token may see."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="PARTNERPULSE_TOKEN", help="The API token whose view is exported.")
    ] = None,
    dialect: Annotated[
        ExportDialect,
        typer.Option(help="standard: comma-separated, decimal point; excel-de: semicolons and decimal commas."),
    ] = ExportDialect.standard,
) -> None:
    """Write statistics as CSV, exactly as the API shows them to the token (suppression included)."""
    from partnerpulse.export import ExportError

    settings = _settings()
    try:
        rows = asyncio.run(_export(settings, _database_url(settings), what, output, project or [], token, dialect))
    except ExportError as error:
        console.print(f"[red]export failed:[/] {error}")
        raise typer.Exit(1) from None
    if str(output) != "-":
        console.print(f"wrote {rows} row(s) to {output}")


async def _export(
    settings: Settings,
    dsn: str,
    what: ExportKind,
    output: Path,
    projects: list[str],
    token: str | None,
    dialect_name: ExportDialect,
) -> int:
    from db.pool import create_pool
    from partnerpulse.export import DIALECTS, InProcessApi, portfolio_table, project_total, projects_table, write_csv

    pool = await create_pool(settings.model_copy(update={"db_pool_min_size": 1}), dsn, "partnerpulse-export")
    try:
        api = await InProcessApi.for_token(pool, settings, token)
        if what is ExportKind.portfolio:
            table = portfolio_table(api)
        else:
            table = projects_table(api, projects, answers=what is ExportKind.answers)
        total = table.total if table.total is not None else await project_total(api)
        target = sys.stdout if str(output) == "-" else output.open("w", newline="", encoding="utf-8-sig")
        try:
            # a step is a page of thousands of projects: the bar redraws a few times a second, not per row
            with Progress(console=console, transient=True, refresh_per_second=4) as progress:
                task = progress.add_task(f"exporting {what.value}", total=total)
                return await write_csv(
                    table, target, DIALECTS[dialect_name.value], lambda done: progress.advance(task, done)
                )
        finally:
            if target is not sys.stdout:
                target.close()
    finally:
        await pool.close()


@token_app.command("create")
def token_create(
    organization: Annotated[str | None, typer.Option(help="Global id of the member organization.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An admin token for the whole network.")] = False,
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Create a token; it is printed once, as the last line, and only its hash is stored."""
    from db.organizations import organization_kind
    from db.tokens import create_token
    from schema.ids import decode_organization_id

    if admin == (organization is not None):
        console.print("[red]give exactly one of --admin or --organization[/]")
        raise typer.Exit(2)
    organization_id = decode_organization_id(organization) if organization else None
    if organization and organization_id is None:
        console.print(f"[red]not an organization id:[/] {organization}")
        raise typer.Exit(2)
    settings = _settings()

    async def work(connection: asyncpg.Connection) -> tuple[int, str]:
        if organization_id is not None and await organization_kind(connection, organization_id) is None:
            console.print(f"[red]no organization with id[/] {organization}")
            raise typer.Exit(1)
        return await create_token(connection, organization_id=organization_id, label=label)

    token_id, token = _with_connection(_database_url(settings), work)
    console.print(f"token {token_id} created ({'admin' if admin else 'member'}); it is shown only now:")
    print(token)


@token_app.command("list")
def token_list(
    all_tokens: Annotated[bool, typer.Option("--all", help="Revoked tokens too.")] = False,
) -> None:
    """List tokens: id, label, organization, created, last used, revoked (never the token itself)."""
    from db.tokens import list_tokens
    from schema.ids import organization_global_id

    settings = _settings()
    tokens = _with_connection(_database_url(settings), lambda c: list_tokens(c, include_revoked=all_tokens))
    rows = [["id", "label", "organization", "created", "last used", "revoked"]]
    for t in tokens:
        owner = "admin (whole network)"
        if t["organization_id"] is not None:
            owner = f"{t['organization']} ({organization_global_id(t['organization_kind'], t['organization_id'])})"
        rows.append(
            [str(t["id"]), t["label"] or "", owner, _when(t["created_at"]), _when(t["last_used_at"]) or "never",
             _when(t["revoked_at"])]
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not tokens:
        console.print("no tokens" + ("" if all_tokens else " (--all lists revoked ones too)"))


def _when(moment: Any) -> str:
    """A timestamp to the minute, in UTC (last use is recorded in batches, about once a minute)."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id `token create` printed (`token list` shows all).")],
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from db.tokens import revoke_token

    settings = _settings()
    revoked = _with_connection(_database_url(settings), lambda c: revoke_token(c, token_id))
    console.print(f"token {token_id} revoked" if revoked else f"no live token {token_id}")
    if not revoked:
        raise typer.Exit(1)


@app.command()
def documents(
    write: Annotated[bool, typer.Option("--write", help="Write the registry to api/documents.json.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when api/documents.json is not current.")] = False,
) -> None:
    """The trusted documents (the dashboard's and the API guide's, by documentId): print, write or check them."""
    from api.documents import REGISTRY, collect, render

    try:
        text = render(collect())
    except (OSError, ValueError) as error:
        console.print(f"[red]Cannot collect the documents:[/] {str(error).splitlines()[0]}", highlight=False)
        raise typer.Exit(1) from None
    if check:
        current = REGISTRY.exists() and REGISTRY.read_text() == text
        console.print("api/documents.json is current." if current else
                      "api/documents.json is not current: run `partnerpulse documents --write`.")  # fmt: skip
        raise typer.Exit(0 if current else 1)
    if write:
        REGISTRY.write_text(text)
        console.print(f"{len(json.loads(text))} documents written to api/documents.json.")
        return
    print(text, end="")


@schema_app.command("print")
def schema_print() -> None:
    """Print the GraphQL schema (SDL)."""
    from schema import schema

    print(schema.as_str())


@app.command()
def mailbox(
    show: Annotated[int | None, typer.Option(help="Print mail number N (as listed) in full text.")] = None,
) -> None:
    """The mails `partnerpulse dev` sent to people, kept by its development mail server (oldest first)."""
    import mailbox as maildir

    from partnerpulse.embedded import mailbox_directory

    directory = mailbox_directory(_settings().data_dir)
    if not directory.exists():
        console.print(f"no mails yet: {directory} does not exist (start `partnerpulse dev`)", highlight=False)
        raise typer.Exit(0)
    box = maildir.Maildir(str(directory), create=False)
    messages = sorted((message for message in box), key=lambda message: message.get_date())
    if show is None:
        for number, message in enumerate(messages, start=1):
            print(f"{number:>4}  {message['Date']}  {message['To']}  {message['Subject']}")
        console.print(f"{len(messages)} mail(s); `partnerpulse mailbox --show N` prints one", highlight=False)
        return
    if not 1 <= show <= len(messages):
        console.print(f"[red]no mail number {show}[/] (there are {len(messages)})", highlight=False)
        raise typer.Exit(1)
    message = messages[show - 1]
    print(f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n")
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
            print(payload.decode(part.get_content_charset() or "utf-8"))


@app.command()
def dev(
    port: Annotated[int | None, typer.Option(help="Default: PARTNERPULSE_PORT (8000).")] = None,
) -> None:
    """Everything in one go: embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are not set,
    migrations, demo data, the API and a worker. Ctrl-C stops what it started; the data stays."""
    from partnerpulse.embedded import DevMailServer, RedisServer, remove_servers, write_servers

    os.environ.setdefault("PARTNERPULSE_LOG_FORMAT", "console")
    get_settings.cache_clear()
    settings = _settings()
    port = port if port is not None else settings.port
    started = time.monotonic()
    lock = _claim_data_dir(settings, port)
    console.print("[bold]PartnerPulse[/] starting …")
    database_url = _database_url(settings)
    redis_server = None
    redis_url = settings.redis_url
    if not redis_url:
        redis_server = RedisServer(settings.data_dir)
        redis_url = redis_server.start()
    mail_server = None
    smtp_url = settings.smtp_url
    if not smtp_url:
        mail_server = DevMailServer(settings.data_dir)
        smtp_url = mail_server.start()
    children: list[subprocess.Popen[bytes]] = []
    crashed = False
    # Ctrl-C and `kill` alike stop everything (a shell may start us with SIGINT ignored)
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, _raise_keyboard_interrupt)
    try:
        _prepare_database(settings, database_url)
        tokens = _demo_tokens(settings.data_dir / "demo-tokens.json", database_url)
        base = f"http://{settings.host}:{port}"
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PARTNERPULSE_SMTP_URL": smtp_url}
        # links in mails lead to this server unless a public address is configured
        env.setdefault("PARTNERPULSE_PUBLIC_URL", base)
        command = [sys.executable, "-m", "partnerpulse"]
        children.append(subprocess.Popen([*command, "serve", "--port", str(port)], env=env))
        children.append(subprocess.Popen([*command, "worker"], env=env))
        _wait_for(f"{base}/healthz", children, timeout=60)
        write_servers(settings.data_dir, {"database_url": database_url, "redis_url": redis_url, "api_url": base})
        # tokens must stay on one line each, whatever the terminal width, to be copied
        banner = _banner(base, tokens, time.monotonic() - started, smtp_url if mail_server else None)
        console.print(banner, soft_wrap=True, highlight=False)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        console.print("[red]a process exited; stopping[/]")
        crashed = True
    except KeyboardInterrupt:
        console.print("stopping …")
    finally:
        _stop_children(children)
        if redis_server:
            redis_server.stop()
        remove_servers(settings.data_dir)
        lock.release()
        if mail_server:
            mail_server.stop()
    # the embedded PostgreSQL stops when this process exits; its data stays in the data folder
    if crashed:
        raise typer.Exit(1)


def _claim_data_dir(settings: Settings, port: int) -> "StartLock":
    """The data folder's start lock, once no other `dev` runs from it and the API's port is free."""
    from partnerpulse.embedded import StartLock, running_servers

    lock = StartLock(settings.data_dir)
    if not lock.acquire():
        running = running_servers(settings.data_dir) or {}
        where = running.get("api_url") or "still starting"
        console.print(
            f"PartnerPulse is already running from this folder (process {lock.holder()}, {where}): stop it first "
            "(Ctrl-C where it runs), or give this one another PARTNERPULSE_DATA_DIR.",
            style="red",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)
    if not _port_is_free(settings.host, port):
        lock.release()
        raise CommandError(f"port {port} on {settings.host} is in use: give another with --port or PARTNERPULSE_PORT")
    return lock


def _prepare_database(settings: Settings, database_url: str) -> None:
    """Migrations, the demo network into an empty database, then statistics, trends and flags before the API
    answers, so that the first look shows them."""
    from db.migrate import migrate as run_migrations
    from db.seed import is_empty

    asyncio.run(run_migrations(database_url))
    if _with_connection(database_url, is_empty):
        console.print("loading the demo network …")
        counts = _seed(database_url, seed=42, scale=1, reset=False)
        console.print(
            f"  {counts['organizations']} organizations, {counts['cooperation_projects']} projects, "
            f"{counts['survey_responses']} survey responses"
        )
    seconds, count = asyncio.run(_recompute(settings, database_url, all_projects=False, concurrency=4))
    if count:
        console.print(f"computed statistics and risk flags of {count} projects in {seconds:.1f} s")


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each still running, then up to 30 s each to stop before it is killed."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()


def _port_is_free(host: str, port: int) -> bool:
    """Whether the API could listen on the port: as uvicorn binds, with SO_REUSEADDR, so that connections of
    an API stopped a moment ago (TIME_WAIT) do not count, and one listening there does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def _raise_keyboard_interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_for(url: str, children: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise CommandError("the API or the worker exited during start-up; see the log above")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"{url} did not answer within {timeout:.0f} s; see the log above")


def _demo_tokens(path: Path, database_url: str) -> dict[str, Any]:
    """Demo tokens are kept in the (git-ignored) data folder so that they survive restarts; new ones
    are created when they no longer authenticate (another database, revoked)."""
    from db.seed import demo_principals
    from db.tokens import create_token, find_token
    from schema.ids import organization_global_id

    saved = json.loads(path.read_text()) if path.exists() else {}

    async def work(connection: asyncpg.Connection) -> dict[str, Any]:
        records = [await find_token(connection, entry["token"]) for entry in saved.values()]
        if saved and all(records):
            for entry, record in zip(saved.values(), records, strict=True):
                entry["id"] = record.id if record else None  # files of older versions had no id
            return saved
        principals = await demo_principals(connection)
        fresh: dict[str, Any] = {}
        token_id, token = await create_token(connection, organization_id=None, label="demo admin")
        fresh["admin"] = {"id": token_id, "token": token, "organization": None}
        for key, row in principals.items():
            if row is not None:
                token_id, token = await create_token(connection, organization_id=row["id"], label=f"demo {key}")
                fresh[key] = {
                    "id": token_id,
                    "token": token,
                    "organization": {"id": organization_global_id(row["kind"], row["id"]), "name": row["name"]},
                }
        return fresh

    tokens = _with_connection(database_url, work)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def _banner(base: str, tokens: dict[str, Any], seconds: float, dev_smtp_url: str | None = None) -> str:
    lines = ["", f"[bold green]PartnerPulse is running[/] (ready after {seconds:.1f} s)", ""]
    lines += [f"Dashboard: [bold cyan]{base}/[/]   (sign in with a token below)"]
    lines += [f"GraphiQL:  [bold cyan]{base}/graphql[/]", f"Metrics:   {base}/metrics"]
    if dev_smtp_url:
        lines.append(
            f"Mailbox:   [bold cyan]partnerpulse mailbox[/]   (mails to people, kept by the development "
            f"mail server at {dev_smtp_url}; nothing leaves this machine)"
        )
    lines.append("")
    lines.append("Tokens (the dashboard takes the token; GraphiQL's Headers tab the whole line):")
    for key, entry in tokens.items():
        who = f" — {entry['organization']['name']}" if entry.get("organization") else " — the whole network"
        lines.append(f"  {key} (token {entry['id']}){who}")
        lines.append(f'    {{"Authorization": "Bearer {entry["token"]}"}}')
    lines += ["", "`partnerpulse token list` lists the tokens, `partnerpulse token revoke ID` revokes one."]
    lines += ["Ctrl-C stops everything; the data stays in the data folder for the next run."]
    return "\n".join(lines)
