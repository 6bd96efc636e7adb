"""Chromium through Playwright for the page tests (the `browser` fixture is registered in conftest.py)."""

import os
import shutil
from collections.abc import AsyncIterator

import pytest

CHROMIUM = os.environ.get("PARTNERPULSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


LAPTOP = {"width": 1280, "height": 900}


PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator:
    if CHROMIUM is None:
        if os.environ.get("PARTNERPULSE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (PARTNERPULSE_REQUIRE_BROWSER) but not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def open_page(browser, url: str, viewport: dict) -> tuple:
    page = await browser.new_page(viewport=viewport)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    await page.goto(url)
    return page, problems


async def sign_in(page, token: str) -> None:
    """The dashboard signed in with a token, and its live subscription acknowledged."""
    await page.fill("#token", token)
    await page.click("#sign-in")
    await page.wait_for_selector("#live.on", timeout=10_000)
