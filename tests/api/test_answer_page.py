"""The answer page, as a contact person meets it: the invitation arrives at a real SMTP server from the real
worker, a real Chromium follows the link, answers with the keyboard and the mouse on a phone-sized screen,
and sees the confirmation, its own answer, and clear words for a closed round and a dead link."""

import re
from pathlib import Path

import asyncpg
import httpx
from aiosmtpd.controller import Controller

from bench.processes import start_worker
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.browser import LAPTOP, PHONE, open_page
from tests.helpers.invitations import add_people, body, open_pilot_round
from tests.helpers.mail import Inbox
from tests.helpers.processes import start_api_at
from tests.helpers.waiting import eventually
from tests.world import build_world

SMTP_PORT = 8127
COUNTS = "query($r: ID!) { node(id: $r) { ... on SurveyRound { responseCount } } }"
CLOSE = "mutation($r: ID!) { closeSurveyRound(input: {roundId: $r}) { userErrors { code } } }"


async def test_a_person_follows_the_mailed_link_and_answers(
    browser,
    connection: asyncpg.Connection,
    settings: Settings,
    tmp_path: Path,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)  # Cem (startup) reads English, Anna (SME) German
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"PARTNERPULSE_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}", "PARTNERPULSE_PUBLIC_URL": url}
    api = start_api_at(settings, tmp_path / "api.log", port, env)
    worker = start_worker(settings, tmp_path / "worker.log", **env)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            round_id = await open_pilot_round(client, world)

            async def three_mails() -> bool:
                return len(inbox.messages) >= 3

            await eventually(three_mails, what="the invitations in the mailbox")
            mails = {m["To"]: body(m) for m in inbox.messages}
            link = re.search(r"(http://\S+/answer/pa_[\w-]+)", mails["cem@quantivo.example"]).group(1)
            assert link.startswith(f"{url}/answer/")

            page, problems = await open_page(browser, link, PHONE)
            await page.wait_for_selector("#answer fieldset")
            assert await page.locator("#answer fieldset").count() == 6
            assert "Predictive maintenance pilot" in await page.locator("#intro").inner_text()
            assert "individually only the project's moderator" in await page.locator("#privacy").inner_text()
            # sending too early is refused on the page, and nothing reaches the API
            await page.click("button[type=submit]")
            assert "all six questions" in await page.locator("#form-error").inner_text()
            # the keyboard: arrow keys move within a radio group
            await page.focus('input[name="overall"][value="1"]')
            for _ in range(3):
                await page.keyboard.press("ArrowRight")
            assert await page.locator('input[name="overall"]:checked').get_attribute("value") == "4"
            for name, value in [
                ("expectationsMet", 3),
                ("mutualBenefit", 4),
                ("decisionSpeed", 2),
                ("communicationTrust", 5),
                ("continueLikelihood", 9),
            ]:
                await page.locator(f'#q-{name} label:has(input[value="{value}"])').click()
            await page.fill("#comment", "Good pilot, slow approvals.")
            # switching the language keeps what was chosen
            await page.click("#lang-de")
            assert await page.locator('input[name="overall"]:checked').get_attribute("value") == "4"
            assert "Antwort senden" in await page.locator("button[type=submit]").inner_text()
            await page.click("#lang-en")
            await page.click("button[type=submit]")
            await page.wait_for_selector("#outcome")
            assert "Thank you" in await page.locator("#outcome").inner_text()
            assert "slow approvals" in await page.locator("#my-answer").inner_text()
            stored = await connection.fetchrow(
                "SELECT overall, decision_speed, continue_likelihood, comment, organization_id FROM survey_responses"
            )
            assert tuple(stored) == (4, 2, 9, "Good pilot, slow approvals.", world.organizations["startup"])
            counts = await gql(client, COUNTS, {"r": round_id}, world.tokens["institute"])
            assert counts["node"]["responseCount"] == 1

            # the answer reaches the statistics: the worker recomputes the project
            async def recomputed() -> bool:
                version = await connection.fetchval(
                    "SELECT data_version FROM cooperation_projects WHERE id = $1", world.projects["pilot"]
                )
                done = await connection.fetchval(
                    "SELECT computed_version FROM project_recompute_state WHERE project_id = $1",
                    world.projects["pilot"],
                )
                return done is not None and done >= version

            await eventually(recomputed, what="the recomputation after the answer")

            # the same link again: already answered, with the answer shown
            await page.reload()
            await page.wait_for_selector("#outcome")
            assert "already answered" in await page.locator("#outcome").inner_text()
            assert await page.locator("#answer").is_hidden()

            # Anna's link greets in German; once the round is closed it says so
            anna = re.search(r"(http://\S+/answer/pa_[\w-]+)", mails["anna@brandt.example"]).group(1)
            german, german_problems = await open_page(browser, anna, LAPTOP)
            await german.wait_for_selector("#answer fieldset")
            assert "Pulsbefragung Nr. 1" in await german.locator("#intro").inner_text()
            assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"][
                "userErrors"
            ] == []
            await german.reload()
            await german.wait_for_selector("#status.error")
            assert "geschlossen" in await german.locator("#status").inner_text()
            # a link that never existed
            await german.goto(f"{url}/answer/pa_{'x' * 43}")
            await german.wait_for_selector("#status.error")
            assert "nicht mehr gültig" in await german.locator("#status").inner_text()
            assert problems == [] and german_problems == []
    finally:
        worker.stop()
        api.stop()
        smtp.stop()


async def test_the_page_tells_the_link_state_and_is_neither_cached_nor_inline(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    round_id = await open_pilot_round(client, world)
    page = await client.get(f"/answer/pa_{'x' * 43}")
    assert page.status_code == 200 and '<meta name="answer-state" content="unknown">' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "unsafe" not in page.headers["content-security-policy"] and "<script>" not in page.text
    assert (await client.get("/answer-page/answer.js")).status_code == 200
    assert round_id
