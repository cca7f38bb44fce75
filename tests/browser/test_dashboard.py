"""End to end in Debian's Chromium against the real stack; every test on its own fresh stack and registry.

A page load stays on 127.0.0.1; Maple & Co links its Official account through the sandbox consent page in a new
tab and both tabs show Connected; a denied consent shows the guidance and stores nothing; with four Marketing
accounts a fifth is refused before consent; the accounts panel lists the links and unlinks one after the 24 h
rule; the Troubleshooter answers what a seller picks or types; the analytics charts render offline.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from linkkit.models import Role
from tests.browser.conftest import (
    MAPLE,
    SHOP_LABEL,
    Dashboard,
    authorize_in_new_tab,
    choose_shop,
    link_row,
    open_panel,
    open_wizard,
    shot,
)
from tests.nothing_stored import assert_nothing_stored, recorded_requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MARKETING = ("maple.deals", "maple.studio", "maple.live", "maple.unbox")


def test_page_load_makes_no_request_off_the_machine(context: Any, dashboard: Dashboard) -> None:
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = open_wizard(context, dashboard)
    page.get_by_role("button", name="Authorize linkkit in Seller Center").wait_for()
    page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in requests if url.startswith(("http:", "https:", "ws:", "wss:"))}
    assert hosts == {"127.0.0.1"}, hosts
    assert page.locator("text=Traceback").count() == 0
    shot(page, "wizard-1-connect")
    page.set_viewport_size({"width": 420, "height": 900})
    shot(page, "wizard-1-connect-420px")


def test_link_official_end_to_end(context: Any, dashboard: Dashboard) -> None:
    """Both authorizations finish in the return tab (served by linkkit, no kernel); the seller's tab carries on."""
    page = open_wizard(context, dashboard)
    popup = authorize_in_new_tab(page, "Authorize linkkit in Seller Center", "maple_seller")
    popup.get_by_text("Pick the shop to continue").first.wait_for()  # the return tab says what happened
    assert "your linkkit tab shows this too" in popup.locator("main").inner_text().lower()
    page.get_by_label(SHOP_LABEL).wait_for()  # and the original tab noticed by itself
    shot(page, "wizard-1-shops")
    popup.close()
    choose_shop(page)
    shot(page, "wizard-2-choose")
    page.get_by_role("button", name="Link an Official account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()
    page.get_by_role("button", name="Authorize with TikTok").wait_for()
    shot(page, "wizard-3-permissions")
    popup = authorize_in_new_tab(page, "Authorize with TikTok", "maple.official")
    popup.get_by_text("TikTok authorized @maple.official").first.wait_for()
    shot(popup, "wizard-3-return-tab")
    assert "code=" not in popup.url or popup.locator("#lk-outcome").count() == 1  # a linkkit page, not a notebook
    popup.close()
    page.get_by_text("Sandbox Seller Center").wait_for()  # the original tab moved on to step 4
    shot(page, "wizard-4-seller-center")
    page.get_by_role("button", name="1 · Send the invitation (as the seller)").click()
    page.get_by_text("Invitation sent").wait_for()
    page.get_by_role("button", name="2 · Accept it in the TikTok app (as @maple.official)").click()
    page.get_by_text("Invitation accepted. Verify the link.").wait_for()
    page.get_by_role("button", name="Verify the link").click()
    page.locator(".lk-connected").wait_for()
    assert page.locator(".lk-connected").inner_text().strip() == "Connected"
    assert page.locator(".lk-cross").count() == 0
    shot(page, "wizard-5-connected")
    links = dashboard.service().links(MAPLE)
    assert [(link.role, link.account.username, link.status.value) for link in links] == [
        (Role.OFFICIAL, "maple.official", "connected")]


def deny_marketing_consent(context: Any, dashboard: Dashboard) -> tuple[Any, Any]:
    """Maple & Co (with its Official account) starts a Marketing link and the person presses Cancel on TikTok."""
    dashboard.connect_shop()
    dashboard.link(Role.OFFICIAL, "maple.official")
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_role("button", name="Link a Marketing account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()  # step 3 is drawn, its authorization minted
    page.get_by_role("button", name="Authorize with TikTok").wait_for()
    popup = authorize_in_new_tab(page, "Authorize with TikTok", "maple.deals", allow=False)
    return page, popup


def test_denied_consent_shows_guidance(context: Any, dashboard: Dashboard) -> None:
    _page, popup = deny_marketing_consent(context, dashboard)
    popup.get_by_text("You declined the permissions on TikTok").first.wait_for()
    assert popup.get_by_text("Reason code: consent_denied").count() == 1
    shot(popup, "wizard-3-denied-callback-tab")
    service = dashboard.service()
    assert [link.account.username for link in service.links(MAPLE)] == ["maple.official"]
    # nothing stored for the denial, and no code was exchanged (so there was no grant to revoke)
    assert_nothing_stored(service, links=1, accounts=1)
    exchanged = [r for r in recorded_requests(dashboard.sandbox_url) if r["path"] == "/v2/oauth/token/"
                 and isinstance(r["body"], dict) and r["body"].get("grant_type") == "authorization_code"]
    assert len(exchanged) == 1, "only the set-up's Official link exchanged a code"


def test_denied_consent_reaches_the_first_tab(context: Any, dashboard: Dashboard) -> None:
    page, popup = deny_marketing_consent(context, dashboard)
    popup.get_by_text("You declined the permissions on TikTok").first.wait_for()
    page.get_by_text("You declined the permissions on TikTok").first.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Try again").is_visible()
    shot(page, "wizard-3-denied")


def test_marketing_refused_before_consent_when_four_exist(context: Any, dashboard: Dashboard) -> None:
    dashboard.connect_shop()
    for name in MARKETING:
        dashboard.link(Role.MARKETING, name)
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_text("Marketing: 4 of 4").wait_for()
    page.get_by_text("Not available: ").first.wait_for()
    assert page.get_by_role("button", name="Link a Marketing account").is_disabled()
    shot(page, "wizard-2-marketing-limit")
    assert len(dashboard.service().links(MAPLE)) == 4


def test_accounts_panel_lists_and_unlinks_after_24h(context: Any, dashboard: Dashboard) -> None:
    dashboard.connect_shop()
    dashboard.link(Role.OFFICIAL, "maple.official")
    for name in MARKETING:
        dashboard.link(Role.MARKETING, name)
    page = open_panel(context, dashboard, "@maple.unbox")
    for name in ("@maple.official", "@maple.deals", "@maple.studio", "@maple.live", "@maple.unbox"):
        assert link_row(page, name).count() == 1, name
        assert link_row(page, name).locator(".lk-badge-ok", has_text="Connected").count() == 1, name
    shot(page, "panel-1-links")
    page.get_by_role("button", name="Verify all").click()
    page.get_by_text("All 5 links passed every check").wait_for()
    link_row(page, "@maple.unbox").get_by_role("button", name="Unlink").click()
    page.get_by_role("button", name="Unlink @maple.unbox").click()
    page.get_by_text("Reason code: unlink_too_early").wait_for()
    shot(page, "panel-2-unlink-refused")
    assert link_row(page, "@maple.unbox").locator(".lk-badge-ok", has_text="Connected").count() == 1
    dashboard.service().sandbox.advance_clock(25 * 3600)
    page.reload()
    link_row(page, "@maple.unbox").wait_for()
    link_row(page, "@maple.unbox").get_by_role("button", name="Unlink").click()
    page.get_by_role("button", name="Unlink @maple.unbox").click()
    page.get_by_text("@maple.unbox is unlinked").wait_for()
    shot(page, "panel-3-unlinked")
    assert link_row(page, "@maple.unbox").count() == 0  # unlinked accounts are hidden by default
    assert link_row(page, "@maple.deals").count() == 1
    assert [link.account.username for link in dashboard.service().links(MAPLE)] == [
        "maple.official", "maple.deals", "maple.studio", "maple.live"]
    page.get_by_role("tab", name="History").click()
    page.get_by_text("Unlinked").first.wait_for()
    shot(page, "panel-4-history")


def test_troubleshooter_answers_what_the_seller_picks_or_types(context: Any, dashboard: Dashboard) -> None:
    from linkkit import troubleshoot

    page = context.new_page()
    page.goto(dashboard.panel_url)
    page.get_by_role("tab", name="Troubleshooter").click()
    page.get_by_text("Questions sellers ask").wait_for()
    # what the seller types: the first entry is the one for a wrong region, with its steps and code
    search = page.get_by_placeholder("nothing happens", exact=False)
    search.fill("account from another country")
    region = troubleshoot.entry("region_mismatch")
    entry = page.locator(".lk-problem").first
    entry.get_by_text(region.title).wait_for()
    assert entry.locator("h3").inner_text().strip() == region.title
    assert region.steps[0] in entry.inner_text()
    assert "Reason code: region_mismatch" in entry.inner_text()
    # and the FAQ answer for it comes first
    # (the FAQ list redraws just after the entry: wait for it rather than read the old list)
    from playwright.sync_api import expect

    expect(page.locator(".lk-faq summary").first).to_have_text("Can I link a TikTok account from another country?",
                                                               timeout=30_000)
    page.locator(".lk-faq summary").first.click()
    answer = next(item.answer for item in troubleshoot.FAQ if item.question.startswith("Can I link a TikTok account"))
    page.get_by_text(answer[:60]).wait_for()
    shot(page, "panel-5-troubleshooter")
    # what the seller picks from the list instead
    search.fill("")
    revoked = troubleshoot.entry("token_revoked")
    page.get_by_label("What happened?").select_option(label=f"{revoked.title} (token_revoked)")
    page.locator(".lk-problem h3", has_text=revoked.title).wait_for()
    assert page.locator(".lk-problem").count() == 1
    assert "Reason code: token_revoked" in page.locator(".lk-problem").inner_text()


def test_analytics_section_renders(context: Any, dashboard: Dashboard) -> None:
    """Plotly charts render offline in Voila: the analytics tab of the accounts page draws its figures."""
    dashboard.connect_shop()
    dashboard.link(Role.OFFICIAL, "maple.official")
    page = context.new_page()
    offsite: list[str] = []
    page.on("request", lambda r: offsite.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", "localhost")
            and not r.url.startswith(("data:", "blob:")) else None)
    page.goto(dashboard.panel_url)
    link_row(page, "@maple.official").wait_for()
    page.get_by_role("tab", name="Analytics").click()
    try:
        page.locator(".js-plotly-plot").first.wait_for(timeout=90_000)
    except Exception:
        shot(page, "failed-analytics")
        raise
    page.get_by_text("GMV", exact=False).first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 3
    shot(page, "panel-6-analytics")
    assert offsite == []
