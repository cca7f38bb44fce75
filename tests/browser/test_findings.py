"""Issue 8's findings 1, 3, 7 and 8, and the panel's Repair through the server's authorize route, as the seller's
steps in Debian's Chromium against the real stack (one fresh stack per test, see conftest).

docs/journey.md maps each of the issue's ten findings to its browser test.
"""

from __future__ import annotations

from typing import Any

import pytest

from linkkit.models import LinkStatus, Role
from tests.browser.conftest import (
    MAPLE,
    Dashboard,
    authorize_in_new_tab,
    choose_shop,
    link_row,
    open_panel,
    open_wizard,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CEDAR = "7494100000000000401"


def test_seller_center_shows_it_is_not_evidence_and_never_connected(context: Any, dashboard: Dashboard) -> None:
    """Finding 1: "Seller Center already shows it as linked" without an invitation is a claim, not Connected."""
    dashboard.connect_shop()
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_role("button", name="Link a Marketing account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()
    authorize_in_new_tab(page, "Authorize with TikTok", "maple.deals")
    page.get_by_text("Sandbox Seller Center").wait_for()
    # no invitation was sent: the seller presses "Seller Center already shows it as linked"
    page.get_by_role("button", name="Seller Center already shows it as linked").click()
    page.get_by_text("Awaiting evidence").first.wait_for()
    shot(page, "finding-1-awaiting-evidence")
    assert page.locator(".lk-connected").count() == 0
    assert "Connected" not in page.locator(".lk-badge").all_inner_texts()
    page.get_by_role("button", name="Check again").click()  # verifying again keeps it a claim
    page.wait_for_function("() => !document.body.innerText.includes('Checking the link')")
    page.get_by_text("Awaiting evidence").first.wait_for()
    assert page.locator(".lk-connected").count() == 0
    [link] = [link for link in dashboard.service().links(MAPLE) if link.account.username == "maple.deals"]
    assert link.status is LinkStatus.AWAITING_EVIDENCE
    panel = open_panel(context, dashboard, "@maple.deals")
    row = link_row(panel, "@maple.deals")
    assert row.get_by_text("Awaiting evidence").count() >= 1
    assert row.locator(".lk-badge-ok").count() == 0
    shot(panel, "finding-1-panel-awaiting-evidence")


def test_cedar_shows_its_seller_center_links_and_history_once_connected(context: Any, dashboard: Dashboard) -> None:
    """Finding 3: links made in Seller Center appear without any action beyond connecting the shop."""
    page = open_wizard(context, dashboard)
    authorize_in_new_tab(page, "Authorize linkkit in Seller Center", "cedar_seller")
    page.get_by_label("Cedar Goods — US · Local seller").wait_for()
    panel = open_panel(context, dashboard, "@cedar.promo1")
    for name in ("@cedar.official", "@cedar.promo1", "@cedar.promo2"):
        assert link_row(panel, name).get_by_text("Found in Seller Center").count() >= 1, name
    assert panel.get_by_text("No accounts are linked").count() == 0
    shot(panel, "finding-3-cedar-accounts")
    panel.get_by_role("tab", name="History").click()
    rows = panel.locator("table.lk-history tbody tr")
    rows.first.wait_for()
    history = panel.locator("table.lk-history").inner_text()
    assert rows.count() > 2 and "@cedar.founder" in history, history[:600]
    shot(panel, "finding-3-cedar-history")
    # step 2 counts them: the Official account already exists in Seller Center
    choose = page.get_by_label("Cedar Goods — US · Local seller")
    choose.check()
    page.get_by_role("button", name="Use this shop").click()
    page.get_by_text("Seller Center rules that apply").wait_for()
    assert page.get_by_text("Official: none yet").count() == 0
    assert page.get_by_text("@cedar.official").count() >= 1


def test_repair_from_the_panel_is_bound_to_the_sellers_browser(browser: Any, context: Any,
                                                               dashboard: Dashboard) -> None:
    """Repair's authorization goes through /linkkit/authorize: another browser's callback is refused."""
    dashboard.connect_shop()
    link = dashboard.link(Role.MARKETING, "maple.deals")
    service = dashboard.service()
    panel = open_panel(context, dashboard, "@maple.deals")
    link_row(panel, "@maple.deals").get_by_role("button", name="Repair").click()
    again = panel.get_by_role("button", name="Authorize again with TikTok")
    again.wait_for()
    with context.expect_page() as popup_info:
        again.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    popup.locator("#username").wait_for()  # TikTok's page, reached through the server's authorize route
    before = [(e.kind, e.link_id) for e in service.events(MAPLE)]
    callback = service.sandbox.consent(popup.url, "maple.deals", "pass_good")
    stranger = browser.new_context()
    try:
        elsewhere = stranger.new_page()
        response = elsewhere.goto(callback)
        assert response is not None and response.status == 400
        assert "Reason code: state_mismatch" in elsewhere.inner_text("body")
        shot(elsewhere, "repair-callback-other-browser")
    finally:
        stranger.close()
    assert [(e.kind, e.link_id) for e in service.events(MAPLE)] == before  # nothing stored
    assert not any(e.kind == "repaired" for e in service.events(MAPLE))
    # the seller's own browser completes it, and the panel says so
    popup.goto(callback)
    popup.get_by_text("TikTok authorized @maple.deals").wait_for()
    panel.get_by_text("@maple.deals re-authorized: Connected").wait_for()
    assert service.link(link.id).status is LinkStatus.CONNECTED
    assert any(e.kind == "repaired" for e in service.events(MAPLE))
    shot(panel, "repair-connected")


def open_analytics(context: Any, dashboard: Dashboard, first_account: str, *, width: int = 1280) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(dashboard.panel_url)
    link_row(page, first_account).wait_for()
    page.evaluate("""() => {
        window.__sawNoData = false;
        const look = () => { if (document.body.innerText.includes('No sales data yet')) window.__sawNoData = true; };
        new MutationObserver(look).observe(document.body, {childList: true, subtree: true, characterData: true});
    }""")
    page.get_by_role("tab", name="Analytics").click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=120_000)
    return page


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                        return r.width && r.height ? {x: r.x, y: r.y, width: r.width, height: r.height} : null; };
    const svg = plot.querySelector('.main-svg');
    return {name: (plot.querySelector('.gtitle') || {}).textContent || '',
            chart: box(svg), title: box(plot.querySelector('.gtitle')), legend: box(plot.querySelector('.legend')),
            captions: [...plot.querySelectorAll('.annotation')].map(box).filter(Boolean)};
})"""


def check_chart_layout(page: Any) -> list[str]:
    problems = []
    for chart in page.evaluate(CHART_BOXES):
        frame = chart["chart"]
        for part in [chart["title"], *chart["captions"]]:
            if part is None:
                continue
            if part["x"] < frame["x"] - 1 or part["x"] + part["width"] > frame["x"] + frame["width"] + 1 or \
                    part["y"] < frame["y"] - 1 or part["y"] + part["height"] > frame["y"] + frame["height"] + 1:
                problems.append(f"{chart['name'][:40]}: clipped {part} outside {frame}")
            if chart["legend"] is not None and overlaps(chart["legend"], part):
                problems.append(f"{chart['name'][:40]}: legend {chart['legend']} overlaps {part}")
        legend = chart["legend"]
        if legend is not None and legend["y"] + legend["height"] > frame["y"] + frame["height"] + 1:
            problems.append(f"{chart['name'][:40]}: legend {legend} cut off below {frame}")
    return problems


@pytest.mark.parametrize("width", [1280, 420])
def test_analytics_says_what_it_shows_and_keeps_to_the_shop(context: Any, dashboard: Dashboard, width: int) -> None:
    """Finding 8 (and 7): skeleton not "no data", names not ids, per-shop accounts, captions whole and clear."""
    dashboard.connect_shop()
    dashboard.connect_shop("cedar_seller")
    dashboard.link(Role.OFFICIAL, "maple.official")
    page = open_analytics(context, dashboard, "@maple.official", width=width)
    assert page.evaluate("() => window.__sawNoData") is False  # the skeleton showed while loading, not "no data"
    text = page.inner_text("body")
    assert MAPLE not in text and CEDAR not in text  # shops by name
    problems = check_chart_layout(page)
    shot(page, f"finding-8-analytics-{width}")
    assert problems == [], problems
    # Finding 7: no cloud/share/edit buttons, and only a few modebar tab stops
    assert page.locator("[data-title*='Cloud'], [data-title*='Share'], [data-title*='Chart Studio'], "
                        "a.modebar-btn[href*='plot.ly'], [data-title*='Edit in']").count() == 0
    stops = page.evaluate("() => [...document.querySelectorAll('.modebar a, .modebar button')]"
                          ".filter(el => el.tabIndex >= 0).length")
    assert stops <= 3 * page.locator(".js-plotly-plot").count()
    # the Cedar view lists Cedar's accounts only
    page.get_by_role("tab", name="Linked accounts").click()
    shops = page.locator("select", has=page.locator("option", has_text="Cedar Goods")).first
    shops.wait_for()
    labels = shops.evaluate("el => [...el.options].map(o => o.textContent.replace(/\\s/g, ' '))")
    shops.select_option(index=next(i for i, label in enumerate(labels) if "Cedar Goods" in label))
    link_row(page, "@cedar.promo1").wait_for()
    page.get_by_role("tab", name="Analytics").click()
    page.wait_for_function("() => [...document.querySelectorAll('.widget-dropdown select option')]"
                           ".some(o => o.textContent.includes('@cedar.'))", timeout=120_000)
    options = page.evaluate("() => [...document.querySelectorAll('.widget-dropdown select option')]"
                            ".map(o => o.textContent).filter(t => t.includes('@'))")
    assert options and not any("maple" in option for option in options), options
    assert MAPLE not in page.inner_text("body") and CEDAR not in page.inner_text("body")
    empty = page.get_by_text("No link changes in this period")
    if empty.count():  # an empty chart says why
        assert empty.first.is_visible()
    shot(page, f"finding-8-analytics-cedar-{width}")


def test_the_wizard_tab_shows_the_specific_cause_and_no_internals(context: Any, dashboard: Dashboard) -> None:
    """Finding 9: the specific cause where the seller is looking, no traceback or internal marker anywhere."""
    dashboard.connect_shop()
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_role("button", name="Link a Marketing account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()
    popup = authorize_in_new_tab(page, "Authorize with TikTok", "london.creator")  # a GB account, a US shop
    popup.get_by_text("registered in GB").first.wait_for()
    page.get_by_text("registered in GB").first.wait_for()  # the same specific text in the wizard's own tab
    assert "sells in US" in page.inner_text("body")
    page.get_by_text("Activity log").first.click()
    shot(page, "finding-9-specific-cause")
    for shown in (page.inner_text("body"), popup.inner_text("body")):
        for internal in ("Traceback", "[REDACTED]", 'File "', ".py\", line", "E001", "TikTok log ID"):
            assert internal not in shown, internal
    assert not any(link.account.username == "london.creator" for link in dashboard.service().links(MAPLE))


def test_a_tiktok_outage_keeps_connected_with_a_note(context: Any, dashboard: Dashboard) -> None:
    """Finding 9 (outage): "couldn't check" keeps the status; the row never turns "Needs attention"."""
    import requests

    dashboard.connect_shop()
    dashboard.link(Role.MARKETING, "maple.deals")
    panel = open_panel(context, dashboard, "@maple.deals")
    faults = f"{dashboard.sandbox_url.rstrip('/')}/_sandbox/faults"
    requests.post(faults, json={"kind": "http_503", "count": 30, "path_prefix": "/v2/user/info/"},
                  timeout=10).raise_for_status()
    try:
        link_row(panel, "@maple.deals").get_by_role("button", name="Verify now").click()
        panel.get_by_text("Last check failed — TikTok unavailable").first.wait_for()
    finally:
        requests.delete(faults, timeout=10).raise_for_status()
    row = link_row(panel, "@maple.deals")
    assert row.locator(".lk-badge-ok", has_text="Connected").count() == 1
    assert "Needs attention" not in panel.inner_text("body")
    shot(panel, "finding-9-outage-keeps-connected")
