"""The real stack (sandbox + Voila, started by ``linkkit.cli.Stack`` — ``make dashboard``'s own code) on free
ports with a temp registry, and Debian's Chromium driven by Playwright. Never skipped: a missing browser fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Dashboard:
    """A running stack plus a LinkService on the same registry, for set-up and assertions."""

    def __init__(self, stack: Any, settings: Any) -> None:
        self.stack = stack
        self.settings = settings

    @property
    def wizard_url(self) -> str:
        return self.stack.dashboard_url

    @property
    def panel_url(self) -> str:
        return f"{self.stack.public_url}/voila/render/02_linked_accounts.ipynb"

    def service(self) -> Any:
        from linkkit.linking import LinkService

        return LinkService.from_settings(self.settings)


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    from linkkit.cli import Stack, free_port
    from linkkit.config import Settings

    home = tmp_path_factory.mktemp("dashboard")
    key = Fernet.generate_key().decode()
    env = {
        "LINKKIT_DATABASE_URL": f"sqlite:///{home / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": key,
        "LINKKIT_HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    stack = Stack(ROOT / "linkkit" / "notebooks", voila_port=free_port(), sandbox_port=free_port(), env=env, quiet=True,
                  preheat=True, pool_size=2)
    stack.start()
    try:
        settings = Settings(mode="sandbox", sandbox_url=stack.sandbox_url, public_url=stack.public_url,
                            database_url=env["LINKKIT_DATABASE_URL"], secret_key=key)
        yield Dashboard(stack, settings)
    finally:
        stack.stop()


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
