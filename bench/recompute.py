"""Where the full recomputation spends its time: `python -m bench.recompute [--scale 900] [--keep]`.

Loads the generator's network into a database of its own (kept with `--keep`, and reused when it exists),
then runs the bulk recomputation twice: fresh (derived tables emptied and no month published, as after a
bulk load) and steady (everything already computed once), printing each phase and the slowest SQL statements.
"""

import argparse
import asyncio
import os
import time
from collections import Counter
from datetime import date

import asyncpg

from db.admin import drop_database, with_database
from db.bulk import DERIVED_TABLES
from db.demo import plan_network
from db.migrate import migrate
from db.pool import init_connection
from db.seed import is_empty, load_network
from partnerpulse.settings import Settings
from workers.bulk import recompute_all
from workers.recompute import thresholds

PUBLICATION_TABLES = ("portfolio_releases", "portfolio_published_periods")


async def ensure_database(admin_dsn: str, name: str, scale: int) -> str:
    admin = await asyncpg.connect(admin_dsn)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(admin_dsn, name)
    await migrate(dsn)
    connection = await asyncpg.connect(dsn, command_timeout=3600)
    await init_connection(connection)
    try:
        if await is_empty(connection):
            started = time.perf_counter()
            counts = await load_network(connection, plan_network(seed=42, scale=scale, today=date.today()))
            await connection.execute("VACUUM (ANALYZE)")
            print(f"loaded {counts['survey_responses']:,} answers in {time.perf_counter() - started:.1f} s")
    finally:
        await connection.close()
    return dsn


async def profile(dsn: str, fresh: bool) -> None:
    connection = await asyncpg.connect(dsn, command_timeout=3600)
    await init_connection(connection)
    beside = await asyncpg.connect(dsn, command_timeout=3600)
    portfolio_beside = await asyncpg.connect(dsn, command_timeout=3600)
    statements: Counter[str] = Counter()

    def log(record: asyncpg.connection.LoggedQuery) -> None:
        statements[" ".join(record.query.split())[:110]] += record.elapsed

    try:
        await connection.execute("SET statement_timeout = 0")
        if fresh:
            # as after a bulk load: nothing derived, no month published to members yet
            emptied = ", ".join((*DERIVED_TABLES, *PUBLICATION_TABLES))
            await connection.execute(f"TRUNCATE {emptied}")
            await connection.execute(f"VACUUM ANALYZE {emptied}")
        connection.add_query_logger(log)
        beside.add_query_logger(log)
        portfolio_beside.add_query_logger(log)
        started = time.perf_counter()
        result = await recompute_all(connection, thresholds(Settings()), beside, portfolio_beside)
        total = time.perf_counter() - started
    finally:
        await portfolio_beside.close()
        await beside.close()
        await connection.close()
    print(f"\n{'fresh' if fresh else 'steady'}: {result.projects:,} projects in {total:.1f} s")
    for phase, seconds in result.seconds.items():
        print(f"  {phase:<20} {seconds:6.2f} s")
    print("  slowest statements:")
    for statement, seconds in statements.most_common(12):
        print(f"  {seconds:6.2f} s  {statement}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--only", choices=["fresh", "steady"], help="run one of the two recomputations")
    parser.add_argument("--database", help="the database's name (default partnerpulse_recompute_SCALE)")
    arguments = parser.parse_args()
    admin_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = arguments.database or f"partnerpulse_recompute_{arguments.scale}"
    dsn = asyncio.run(ensure_database(admin_dsn, name, arguments.scale))
    try:
        for mode in ("fresh", "steady"):
            if arguments.only in (None, mode):
                asyncio.run(profile(dsn, fresh=mode == "fresh"))
    finally:
        if not arguments.keep:
            asyncio.run(drop_database(admin_dsn, dsn))


if __name__ == "__main__":
    main()
