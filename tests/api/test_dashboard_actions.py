"""The dashboard acts: in a real Chromium against the real API and worker, a person signs in from the mailed
link and answers the round waiting for their organization; the network manager onboards an organization with
its contact person and starts a project; those running a project advance its phase, set goals, the exit plan
and the schedule, open and close rounds, see who was invited and reminded, and acknowledge a flag with a note;
an invited organization accepts; a refused action shows its userErrors."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from bench.processes import start_worker
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.browser import LAPTOP, PHONE, open_page, sign_in
from tests.helpers.invitations import add_people, body, open_pilot_round
from tests.helpers.mail import Inbox
from tests.helpers.processes import start_api_at
from tests.helpers.waiting import eventually
from tests.world import World, build_world

SMTP_PORT = 8128
SIGN_IN_LINK = re.compile(r"(http://\S+/sign-in/ps_[\w-]+)")


@pytest.fixture
async def system(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[str, Inbox]]:
    """The API and a worker sending to an SMTP server of the test; the API's address and the inbox."""
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"PARTNERPULSE_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}", "PARTNERPULSE_PUBLIC_URL": url}
    api = start_api_at(settings, tmp_path / "api.log", port, env)
    worker = start_worker(settings, tmp_path / "worker.log", **env)
    try:
        yield url, inbox
    finally:
        worker.stop()
        api.stop()
        smtp.stop()


async def test_a_person_signs_in_from_the_mailed_link_and_answers_what_waits(
    browser,
    connection: asyncpg.Connection,
    system: tuple[str, Inbox],
) -> None:
    url, inbox = system
    world = await build_world(connection)
    await add_people(connection, world)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await open_pilot_round(client, world)
    await eventually(lambda: _count(inbox, 3), what="the invitations")

    page, problems = await open_page(browser, url, PHONE)
    await page.fill("#email", "cem@quantivo.example")
    await page.click("#send-link")
    await page.wait_for_selector("#email-sign-in .outcome:text('sign-in link is on its way')")
    await eventually(lambda: _count(inbox, 4), what="the sign-in mail")
    link = SIGN_IN_LINK.search(body(inbox.messages[-1])).group(1)
    assert link.startswith(f"{url}/sign-in/")

    await page.goto(link)
    await page.click("#sign-in")  # the page's button uses the link up
    await page.wait_for_selector("#live.on", timeout=10_000)  # the dashboard, and its subscription, by the cookie
    assert await page.locator("#who").inner_text() == "Quantivo GmbH"
    assert await page.evaluate("document.cookie") == ""  # HttpOnly: no script reads the session
    assert await page.evaluate("sessionStorage.getItem('partnerpulse-token')") is None

    # the round waiting for the organization comes first, with a link to answer it
    await page.wait_for_selector("#pending-rounds li")
    first = await page.locator("main > *").nth(1).get_attribute("id")
    assert first == "my-turn"
    assert "Predictive maintenance pilot" in await page.locator("#pending-rounds").inner_text()
    await page.click("#pending-rounds a.button")
    await page.wait_for_selector("#answer fieldset")
    assert "You answer for Quantivo GmbH" in await page.locator("#intro").inner_text()
    for name, value in [("overall", 4), ("expectationsMet", 3), ("mutualBenefit", 4), ("decisionSpeed", 2),
                        ("communicationTrust", 5), ("continueLikelihood", 8)]:  # fmt: skip
        await page.locator(f'#q-{name} label:has(input[value="{value}"])').click()
    await page.click("button[type=submit]")
    await page.wait_for_selector("#outcome")
    assert "Thank you" in await page.locator("#outcome").inner_text()
    stored = await connection.fetchval("SELECT organization_id FROM survey_responses")
    assert stored == world.organizations["startup"]

    # back on the dashboard nothing waits any more; signing out ends the session for good
    await page.goto(url)
    await page.wait_for_selector("#live.on")
    await page.wait_for_load_state("networkidle")
    assert await page.locator("#pending-rounds").count() == 0
    await page.click("#sign-out")
    await page.wait_for_selector("#email")

    async def ended() -> bool:
        return await connection.fetchval("SELECT count(*) FROM person_sessions WHERE revoked_at IS NULL") == 0

    await eventually(ended, what="the session's end")
    await page.reload()
    await page.wait_for_selector("#email")  # not signed in again by a leftover cookie
    assert problems == []


async def _count(inbox: Inbox, count: int) -> bool:
    return len(inbox.messages) >= count


