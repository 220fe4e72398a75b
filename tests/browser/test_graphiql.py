"""GraphiQL in headless Chromium, served by a real server with no network: loads, documents, runs."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser
from playwright.async_api import expect as playwright_expect

from app.graphiql.assets import load_bundle
from tests.browser.conftest import ARTIFACTS, Problems, open_graphiql

pytestmark = pytest.mark.browser

SCREENSHOT = ARTIFACTS / "graphiql.png"


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
