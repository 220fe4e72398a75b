"""GraphiQL in headless Chromium, served by a real server with no network: loads, documents, runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright
from playwright.async_api import expect as playwright_expect

from app.graphiql.assets import load_bundle
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No network: every name but the test server's address fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
TIMEOUT_MS = 60_000  # generous: other test runs share the machine's two cores
SCREENSHOT = ARTIFACTS / "graphiql.png"

# Collects what the page's security policy refused, from inside the page.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Problems:
    """Everything that must stay empty for the page to count as healthy."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


async def open_graphiql(browser: Browser, origin: str) -> tuple[Page, Problems, Any]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    problems = Problems()

    async def refuse_other_origins(route: Any) -> None:
        problems.external_requests.append(route.request.url)
        await route.abort()

    await context.route(lambda url: not url.startswith(origin + "/"), refuse_other_origins)
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = await context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console_errors.append(message.text)

    def on_failed(request: Request) -> None:
        problems.failed_requests.append(f"{request.url}: {request.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("requestfailed", on_failed)
    response = await page.goto(f"{origin}/graphql")
    assert response is not None
    return page, problems, response


async def test_graphiql_loads_documents_the_schema_and_runs_a_preloaded_query(
    live_server: str, browser: Browser
) -> None:
    # given GraphiQL opened from a server with no network around it
    page, problems, response = await open_graphiql(browser, live_server)
    policy = response.headers["content-security-policy"]
    tabs = json.loads(load_bundle().operations.body)["tabs"]

    # when the explorer has loaded its preloaded tabs and the schema
    await playwright_expect(page.locator(".graphiql-tab")).to_have_count(len(tabs))
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    await docs.get_by_role("link", name="Query", exact=True).click()

    # then the docs show the root fields
    await playwright_expect(docs.locator(".graphiql-doc-explorer-title")).to_have_text("Query")
    await playwright_expect(docs.get_by_text("categories", exact=True)).to_be_visible()

    # when the first tab (the public Categories query) runs
    await page.get_by_role("tab", name="Categories").click()
    await page.locator(".graphiql-execute-button").click()

    # then its result shows the seeded specialties
    result = page.locator(".result-window")
    await playwright_expect(result).to_contain_text('"name": "Cardiology"')

    # when a query is typed into a new tab and run
    await page.get_by_role("button", name="Add tab").click()
    await page.locator(".graphiql-query-editor .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text("query Typed { categories { name activeDoctorCount } }")
    # The tab takes the operation's name once GraphiQL has parsed the edit (debounced).
    await playwright_expect(page.get_by_role("tab", name="Typed")).to_be_visible()
    await page.locator(".graphiql-execute-button").click()

    # then its result comes back through the same origin
    await playwright_expect(result).to_contain_text('"activeDoctorCount"')

    # when a dialog opens (Radix adds a nonce'd <style> while it is open)
    await page.get_by_role("button", name="Open settings dialog").click()
    await playwright_expect(page.get_by_role("dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await playwright_expect(page.get_by_role("dialog")).to_have_count(0)

    # then nothing went wrong, nothing left the machine, and the policy held
    await page.get_by_role("tab", name="Categories").click()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    violations = await page.evaluate("window.__cspViolations")
    references = await page.evaluate(
        "[...document.querySelectorAll('[src],[href]')].map((e) => e.src || e.href)"
    )
    assert problems == Problems(), problems
    assert violations == []
    assert all(url.startswith((live_server + "/", "data:")) for url in references), references
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert SCREENSHOT.stat().st_size > 0
