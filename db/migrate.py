"""The migration runner: applies `migrations/*.sql` in order, once, under an advisory lock."""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key: any constant unique to this application ("PPulse" in ASCII).
ADVISORY_LOCK_KEY = 0x5050756C7365

log = logging.getLogger(__name__)


class MigrationError(RuntimeError):
    """The database's migration history does not match the files: refuse to run."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        if not version.isdigit():
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        migrations.append(Migration(version=version, name=name, sql=path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number in {directory}")
    return migrations


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the versions applied by this call.

    Each file runs in its own transaction. A session-level advisory lock serializes concurrent runners:
    the second one waits, then finds nothing left to do.
    """
    migrations = load_migrations(directory)
    connection = await asyncpg.connect(dsn, server_settings={"application_name": "partnerpulse-migrate"})
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            await connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            applied = {
                row["version"]: row["checksum"]
                for row in await connection.fetch("SELECT version, checksum FROM schema_migrations")
            }
            check_history(migrations, applied)
            done = []
            for migration in migrations:
                if migration.version in applied:
                    continue
                async with connection.transaction():
                    await connection.execute(migration.sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                log.info("applied migration", extra={"version": migration.version, "migration": migration.name})
                done.append(migration.version)
            return done
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await connection.close()


def check_history(migrations: list[Migration], applied: dict[str, str]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, checksum in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"migration {version} is applied in the database but its file is missing: "
                "this code is older than the database"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"migration {version}_{migration.name}.sql was changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )


async def pending_migrations(connection: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Versions not yet applied (for /readyz and `doctor`); every version when the table does not exist."""
    exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied = set()
    if exists:
        applied = {r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations")}
    return [m.version for m in load_migrations(directory) if m.version not in applied]


async def migration_status(
    connection: asyncpg.Connection, directory: Path = MIGRATIONS_DIR
) -> tuple[list[str], str | None]:
    """(versions not applied yet, what is wrong with the applied ones or None), for `doctor`."""
    migrations = load_migrations(directory)
    applied: dict[str, str] = {}
    if await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        rows = await connection.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {row["version"]: row["checksum"] for row in rows}
    try:
        check_history(migrations, applied)
        problem = None
    except MigrationError as error:
        problem = str(error)
    return [m.version for m in migrations if m.version not in applied], problem
