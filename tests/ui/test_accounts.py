"""The linked-accounts page driven with .click() and .value against the in-process sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import ipywidgets as W
import pytest
import requests

from linkkit.linking import LinkService
from linkkit.models import LinkStatus, Provider, Role
from linkkit.ui import accounts_app
from linkkit.ui.components import expiry_text
from tests.nothing_stored import recorded_requests
from tests.ui.conftest import button, connect_shop, find_all, link_account, visible_text

pytestmark = pytest.mark.integration

MAPLE = "7494100000000000101"


@pytest.fixture
def linked(new_service: Callable[[], LinkService]) -> LinkService:
    service = new_service()
    connect_shop(service)
    link_account(service, MAPLE, Role.OFFICIAL, "maple.official")
    link_account(service, MAPLE, Role.MARKETING, "maple.deals")
    link_account(service, MAPLE, Role.MARKETING, "html.name")
    return service


def open_panel(new_service: Callable[[], LinkService]) -> Any:
    view = accounts_app(new_service(), analytics=True)
    view.panel.wait()
    return view


def row_buttons(view: Any, label: str) -> list[W.Button]:
    return find_all(view, lambda w: isinstance(w, W.Button) and w.description == label)


def test_table_lists_links_escaped(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    text = visible_text(view)
    for expected in ("Maple & Co", "@maple.official", "@maple.deals", "Official", "Marketing", "Connected",
                     "just now", "expires in"):
        assert expected in text, expected
    html_values = " ".join(w.value for w in find_all(view, lambda w: isinstance(w, W.HTML)))
    assert "<img src=x onerror" not in html_values and "&lt;b&gt;Bold&lt;/b&gt;" in html_values
    assert len(row_buttons(view, "Verify now")) == 3
    assert len(find_all(view, lambda w: getattr(w, "label", None) == "Replace")) == 1  # Official only
    view.panel.close()


def test_expiry_colours() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert expiry_text(now + timedelta(days=30), now) == ("expires in 30 days", "")
    assert expiry_text(now + timedelta(days=3), now) == ("expires in 3 days", "lk-amber")
    assert expiry_text(now - timedelta(hours=2), now) == ("expired 2 hours ago", "lk-red")


def test_verify_all_reports_progress(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    seen: list[tuple[int, int]] = []
    view.panel.observe(lambda change: seen.append(change["new"]), names="progress")
    button(view, "Verify all").click()
    view.panel.wait()
    assert seen[-1] == (3, 3) and (1, 3) in seen
    assert "All 3 links passed every check" in visible_text(view)
    assert "3 of 3 checked" in visible_text(view)
    view.panel.close()


def test_tiktok_unavailable_keeps_the_status_with_a_note(linked: LinkService,
                                                         new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    sandbox_url = linked.settings.sandbox_url
    requests.post(f"{sandbox_url}/_sandbox/faults", json={"kind": "http_503", "count": 30,
                                                          "path_prefix": "/v2/user/info/"}, timeout=10).raise_for_status()
    try:
        row_buttons(view, "Verify now")[1].click()  # @maple.deals
        view.panel.wait()
    finally:
        requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=10).raise_for_status()
    deals = next(link for link in view.panel.links if link.account.username == "maple.deals")
    assert deals.status is LinkStatus.CONNECTED
    assert deals.last_check_failed_reason == "provider_unavailable"
    text = visible_text(view)
    assert "Needs attention" not in text
    assert "Last check failed — TikTok unavailable" in text
    assert "could not be checked: its status stays Connected" in text
    assert text.count("Last check failed") == 1, "only the row that was checked carries the note"
    row_buttons(view, "Verify now")[1].click()
    view.panel.wait()
    assert "Last check failed" not in visible_text(view), "a check that gets through clears the note"
    view.panel.close()


def test_unlink_refused_inside_24h_then_allowed(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    deals = next(link for link in view.panel.links if link.account.username == "maple.deals")
    view.panel.ask_unlink(deals.id)
    text = visible_text(view)
    assert "Unlink Maple Deals (@maple.deals)?" in text and "frees one of the four places" in text
    button(view, "Unlink @maple.deals").click()
    view.panel.wait()
    problem = view.panel.reporter.problem
    assert problem is not None and problem.code == "unlink_too_early"
    assert "linked less than 24 hours ago" in visible_text(view)
    # refused: nothing changed — still Connected, no unlink event, its TikTok grant kept and still working
    assert linked.link(deals.id).status is LinkStatus.CONNECTED
    assert "unlinked" not in {e.kind for e in linked.events(MAPLE)}
    assert linked.store.token(Provider.LOGIN_KIT, deals.account.open_id) is not None
    assert not [r for r in recorded_requests(linked.settings.sandbox_url) if r["path"] == "/v2/oauth/revoke/"]
    # 25 hours later
    linked.sandbox.advance_clock(25 * 3600)
    view2 = open_panel(new_service)
    view2.panel.ask_unlink(deals.id)
    button(view2, "Unlink @maple.deals").click()
    view2.panel.wait()
    assert view2.panel.reporter.problem is None
    assert "@maple.deals is unlinked" in visible_text(view2)
    assert [link.account.username for link in view2.panel.links] == ["maple.official", "html.name"]
    view.panel.close()
    view2.panel.close()


def test_repair_keeps_the_link_record(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    official = next(link for link in view.panel.links if link.role is Role.OFFICIAL)
    view.panel.poll_interval = 0.05
    view.on_repair(official.id)
    view.panel.wait()
    auth = view.panel.repair_auth
    assert auth is not None and "Repair @maple.official" in visible_text(view)
    callback = linked.sandbox.consent(auth.url, "maple.official", "pass_good")
    linked.complete_authorization(callback)  # the callback tab's kernel
    for _ in range(200):
        if view.panel.repair_link_id == 0:
            break
        import time

        time.sleep(0.05)
    assert view.panel.repair_link_id == 0
    view.panel.wait()
    assert [link.id for link in linked.links(MAPLE) if link.role is Role.OFFICIAL] == [official.id]
    assert any(e.kind == "repaired" for e in linked.events(MAPLE))
    view.panel.close()


def test_history_filters(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    kinds = next(w for w in find_all(view, lambda w: isinstance(w, W.SelectMultiple)))
    kinds.value = ("verified",)
    assert view.panel.events and {e.kind for e in view.panel.events} == {"verified"}
    search = next(w for w in find_all(view, lambda w: isinstance(w, W.Text) and w.description == "Search"))
    search.value = "@maple.deals"
    assert {e.username for e in view.panel.events} == {"maple.deals"}
    button(view, "Clear filters").click()
    assert len({e.kind for e in view.panel.events}) > 3
    view.panel.close()


def test_troubleshooter_and_faq(new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    assert "No shop is connected yet" in visible_text(view)
    symptom = next(w for w in find_all(view, lambda w: isinstance(w, W.Dropdown) and "What happened" in w.description))
    symptom.value = "region_mismatch"
    assert "Reason code: region_mismatch" in visible_text(view)
    search = next(w for w in find_all(view, lambda w: isinstance(w, W.Text) and "nothing happens" in w.placeholder))
    search.value = "does linking cost money"
    assert symptom.value is None
    # the answer the seller sees first is the one about cost (with no search, the FAQ starts elsewhere)
    faq = next(w for w in find_all(view, lambda w: isinstance(w, W.HTML) and "lk-faq" in w.value))
    questions = re.findall(r"<summary>(.*?)</summary>", faq.value)
    assert questions[0] == "Does linking cost anything?"
    assert "Linking a TikTok account to your shop is free." in faq.value.split("</details>")[0]
    search.value = ""
    assert re.findall(r"<summary>(.*?)</summary>", faq.value)[0] != "Does linking cost anything?"
    view.panel.close()


def test_analytics_tab_is_guarded(new_service: Callable[[], LinkService], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    broken = types.ModuleType("linkkit.ui.analytics_view")

    class AnalyticsView:
        def __init__(self, *args: Any) -> None:
            raise RuntimeError("no data")

    broken.AnalyticsView = AnalyticsView  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "linkkit.ui.analytics_view", broken)
    view = open_panel(new_service)
    tabs = next(w for w in find_all(view, lambda w: isinstance(w, W.Tab)))
    tabs.selected_index = 3
    assert "Analytics is not available right now" in visible_text(view)
    assert any("no data" in line for line in view.panel.reporter.lines)
    view.panel.close()


def test_analytics_tab_loads_the_shops_data(linked: LinkService, new_service: Callable[[], LinkService]) -> None:
    view = open_panel(new_service)
    tabs = next(w for w in find_all(view, lambda w: isinstance(w, W.Tab)))
    tabs.selected_index = 3
    analytics = view.analytics_view
    assert analytics is not None, visible_text(view)
    analytics.wait()
    assert analytics.model is not None, "the sandbox's Maple & Co has sales to show"
    links = analytics.model.data.links
    assert set(links["username"]) == {"maple.official", "maple.deals", "html.name"}
    assert set(analytics.figures) >= {"gmv", "channels", "funnel"}
    assert "Analytics is not available" not in visible_text(view)
    view.panel.close()
