"""GraphiQL's subscriptions in headless Chromium: a watched board updates when the doctor acts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, WebSocket
from playwright.async_api import expect as playwright_expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account
from tests.browser.conftest import ARTIFACTS, Problems, open_graphiql
from tests.factories import make_schedule
from tests.operations import operation

pytestmark = pytest.mark.browser

DEMO_DOCTOR = "asha.rao@demo.medimyth.test"
DEMO_PASSWORD = "demo password 1"  # tests/browser/conftest.py's demo_data
START_SESSION = """mutation Start($scheduleId: ID!, $date: Date!) {
  startSession(scheduleId: $scheduleId, date: $date) { __typename }
}"""
SCREENSHOT = ARTIFACTS / "graphiql-subscription.png"


def watch_session(schedule_id: int, day: str) -> str:
    # Typed into the editor as one line: CodeMirror would re-indent a multi-line paste.
    return (
        f'subscription Board {{ liveSession(scheduleId: "{schedule_id}", date: "{day}") '
        "{ state nowServing waitingCount } }"
    )


async def test_a_subscription_in_graphiql_shows_the_session_starting(
    live_server: str, browser: Browser, session: AsyncSession
) -> None:
    # given a demo doctor's schedule that meets today (the server's real clock), and the
    # doctor signed in
    doctor = await session.scalar(select(Account).where(Account.email == DEMO_DOCTOR))
    assert doctor is not None
    today = datetime.now(UTC).astimezone(ZoneInfo(doctor.time_zone)).date()
    schedule = await make_schedule(session, doctor, weekday=today.weekday(), patient_limit=None)
    await session.commit()
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        login = await http.post(
            "/graphql",
            json={
                "query": operation("Login"),
                "variables": {"email": DEMO_DOCTOR, "password": DEMO_PASSWORD},
            },
        )
        token = login.json()["data"]["login"]["accessToken"]

        # when the board's subscription is typed into GraphiQL and run
        page, problems, _ = await open_graphiql(browser, live_server)
        sockets: list[WebSocket] = []

        def opened(socket: WebSocket) -> None:
            sockets.append(socket)

        page.on("websocket", opened)
        await page.get_by_role("button", name="Add tab").click()
        await page.locator(".graphiql-query-editor .CodeMirror").click()
        await page.keyboard.press("Control+A")
        await page.keyboard.insert_text(watch_session(schedule.id, today.isoformat()))
        await playwright_expect(page.get_by_role("tab", name="Board")).to_be_visible()
        await page.locator(".graphiql-execute-button").click()

        # then the current state arrives over a same-origin WebSocket
        result = page.locator(".result-window")
        await playwright_expect(result).to_contain_text('"state": "NOT_STARTED"')

        # when the doctor starts the session (outside GraphiQL, as the chamber's phone would)
        started = await http.post(
            "/graphql",
            json={
                "query": START_SESSION,
                "variables": {"scheduleId": str(schedule.id), "date": today.isoformat()},
            },
            headers={"Authorization": f"Bearer {token}"},
        )

    # then the running subscription shows it, on the one socket it opened
    assert started.json()["data"]["startSession"]["__typename"] == "LiveSessionChanged"
    await playwright_expect(result).to_contain_text('"state": "RUNNING"')
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    ws_origin = live_server.replace("http://", "ws://", 1)
    assert [socket.url for socket in sockets] == [f"{ws_origin}/graphql"]

    # when the subscription is stopped (the execute button stops a running one)
    async with sockets[0].expect_event("close"):
        await page.locator(".graphiql-execute-button").click()

    # then its socket closed (above), and nothing broke the page's policy or left the machine
    violations = await page.evaluate("window.__cspViolations")
    assert violations == []
    assert problems == Problems(), problems
