"""The dashboard at /: served with a strict content security policy, and used in a real headless Chromium
(Debian's package, driven by Playwright) against the real API, worker, PostgreSQL and Redis.

Without Chromium the browser tests are skipped, unless PARTNERPULSE_REQUIRE_BROWSER is set (CI sets it after
installing Chromium, so there they cannot silently not run). PARTNERPULSE_SCREENSHOTS=<folder> keeps the
screenshots of the three views (the README's come from there)."""

import asyncio
import os
from datetime import date
from itertools import pairwise
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from strawberry.relay import to_base64

from api.app import create_app
from bench.processes import start_api, start_worker
from db.demo import plan_network
from db.seed import load_network
from db.tokens import create_token
from domain.events import FlagEvent
from partnerpulse.settings import Settings
from tests.helpers.browser import LAPTOP, PHONE, open_page, sign_in
from tests.helpers.serving import serve_once
from tests.helpers.surveys import add_partners, answer_round, open_flags
from tests.helpers.waiting import eventually
from tests.world import build_world
from workers.bulk import recompute_all
from workers.recompute import thresholds


async def test_the_page_is_served_with_a_policy_that_allows_only_its_own_code(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy  # no inline script or style: the browser test sees no violation either
    assert '<script type="module" src="/dashboard/app.js">' in page.text
    script = await client.get("/dashboard/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == policy
    assert (await client.get("/dashboard/../api/app.py")).status_code == 404


async def test_the_dashboard_can_be_switched_off(settings: Settings) -> None:
    response = await serve_once(create_app(settings.model_copy(update={"dashboard": False})), "/")
    assert response.status_code == 404


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PARTNERPULSE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_an_ecosystem_manager_sees_the_demo_network(
    browser, settings: Settings, connection: asyncpg.Connection, tmp_path: Path, screenshots: Path
) -> None:
    await load_network(connection, plan_network(seed=42, scale=1, today=date.today()))
    await recompute_all(connection, thresholds(settings))
    _, admin = await create_token(connection, organization_id=None, label="browser test")
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        page, problems = await open_page(browser, url, LAPTOP)
        await sign_in(page, admin)
        await page.wait_for_selector("#at-risk-list li.risk")
        await page.wait_for_selector("#portfolio-kind path.line")
        # one line per organization kind (and the dashed stretch into the current month)
        assert await page.locator("#portfolio-kind path.line:not(.partial)").count() == 4
        assert 2 <= await page.locator("#portfolio-industry path.line:not(.partial)").count() <= 8
        first = page.locator("#at-risk-list li.risk").first
        assert await first.locator("li[data-reason]").count() >= 1  # its reasons, in words
        assert await page.locator("#who").inner_text() == "Network manager (admin)"
        await page.screenshot(path=str(screenshots / "overview.png"))

        english = await page.locator("#at-risk-list").inner_text()
        await page.click("#language")  # German labels and explanations, same data
        await page.wait_for_selector("h1:text('Netzwerk-Überblick')")
        assert "Mittelstand (KMU)" in await page.locator("#portfolio-kind .legend").inner_text()
        await page.wait_for_selector("#at-risk-list li.risk")
        german = await page.locator("#at-risk-list").inner_text()
        assert "Das Projekt" in german or "Runde" in german, german
        assert "The project" not in german and " round " not in german
        assert "The project" in english or " round " in english
        await page.click("#language")
        await page.wait_for_selector("h1:text('Network overview')")

        await first.locator("a").first.click()
        await page.wait_for_selector("#partners li")
        assert await page.locator("#trend path.line").count() == 5  # one line per dimension
        assert await page.locator("#rounds tbody tr").count() >= 1
        assert await page.locator("#flags li[data-reason]").count() >= 1
        assert await page.locator("#answers tbody tr").count() >= 1  # admins see individual answers
        await page.screenshot(path=str(screenshots / "project.png"))

        await page.locator("#partners li a").first.click()
        await page.wait_for_selector("#organization-projects tbody tr")
        await page.screenshot(path=str(screenshots / "organization.png"))

        await page.set_viewport_size(PHONE)
        await page.goto(f"{url}/#/")
        await page.wait_for_selector("#at-risk-list li.risk")
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways on a phone"
        await page.screenshot(path=str(screenshots / "phone.png"))
        assert problems == []
    finally:
        api.stop()


async def test_a_flag_raised_by_a_submission_appears_without_reloading(
    browser, settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    world = await build_world(connection)
    partners = [world.tokens["startup"], world.tokens["sme"], *(await add_partners(connection, world, 1))]
    # the pilot lost its exit plan half a year ago: at risk before anyone answers
    await connection.execute(
        "UPDATE cooperation_projects SET exit_plan = NULL, phase_changed_at = now() - interval '200 days', "
        "data_version = data_version + 1 WHERE id = $1",
        world.projects["pilot"],
    )
    elsewhere = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase) VALUES ('Not yours', 'MARKETING', 'ACTIVE') RETURNING id"
    )
    api, url = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await eventually(lambda: _has(client, world, "NO_EXIT_PLAN"), what="the reconciler's NO_EXIT_PLAN flag")
            page, problems = await open_page(browser, url, LAPTOP)
            await sign_in(page, world.tokens["startup"])  # a plain partner of the pilot
            await page.wait_for_selector("#at-risk-list li[data-reason=NO_EXIT_PLAN]")
            assert await page.locator("#at-risk-list li[data-reason=LOW_SATISFACTION]").count() == 0
            await page.evaluate("window.notReloaded = true")

            await answer_round(client, world, partners, [1, 2, 1])

            await page.wait_for_selector("#at-risk-list li[data-reason=LOW_SATISFACTION]", timeout=20_000)
            assert await page.evaluate("window.notReloaded === true")
            assert "Low satisfaction" in await page.locator("#at-risk-list").inner_text()

            # the same confidentiality as the API: a plain partner never sees individual answers …
            await page.locator("#at-risk-list li.risk a").first.click()
            await page.wait_for_selector("#rounds tbody tr")
            assert await page.locator("#answers").count() == 0
            # … and a project it is not part of (and not published) does not exist for it
            await page.goto(f"{url}/#/project/{to_base64('CooperationProject', elsewhere)}")
            await page.wait_for_selector("p.error")
            assert "Not found" in await page.locator("p.error").inner_text()
            assert problems == []

            # a token revoked while signed in: the next flag event ends its live subscription, and the page goes
            # back to the sign-in form with the reason, without a click
            await connection.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE organization_id = $1", world.organizations["startup"]
            )
            await asyncio.sleep(settings.token_cache_seconds + 0.5)  # the API trusts a checked token this long
            flag_id = await connection.fetchval(
                "SELECT id FROM risk_flags WHERE project_id = $1 AND reason = 'NO_EXIT_PLAN'", world.projects["pilot"]
            )
            publisher = Redis.from_url(settings.redis_url)
            try:
                await publisher.publish(
                    settings.events_channel, FlagEvent(flag_id, world.projects["pilot"], "ACKNOWLEDGED").encode()
                )
            finally:
                await publisher.aclose()
            await page.wait_for_selector("#sign-in", timeout=10_000)
            assert "not valid" in await page.locator("p.error").inner_text()

            moderator, _ = await open_page(browser, url, LAPTOP)
            await sign_in(moderator, world.tokens["institute"])
            await moderator.goto(f"{url}/#/project/{world.project_id('pilot')}")
            await moderator.wait_for_selector("#answers tbody tr")
            assert await moderator.locator("#answers tbody tr").count() == 3
    finally:
        worker.stop()
        api.stop()


