import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from db.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate

ALL_VERSIONS = [m.version for m in load_migrations()]


async def applied_versions(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        return [r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
    finally:
        await connection.close()


async def test_fresh_database_gets_every_migration_and_a_rerun_is_a_no_op(fresh_database: str) -> None:
    assert await migrate(fresh_database) == ALL_VERSIONS
    assert await migrate(fresh_database) == []
    assert await applied_versions(fresh_database) == ALL_VERSIONS


async def test_two_concurrent_runners_apply_each_migration_once(fresh_database: str) -> None:
    first, second = await asyncio.gather(migrate(fresh_database), migrate(fresh_database))
    assert sorted(first + second) == ALL_VERSIONS
    assert [] in (first, second)
    assert await applied_versions(fresh_database) == ALL_VERSIONS


async def test_a_changed_applied_migration_is_refused(fresh_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    await migrate(fresh_database, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after it was applied\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(fresh_database, directory)


async def test_a_missing_applied_migration_is_refused(fresh_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    await migrate(fresh_database, directory)
    sorted(directory.glob("*.sql"))[-1].unlink()
    with pytest.raises(MigrationError, match="file is missing"):
        await migrate(fresh_database, directory)


async def test_a_failing_migration_leaves_nothing_behind(fresh_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / "9999_broken.sql").write_text("CREATE TABLE half_done (id int);\nSELECT no_such_function();\n")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(fresh_database, directory)
    # the earlier files stay applied, the broken one is rolled back entirely
    assert await applied_versions(fresh_database) == ALL_VERSIONS
    connection = await asyncpg.connect(fresh_database)
    try:
        assert await connection.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await connection.close()


async def test_answer_kind_is_backfilled_from_the_organizations_and_filled_for_direct_inserts(
    fresh_database: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / "0017_answer_kind.sql").unlink()
    await migrate(fresh_database, directory)
    connection = await asyncpg.connect(fresh_database)
    try:
        startup, sme = [
            await connection.fetchval(
                "INSERT INTO organizations (kind, name, industry, city, country) "
                "VALUES ($1::organization_kind, $2, 'Energy', 'Kiel', 'DE') RETURNING id",
                kind,
                f"Org {kind}",
            )
            for kind in ("STARTUP", "SME")
        ]
        project = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind) VALUES ('Pilot', 'TECHNOLOGY_PILOT') RETURNING id"
        )
        round_id = await connection.fetchval(
            "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", project
        )
        answer = (
            "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
            "decision_speed, communication_trust, continue_likelihood) VALUES ($1, $2, 3, 3, 3, 3, 3, 7)"
        )
        await connection.execute(answer, round_id, startup)
        await migrate(fresh_database)
        await connection.execute(answer, round_id, sme)
        await connection.execute("UPDATE organizations SET kind = 'CORPORATE'")  # later changes move nothing
        recorded = await connection.fetch(
            "SELECT organization_id, organization_kind::text AS kind FROM survey_responses ORDER BY organization_id"
        )
        assert [(row["organization_id"], row["kind"]) for row in recorded] == [(startup, "STARTUP"), (sme, "SME")]
    finally:
        await connection.close()


async def test_flag_explanations_move_into_one_column_keyed_by_language(fresh_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / "0018_flag_explanations_by_language.sql").unlink()
    await migrate(fresh_database, directory)
    connection = await asyncpg.connect(fresh_database)
    try:
        project = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind) VALUES ('Pilot', 'TECHNOLOGY_PILOT') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO risk_flags (project_id, reason, severity, explanation, partner_explanation, explanation_de, "
            "partner_explanation_de) VALUES ($1, 'NO_EXIT_PLAN', 'LOW', 'In English.', 'Partners.', 'Auf Deutsch.', "
            "'Partner.'), ($1, 'STALLED', 'LOW', 'Before German.', '', '', '')",
            project,
        )
        await migrate(fresh_database)
        rows = await connection.fetch(
            "SELECT explanations::text AS texts, explanation, explanation_de FROM risk_flags ORDER BY id"
        )
        assert [tuple(row) for row in rows] == [
            ('{"de": "Auf Deutsch.", "en": "In English."}', "In English.", "Auf Deutsch."),
            ('{"en": "Before German."}', "Before German.", ""),  # the API answers in English until recomputed
        ]
        columns = {r["column_name"] for r in await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'risk_flags'")}  # fmt: skip
        assert not columns & {"partner_explanation", "partner_explanation_de"}
        # a further language needs no column: the check takes any language's text beside the English one
        await connection.execute(
            'UPDATE risk_flags SET explanations = explanations || \'{"fr": "En français."}\', '
            "updated_at = now() WHERE reason = 'STALLED'"
        )
        assert await connection.fetchval("SELECT explanations ->> 'fr' FROM risk_flags WHERE reason = 'STALLED'")
    finally:
        await connection.close()
