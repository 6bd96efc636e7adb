"""GraphiQL at /graphql works without internet: the page and everything it loads (React, GraphiQL, the
explorer, Monaco's workers) come from the API itself. A real Chromium, with every request to another host
blocked, runs a query, opens the explorer and subscribes to riskFlagChanged over graphql-transport-ws."""

import json
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from redis.asyncio import Redis

from api.graphiql import ASSETS
from bench.processes import start_api
from domain.events import FlagEvent
from partnerpulse.settings import Settings
from tests.helpers.browser import LAPTOP
from tests.world import build_world


async def test_the_page_and_its_assets_are_served_by_the_api(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "unpkg.com" not in page.text and "esm.sh" not in page.text and "https://" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "worker-src 'self'" in policy
    script = await client.get("/graphiql/assets/graphiql.js", headers={"accept-encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-encoding"] == "gzip" and "createRoot" in script.text  # httpx unpacks it
    plain = await client.get("/graphiql/assets/graphql.worker.js", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert (await client.get("/graphiql/assets/../../app.py")).status_code == 404
    assert (await client.get("/graphiql/assets/missing.js")).status_code == 404
    size = sum(file.stat().st_size for file in ASSETS.iterdir())
    assert size < 3_000_000, size  # what a clone carries for it


async def _type_into(page, editor: str, text: str) -> None:
    """Replace a Monaco editor's text; insertText types no keys, so Monaco closes no brackets on its own."""
    await page.locator(editor).first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def _response_text(page) -> str:
    return await page.locator(".graphiql-response .view-lines").inner_text()


async def test_graphiql_runs_a_query_opens_the_explorer_and_subscribes_offline(
    browser,
    settings: Settings,
    connection: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    world = await build_world(connection)
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        context = await browser.new_context(viewport=LAPTOP)
        server = urlsplit(url).netloc
        blocked: list[str] = []

        async def only_the_server(route) -> None:
            if urlsplit(route.request.url).netloc == server:
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_the_server)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
        frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
        await page.goto(f"{url}/graphql")
        await page.wait_for_selector(".graphiql-query-editor .monaco-editor", timeout=20_000)

        await page.get_by_text("Headers", exact=True).click()
        await _type_into(
            page,
            ".monaco-editor[data-uri$='headers.json']",
            json.dumps({"Authorization": f"Bearer {world.tokens['admin']}"}),
        )
        await _type_into(
            page, ".graphiql-query-editor .monaco-editor", "{ cooperationProjects(first: 1) { totalCount } }"
        )
        await page.locator(".graphiql-execute-button").click()
        await page.locator(".graphiql-response", has_text="totalCount").wait_for(timeout=20_000)
        total = await connection.fetchval("SELECT count(*) FROM cooperation_projects")
        assert f'"totalCount": {total}' in (await _response_text(page)).replace("\u00a0", " ")

        await page.locator("button[aria-label='Show GraphiQL Explorer']").click()
        explorer = page.locator(".graphiql-explorer-root")
        await explorer.wait_for(timeout=10_000)
        await explorer.get_by_text("cooperationProjects", exact=True).first.wait_for()

        await _type_into(
            page, ".graphiql-query-editor .monaco-editor", "subscription { riskFlagChanged { reason severity } }"
        )
        await page.locator(".graphiql-execute-button").click()
        for _ in range(200):
            if any('"connection_ack"' in frame for frame in frames):
                break
            await page.wait_for_timeout(100)
        assert any('"connection_ack"' in frame for frame in frames), (frames, await _response_text(page), problems)
        flag_id = await connection.fetchval(
            "INSERT INTO risk_flags (project_id, reason, severity, explanations) "
            "VALUES ($1, 'NO_EXIT_PLAN', 'HIGH', jsonb_build_object('en', 'No exit plan.')) RETURNING id",
            world.projects["pilot"],
        )
        publisher = Redis.from_url(settings.redis_url)
        try:
            for _ in range(50):  # until the subscription has subscribed to the channel
                await publisher.publish(
                    settings.events_channel, FlagEvent(flag_id, world.projects["pilot"], "RAISED").encode()
                )
                if any("NO_EXIT_PLAN" in frame for frame in frames):
                    break
                await page.wait_for_timeout(200)
        finally:
            await publisher.aclose()
        await page.locator(".graphiql-response", has_text="NO_EXIT_PLAN").wait_for(timeout=10_000)
        assert blocked == [], blocked  # nothing was even asked of another host
        assert problems == [], problems
        await context.close()
    finally:
        api.stop()