async def test_the_network_manager_onboards_and_runs_a_project(
    browser,
    connection: asyncpg.Connection,
    system: tuple[str, Inbox],
) -> None:
    url, inbox = system
    world = await build_world(connection)
    page, problems = await open_page(browser, url, LAPTOP)
    await sign_in(page, world.tokens["admin"])

    # onboard an organization and its contact person, who is mailed a sign-in link
    await page.click("#manage")
    await page.fill("#name", "Solarwerk Freiburg GmbH")
    await page.select_option("#kind", "SME")
    await page.fill("#industry", "Energy")
    await page.fill("#city", "Freiburg")
    await page.fill("#contactName", "Frieda Sonne")
    await page.fill("#contactEmail", "frieda@solarwerk.example")
    await page.click("#onboard-submit")
    await page.wait_for_selector("#onboard .outcome:text('Onboarded: Solarwerk Freiburg GmbH')")
    person = await connection.fetchrow(
        "SELECT c.name, c.language, o.name AS organization FROM contact_persons c JOIN organizations o "
        "ON o.id = c.organization_id"
    )
    assert tuple(person) == ("Frieda Sonne", "de", "Solarwerk Freiburg GmbH")
    await eventually(lambda: _count(inbox, 1), what="the sign-in link of the new contact person")
    assert inbox.messages[0]["To"] == "frieda@solarwerk.example" and SIGN_IN_LINK.search(body(inbox.messages[0]))
    # the same name again: the API's userError is shown, nothing is created
    await page.fill("#name", "solarwerk freiburg gmbh")
    await page.fill("#industry", "Energy")
    await page.fill("#city", "Freiburg")
    await page.click("#onboard-submit")
    await page.wait_for_selector("#onboard .outcome.error:text('ALREADY_EXISTS')")
    assert await connection.fetchval("SELECT count(*) FROM organizations WHERE name ILIKE 'solarwerk%'") == 1

    # a new project with two partners, found by name
    await page.fill("#title", "Rooftop storage")
    for search, role in [("Solarwerk", "LEAD"), ("Quantivo", "PARTNER")]:
        await page.fill("#partner-search", search)
        await page.click("#partner-find")
        await page.click(f"#partner-results li:has-text('{search}') button[data-role={role}]")
    assert "Solarwerk Freiburg GmbH — Lead partner" in await page.locator("#new-project-partners").inner_text()
    await page.click("#new-project-submit")
    await page.wait_for_selector("h1:text('Rooftop storage')")
    await page.wait_for_selector("#actions")
    project_id = await connection.fetchval("SELECT id FROM cooperation_projects WHERE title = 'Rooftop storage'")
    partners = await connection.fetch(
        "SELECT o.name, p.role::text FROM project_partners p JOIN organizations o ON o.id = p.organization_id "
        "WHERE p.project_id = $1 ORDER BY o.name",
        project_id,
    )
    assert [tuple(p) for p in partners] == [("Quantivo GmbH", "PARTNER"), ("Solarwerk Freiburg GmbH", "LEAD")]

    # phases, a goal, the exit plan
    for phase in ["GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE"]:
        await page.select_option("#advance select", phase)
        await page.click("#advance button[type=submit]")
        await page.wait_for_selector(f"#advance select option[value={_next(phase)}]", state="attached")
    phase = await connection.fetchval("SELECT phase::text FROM cooperation_projects WHERE id = $1", project_id)
    assert phase == "ACTIVE"
    await page.fill("#goalTitle", "200 kWh installed")
    await page.select_option("#owner", label="Solarwerk Freiburg GmbH")
    await page.click("#add-goal button[type=submit]")
    await page.wait_for_selector("#goals li:has-text('200 kWh installed')")
    await page.fill("#exitPlanText", "Storage stays with Solarwerk.")
    await page.click("#exit-plan button[type=submit]")
    await page.wait_for_selector("#goals:has-text('Storage stays with Solarwerk.')")

    # a schedule (bad input first: the userError is shown), then removed
    await page.fill("#everyWeeks", "2")
    await page.fill("#answerWindowDays", "20")
    await page.click("#schedule button[type=submit]")
    await page.wait_for_selector("#schedule .outcome.error:text('answerWindowDays')")
    assert await connection.fetchval("SELECT count(*) FROM survey_schedules") == 0
    await page.fill("#answerWindowDays", "5")
    await page.click("#schedule button[type=submit]")
    await page.wait_for_selector("#schedule-now:text('every 2 weeks')")
    await page.click("#remove-schedule")
    await page.wait_for_selector("#schedule-now:text('No schedule')")
    assert await connection.fetchval("SELECT count(*) FROM survey_schedules") == 0

    # a round opens (the partners' contact person is invited), is shown with its invitations, and closes
    await connection.execute(
        "INSERT INTO contact_persons (organization_id, name, email) VALUES ($1, 'Cem', 'cem@quantivo.example')",
        world.organizations["startup"],
    )
    await page.click("#open-round")
    await page.wait_for_selector("#close-round")
    await page.wait_for_selector("#round-invitations td:text('Quantivo GmbH')")

    async def invited() -> bool:
        return await connection.fetchval("SELECT count(*) FROM survey_invitations WHERE sent_at IS NOT NULL") == 2

    await eventually(invited, what="the invitations sent")
    await page.reload()
    await page.wait_for_selector("#round-invitations")
    rows = await page.locator("#round-invitations tbody tr").all_inner_texts()
    assert len(rows) == 2 and all("–" not in row.split("\t")[2] for row in rows)  # both sent, neither answered
    await page.click("#close-round")
    await page.wait_for_selector("#open-round")
    assert await connection.fetchval("SELECT status::text FROM survey_rounds") == "CLOSED"

    # a flag acknowledged with a note (inserted once the worker has recomputed the project, so that no
    # recomputation resolves it meanwhile)
    async def recomputed() -> bool:
        version = await connection.fetchval("SELECT data_version FROM cooperation_projects WHERE id = $1", project_id)
        done = await connection.fetchval(
            "SELECT computed_version FROM project_recompute_state WHERE project_id = $1", project_id
        )
        return done is not None and done >= version

    await eventually(recomputed, what="the recomputation after closing the round")
    flag = await connection.fetchval(
        "INSERT INTO risk_flags (project_id, reason, severity, explanations, audience) "
        "VALUES ($1, 'STALLED', 'MEDIUM', jsonb_build_object('en', 'Stalled for 70 days.'), 'FULL') RETURNING id",
        project_id,
    )
    await page.reload()
    await page.fill(f"#note-{_flag_id(flag)}", "Kick-off call on Monday.")
    await page.click(f"#acknowledge-{_flag_id(flag)} button[type=submit]")
    await page.wait_for_selector("#flags .note:text('Kick-off call on Monday.')")
    note = await connection.fetchrow("SELECT acknowledged_at, acknowledgement_note FROM risk_flags WHERE id = $1", flag)
    assert note["acknowledged_at"] is not None and note["acknowledgement_note"] == "Kick-off call on Monday."
    assert problems == []


