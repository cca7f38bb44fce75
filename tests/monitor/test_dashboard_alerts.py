"""The monitor's alerts on the dashboard's widgets (in-process; the browser test drives the real pages)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from linkkit.monitor import Monitor
from linkkit.ui import accounts_app, onboarding_app
from linkkit.ui.wizard import Step
from tests.integration.conftest import Harness
from tests.monitor.conftest import connected_link, secrets_in, unbind_in_seller_center

pytestmark = pytest.mark.integration


def _wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_accounts_page_shows_a_broken_link_with_repair_and_dismiss_hides_it(
        h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    unbind_in_seller_center(h, link)
    make_monitor().run_once()
    view: Any = accounts_app(h.service, analytics=False)
    banner = view.alerts_banner._html.value
    assert "1 alert from the link monitor" in banner
    assert f"@{link.account.username}" in banner and "Broken" in banner
    assert f'href="{h.service.settings.public_url}/voila/render/01_link_accounts.ipynb?repair={link.id}"' in banner
    assert not any(secret in banner for secret in secrets_in(h))
    tabs = next(c for c in view.children if type(c).__name__ == "Tab")
    assert tabs.get_title(len(tabs.children) - 1) == "Alerts"
    alerts_tab = tabs.children[-1]
    (row,) = alerts_tab._rows.children
    row.children[1].click()  # Dismiss
    assert Monitor(h.service).alerts() == []
    assert view.alerts_banner._html.value == ""
    assert "No alerts" in alerts_tab._rows.children[0].value


def test_repair_in_the_query_reopens_the_wizard_in_update_mode_for_that_link(h: Harness) -> None:
    link = connected_link(h)
    view: Any = onboarding_app(h.service, query=f"?repair={link.id}")
    wizard = view.wizard
    _wait(lambda: wizard.step == Step.AUTHORIZE and not wizard.busy)
    assert wizard.repair_link_id == link.id
    assert wizard.link is not None and wizard.link.id == link.id
    assert wizard.shop is not None and wizard.shop.id == link.shop_id


def test_repair_of_an_unknown_link_opens_the_wizard_as_usual(h: Harness) -> None:
    connected_link(h)
    view: Any = onboarding_app(h.service, query="?repair=999")
    wizard = view.wizard
    _wait(lambda: bool(wizard.notice))
    assert "no longer active" in wizard.notice
    assert wizard.repair_link_id == 0
    assert wizard.step == Step.CONNECT
