"""Browser tests: the real stack (sandbox + Voila, started by ``linkkit.cli.Stack`` — ``make dashboard``'s own
code) on free ports, and Debian's Chromium driven by Playwright. Never skipped: a missing browser fails.

Every test gets its own stack: a fresh registry file, a fresh sandbox world (its own clock) and its own Voila
server, so each test runs alone (``pytest tests/browser -k NAME``) and in any order. A stack without preheated
kernels starts in a few seconds; a module that needs Voila's kernel pool overrides ``stack_options``.

Fixtures (names are stable; other browser test modules build on them):

``stack_options``
    Keyword arguments for :class:`linkkit.cli.Stack` (default ``{"preheat": False}``). Override it in a module,
    e.g. ``@pytest.fixture def stack_options(): return {"preheat": True, "pool_size": 2}``.
``dashboard``
    A running :class:`Dashboard` for this test: ``wizard_url``, ``panel_url``, ``sandbox_url``, ``stack``,
    ``settings``, ``service()`` (a LinkService on the same registry, for set-up and assertions),
    ``connect_shop()`` and ``link()`` (set-up without the UI).
``browser``
    The session's Chromium (Playwright ``Browser``).
``context``
    A fresh browser context (1280×800, 45 s default timeout) per test.

Helpers for tests: :func:`open_wizard`, :func:`open_panel`, :func:`authorize_in_new_tab`, :func:`consent`,
:func:`choose_shop`, :func:`link_row` (one account's row in the linked-accounts table, located by its
@username — never by position) and :func:`shot` (a screenshot into ``test-artifacts/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkkit.stack_demo import MAPLE as MAPLE  # re-exported for the browser tests
from linkkit.stack_demo import DemoStack, demo_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOP_LABEL = "Maple & Co — US · Local seller"


Dashboard = DemoStack  # the tests' name for it (see linkkit.stack_demo)


@pytest.fixture
def stack_options() -> dict[str, Any]:
    return {"preheat": False}


@pytest.fixture
def dashboard(tmp_path: Path, stack_options: dict[str, Any]) -> Iterator[Dashboard]:
    with demo_stack(tmp_path, **stack_options) as demo:
        yield demo


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required for browser tests (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(45_000)
    try:
        yield context
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_wizard(context: Any, dashboard: Dashboard) -> Any:
    page = context.new_page()
    page.goto(dashboard.wizard_url)
    try:
        page.get_by_text("Step 1 of 5").wait_for()
    except Exception:
        shot(page, "failed-open-wizard")
        raise
    return page


def open_panel(context: Any, dashboard: Dashboard, first_account: str) -> Any:
    """The linked-accounts page, once the row of ``first_account`` (an @username) shows."""
    page = context.new_page()
    page.goto(dashboard.panel_url)
    link_row(page, first_account).wait_for()
    return page


def consent(popup: Any, username: str, *, allow: bool = True) -> None:
    """Play the person on the sandbox's TikTok / TikTok Shop page in the new tab."""
    popup.wait_for_load_state()
    popup.locator("#username").fill(username)
    popup.locator("#password").fill("pass_good")
    popup.get_by_role("button", name="Authorize" if allow else "Cancel").click()


def authorize_in_new_tab(page: Any, label: str, username: str, *, allow: bool = True) -> Any:
    with page.context.expect_page() as popup_info:
        page.get_by_role("button", name=label).click()
    popup = popup_info.value
    consent(popup, username, allow=allow)
    return popup


def choose_shop(page: Any) -> None:
    page.get_by_label(SHOP_LABEL).check()
    page.get_by_role("button", name="Use this shop").click()
    page.get_by_text("Step 2 of 5").wait_for()
    page.get_by_text("Seller Center rules that apply").wait_for()


def link_row(page: Any, username: str) -> Any:
    """The linked-accounts table row of the account ``@username`` (its buttons are inside it)."""
    name = page.locator(".lk-names", has_text=username)
    return page.locator(".lk-trow", has=name)