async def _has(client: httpx.AsyncClient, world, reason: str) -> bool:
    return reason in await open_flags(client, world)


async def demo(connection: asyncpg.Connection, settings: Settings) -> str:
    await load_network(connection, plan_network(seed=42, scale=1, today=date.today()))
    await recompute_all(connection, thresholds(settings))
    _, admin = await create_token(connection, organization_id=None, label="browser test")
    return admin


async def test_pages_show_no_null_and_every_column_has_a_header(
    browser, settings: Settings, connection: asyncpg.Connection, tmp_path: Path, screenshots: Path
) -> None:
    """A project with an open round, and an organization with neither description, competencies, employees
    nor founding year: no "null" anywhere, every column has a header, the 0-10 question says what it asks."""
    admin = await demo(connection, settings)
    project = await connection.fetchval("SELECT project_id FROM survey_rounds WHERE status = 'OPEN' ORDER BY 1 LIMIT 1")
    bare = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', 'Bare GmbH', 'Logistics', "
        "'Kiel', 'DE') RETURNING id"
    )
    await connection.execute(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'PARTNER')", project, bare
    )
    await recompute_all(connection, thresholds(settings))
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        page, problems = await open_page(browser, url, LAPTOP)
        await sign_in(page, admin)
        await page.goto(f"{url}/#/project/{to_base64('CooperationProject', project)}")
        await page.wait_for_selector("#answers tbody tr")
        await page.screenshot(path=str(screenshots / "project-open-round.png"), full_page=True)
        assert await page.locator("#overdue").count() == 0  # it ends as planned, after today
        text = await page.locator("main").inner_text()
        assert "null" not in text.lower() and "undefined" not in text, text
        assert "NPS" not in text and "Continue (0–10)" in await page.locator("#answers thead").inner_text()
        await page.click("#language")  # the same in German
        await page.wait_for_selector("#answers th:text('Weitermachen (0–10)')")
        text = await page.locator("main").inner_text()
        assert "null" not in text.lower() and "undefined" not in text, text
        assert all(h.strip() for h in await page.locator("th").all_inner_texts())
        await page.click("#language")
        await page.wait_for_selector("#answers th:text('Continue (0–10)')")
        headers = await page.locator("th").all_inner_texts()
        assert headers and all(h.strip() for h in headers), headers
        assert await page.locator("thead tr th").count() == await page.evaluate(
            "[...document.querySelectorAll('tbody tr:first-child')].reduce((n, r) => n + r.children.length, 0)"
        )
        await page.goto(f"{url}/#/organization/{to_base64('Sme', bare)}")
        await page.wait_for_selector("#organization-projects tbody tr", timeout=5_000)
        await page.screenshot(path=str(screenshots / "organization-bare.png"), full_page=True)
        text = await page.locator("main").inner_text()
        assert "null" not in text.lower() and "undefined" not in text, text
        assert all(h.strip() for h in await page.locator("th").all_inner_texts())

        # a running project past its planned end says so
        await connection.execute(
            "UPDATE cooperation_projects SET planned_end_on = current_date - 1 WHERE id = $1", project
        )
        await page.goto(f"{url}/#/project/{to_base64('CooperationProject', project)}")
        await page.wait_for_selector("#overdue")
        assert "past its planned end" in await page.locator("#overdue").inner_text()
        assert problems == []
    finally:
        api.stop()


