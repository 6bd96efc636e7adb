"""`partnerpulse export` as a report writer runs it: CSV with what the API shows the token, nothing more."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from bench.processes import environment
from db.portfolio import refresh_portfolio
from partnerpulse.settings import Settings
from tests.helpers.surveys import add_partners, answer_round
from tests.world import World, build_world
from workers.bulk import recompute_all
from workers.portfolio import publish_closed_months
from workers.recompute import thresholds


def export(settings: Settings, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partnerpulse", "export", *args],
        env={**os.environ, **environment(settings), "PARTNERPULSE_TOKEN": token, "PARTNERPULSE_MIN_GROUP_SIZE": "3"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def answered_world(client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings) -> World:
    """The pilot with two closed rounds: three answers, then two (below a minimum group size of 3)."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 1)
    await answer_round(client, world, [world.tokens["startup"], world.tokens["sme"], *extra], [2, 3, 4])
    await answer_round(client, world, [world.tokens["startup"], world.tokens["sme"]], [5, 4])
    await recompute_all(connection, thresholds(settings))
    return world


async def test_round_statistics_as_the_token_sees_them(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    world = await answered_world(client, connection, settings)
    target = tmp_path / "rounds.csv"

    done = export(settings, "projects", "--output", str(target), token=world.tokens["admin"])
    assert done.returncode == 0, done.stderr
    assert "wrote 2 row(s)" in done.stderr
    admin_rows = rows(target.read_text(encoding="utf-8"))
    assert [(r["project"], r["round"], r["answers"], r["expected"]) for r in admin_rows] == [
        ("Predictive maintenance pilot", "1", "3", "3"),
        ("Predictive maintenance pilot", "2", "2", "3"),
    ]
    assert [r["mean_overall"] for r in admin_rows] == ["3.0000", "4.5000"]  # admins see every mean

    partner = export(settings, "projects", token=world.tokens["startup"])  # to standard output
    assert partner.returncode == 0, partner.stderr
    partner_rows = rows(partner.stdout)
    assert [r["mean_overall"] for r in partner_rows] == ["3.0000", ""]  # two answers: suppressed for a partner
    assert [r["suppressed"] for r in partner_rows] == ["False", "True"]

    outsider = export(settings, "projects", token=world.tokens["outsider"])
    assert outsider.returncode == 0
    assert rows(outsider.stdout) == []  # the story project has no rounds; the pilot is not its business


async def test_individual_answers_for_admins_only(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await answered_world(client, connection, settings)
    pilot = world.project_id("pilot")

    refused = export(settings, "answers", "--project", pilot, token=world.tokens["institute"])  # a moderator
    assert refused.returncode == 1
    assert "individual answers are exported for admin tokens only" in refused.stderr
    assert refused.stdout == ""

    # a partner's comment that a spreadsheet would run as a formula arrives as plain text
    await connection.execute(
        'UPDATE survey_responses SET comment = \'=HYPERLINK("https://evil.example","click")\' '
        "WHERE id = (SELECT min(id) FROM survey_responses)"
    )
    done = export(settings, "answers", "--project", pilot, token=world.tokens["admin"])
    assert done.returncode == 0, done.stderr
    answers = rows(done.stdout)
    assert len(answers) == 5
    assert '\'=HYPERLINK("https://evil.example","click")' in {a["comment"] for a in answers}
    assert not any(value.startswith(("=", "+", "@")) for a in answers for value in a.values())
    assert {(a["round"], a["organization"], a["overall"]) for a in answers} >= {
        ("1", "Quantivo GmbH", "2"),
        ("2", "Brandt Maschinenbau GmbH", "4"),
    }


async def test_portfolio_and_the_mistakes_a_caller_can_make(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await answered_world(client, connection, settings)
    # members read closed months only: move the answers to last month and publish it
    await connection.execute("UPDATE survey_responses SET submitted_at = now() - interval '40 days'")
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)
    portfolio = export(settings, "portfolio", token=world.tokens["startup"])
    assert portfolio.returncode == 0, portfolio.stderr
    series = rows(portfolio.stdout)
    assert {r["grouping"] for r in series} == {"ORGANIZATION_KIND", "INDUSTRY"}
    assert {r["dimension"] for r in series} == {
        "OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"
    }  # fmt: skip
    # three organizations of two kinds and three industries: no cell holds three, the member reads no mean
    assert series and all(row["mean"] == "" and int(row["organizations"]) < 3 for row in series)
    admin = rows(export(settings, "portfolio", token=world.tokens["admin"]).stdout)
    assert any(row["mean"] for row in admin)
    for row in series:  # a member never reads a mean of fewer organizations than the minimum group size
        assert row["mean"] == "" or int(row["organizations"]) >= 3

    for args, token, message in [
        (("projects",), "pp_not-a-token", "the token is not valid"),
        (("projects",), "", "an export needs a token"),
        (("projects", "--project", world.project_id("pilot")), world.tokens["outsider"], "no project"),
    ]:
        failed = export(settings, *args, token=token)
        assert failed.returncode == 1 and message in failed.stderr, (args, failed.stderr)


async def test_excel_de_dialect_semicolons_decimal_commas_and_formulas_still_neutralized(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await answered_world(client, connection, settings)
    pilot = world.project_id("pilot")
    await connection.execute(
        "UPDATE survey_responses SET comment = '=1+2; mehr' WHERE id = (SELECT min(id) FROM survey_responses)"
    )
    done = export(settings, "projects", "--dialect", "excel-de", token=world.tokens["admin"])
    assert done.returncode == 0, done.stderr
    text = done.stdout.lstrip("\ufeff")
    header = text.splitlines()[0]
    assert header.startswith("project_id;project;kind;phase;round;") and "," not in header
    german = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["mean_overall"] for r in german] == ["3,0000", "4,5000"]
    assert [r["answers"] for r in german] == ["3", "2"]

    answers = export(settings, "answers", "--project", pilot, "--dialect", "excel-de", token=world.tokens["admin"])
    assert answers.returncode == 0, answers.stderr
    rows_de = list(csv.DictReader(io.StringIO(answers.stdout.lstrip("\ufeff")), delimiter=";"))
    assert "'=1+2; mehr" in {a["comment"] for a in rows_de}  # quoted by the semicolon, still neutralized
    assert not any(value.startswith(("=", "+", "@")) for a in rows_de for value in a.values())

    wrong = export(settings, "projects", "--dialect", "excel-fr", token=world.tokens["admin"])
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