def _next(phase: str) -> str:
    order = ["ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE", "COMPLETED"]
    return order[order.index(phase) + 1]


def _flag_id(flag: int) -> str:
    from strawberry.relay import to_base64

    return to_base64("RiskFlag", flag).replace("=", "\\=")


async def test_a_lead_invites_and_the_invited_organization_accepts(
    browser,
    connection: asyncpg.Connection,
    system: tuple[str, Inbox],
) -> None:
    url, _ = system
    world: World = await build_world(connection)
    lead, problems = await open_page(browser, f"{url}/#/project/{world.project_id('pilot')}", LAPTOP)
    await sign_in(lead, world.tokens["sme"])
    await lead.wait_for_selector("#invite-partner")
    await lead.fill("#invite-search", "Nordwerke")
    await lead.click("#invite-find")
    await lead.click("#invite-results li:has-text('Nordwerke') button[data-role=PARTNER]")
    await lead.wait_for_selector("#invite-partner .outcome:text('Done.')")
    # a member may not appoint a moderator: the refusal is shown as the API words it
    await lead.click("#invite-results li:has-text('Nordwerke') button[data-role=MODERATOR]")
    await lead.wait_for_selector("#invite-partner .outcome.error:text('FORBIDDEN')")

    invitee, invitee_problems = await open_page(browser, url, LAPTOP)
    await sign_in(invitee, world.tokens["outsider"])
    await invitee.wait_for_selector("#project-invitations li")
    assert "Predictive maintenance pilot" in await invitee.locator("#project-invitations").inner_text()
    await invitee.click("#project-invitations button.accept")

    async def accepted() -> bool:
        role = await connection.fetchval(
            "SELECT role::text FROM project_partners WHERE project_id = $1 AND organization_id = $2",
            world.projects["pilot"],
            world.organizations["outsider"],
        )
        return role == "PARTNER"

    await eventually(accepted, what="the accepted invitation")
    await invitee.wait_for_load_state("networkidle")
    assert await invitee.locator("#project-invitations").count() == 0
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        mine = await gql(client, "{ viewer { projectInvitations { id } } }", token=world.tokens["outsider"])
    assert mine["viewer"]["projectInvitations"] == []
    assert problems == [] and invitee_problems == []