async def test_the_at_risk_list_counts_by_severity_pages_through_all_and_explains_its_order(
    browser, settings: Settings, connection: asyncpg.Connection, tmp_path: Path, screenshots: Path
) -> None:
    admin = await demo(connection, settings)
    levels = dict(
        await connection.fetch(
            "SELECT risk_level::text, count(*) FROM project_health WHERE risk_level <> 'NONE' GROUP BY 1"
        )
    )
    total = sum(levels.values())
    assert total > 25  # more than one page: the list used to stop at 25
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        page, problems = await open_page(browser, url, LAPTOP)
        await sign_in(page, admin)
        await page.wait_for_selector("#at-risk-summary [data-severity]")
        summary = await page.locator("#at-risk-summary").inner_text()
        assert summary.startswith(f"{total} projects at risk"), summary
        for severity in ("HIGH", "MEDIUM", "LOW"):
            badge = await page.locator(f"#at-risk-summary [data-severity={severity}]").inner_text()
            assert badge == f"{levels.get(severity, 0)} {severity.lower()}", badge
        assert "most severe open flag" in await page.locator("#at-risk-order").inner_text()
        assert await page.locator("#at-risk-list li.risk").count() == 25
        assert f"(25 of {total})" in await page.locator("#at-risk-more").inner_text()
        while await page.locator("#at-risk-more").is_visible():
            shown = await page.locator("#at-risk-list li.risk").count()
            await page.click("#at-risk-more")
            await page.wait_for_function(
                "(n) => document.querySelectorAll('#at-risk-list li.risk').length > n", arg=shown, timeout=10_000
            )
        items = page.locator("#at-risk-list li.risk")
        assert await items.count() == total
        projects = [await items.nth(i).get_attribute("data-project") for i in range(total)]
        assert len(set(projects)) == total
        # most severe first: the worst flag's severity never grows down the list
        ranks = {"high": 3, "medium": 2, "low": 1}
        severities = [ranks[(await items.nth(i).get_attribute("class")).split()[1]] for i in range(total)]
        assert severities == sorted(severities, reverse=True)
        await page.screenshot(path=str(screenshots / "at-risk-all.png"))
        assert problems == []
    finally:
        api.stop()


async def test_charts_mark_the_current_month_start_the_scale_at_1_and_stay_readable_on_a_phone(
    browser, settings: Settings, connection: asyncpg.Connection, tmp_path: Path, screenshots: Path
) -> None:
    admin = await demo(connection, settings)
    assert await connection.fetchval(
        "SELECT count(*) FROM survey_responses WHERE submitted_at >= date_trunc('month', now())"
    )  # the demo has answers in the current month
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        page, problems = await open_page(browser, url, LAPTOP)
        await sign_in(page, admin)
        await page.wait_for_selector("#portfolio-kind path.line")
        for chart in ("#portfolio-kind", "#portfolio-industry"):
            assert await page.locator(f"{chart} text.axis.y").all_text_contents() == ["1", "2", "3", "4", "5"]
            last = await page.locator(f"{chart} text.axis.x").last.text_content()
            assert last.endswith("(so far)"), last
            assert await page.locator(f"{chart} path.line.partial").count() >= 1
            assert await page.locator(f"{chart} circle.partial").count() >= 1
            assert "not over yet" in await page.locator(f"{chart} .partial-note").inner_text()
            # how sure each point is: a band around every series, and the organizations behind each point
            series = await page.locator(f"{chart} g.series").count()
            assert await page.locator(f"{chart} g.series:has(path.band)").count() == series
            counts = await page.locator(f"{chart} circle[data-organizations]").evaluate_all(
                "(circles) => circles.map((c) => [Number(c.dataset.organizations), c.textContent])"
            )
            assert counts and all(n >= 1 and f"· {n} organizations · 95 % band " in title for n, title in counts)
            assert "95 %" in await page.locator(f"{chart} .band-note").inner_text()
        await page.screenshot(path=str(screenshots / "charts.png"))
        await page.locator("#at-risk-list li.risk a").first.click()
        await page.wait_for_selector("#trend path.line")
        assert await page.locator("#trend text.axis.y").all_text_contents() == ["1", "2", "3", "4", "5"]
        assert await page.locator("#trend .partial-note").count() == 0  # rounds are complete

        phone, _ = await open_page(browser, url, PHONE)
        await sign_in(phone, admin)
        await phone.wait_for_selector("#portfolio-industry path.line")
        lines = await phone.locator("#portfolio-industry g.series").count()
        assert lines >= 2
        # axis text as large as the page's small print, not scaled down to a few pixels
        heights = await phone.evaluate(
            "() => [...document.querySelectorAll('#portfolio-industry text.axis')]"
            ".map((t) => t.getBoundingClientRect().height)"
        )
        assert min(heights) >= 11, heights
        labels = await phone.evaluate(
            "() => [...document.querySelectorAll('#portfolio-industry text.axis.x')].map((t) => t.getBoundingClientRect())"
            ".map((r) => [r.left, r.right])"
        )
        assert all(a[1] <= b[0] for a, b in pairwise(labels)), labels  # no label overlaps
        # one industry at a time: tapping its legend entry dims the others, tapping again shows all alike
        entry = phone.locator("#portfolio-industry .legend button").nth(1)
        await entry.click()
        assert await phone.locator("#portfolio-industry g.series.dim").count() == lines - 1
        chosen = await phone.locator("#portfolio-industry g.series.chosen").get_attribute("data-series")
        assert chosen == await entry.inner_text()
        await phone.locator("#portfolio-industry").screenshot(path=str(screenshots / "phone-industry.png"))
        await entry.click()
        assert await phone.locator("#portfolio-industry g.series.dim").count() == 0
        assert problems == []
    finally:
        api.stop()
