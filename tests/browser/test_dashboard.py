"""End to end in Debian's Chromium against the real stack: one story, in order, on one registry.

1. a page load stays on 127.0.0.1;  2. Maple & Co links its Official account through the sandbox consent page in a
new tab, and both tabs show Connected;  3. a denied consent shows the guidance;  4. with four Marketing accounts a
fifth is refused before consent;  5. the accounts panel lists the links and unlinks one after the 24 h rule.
Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from linkkit.models import Role
from tests.browser.conftest import Dashboard, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAPLE = "7494100000000000101"
SHOP_LABEL = "Maple & Co — US · Local seller"


def open_wizard(context: Any, dashboard: Dashboard) -> Any:
    page = context.new_page()
    page.goto(dashboard.wizard_url)
    try:
        page.get_by_text("Step 1 of 5").wait_for()
    except Exception:
        shot(page, "failed-open-wizard")
        raise
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
    page = open_wizard(context, dashboard)
    popup = authorize_in_new_tab(page, "Authorize linkkit in Seller Center", "maple_seller")
    popup.get_by_text("Pick the shop to continue").wait_for()  # the callback tab finished the authorization
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
    page.get_by_text("Waiting for TikTok").first.wait_for(state="attached")
    # both tabs reach step 4
    popup.get_by_text("Sandbox Seller Center").wait_for()
    page.get_by_text("Sandbox Seller Center").wait_for()
    shot(page, "wizard-4-seller-center")
    popup.get_by_role("button", name="1 · Send the invitation (as the seller)").click()
    popup.get_by_text("Invitation sent").wait_for()
    popup.get_by_role("button", name="2 · Accept it in the TikTok app (as @maple.official)").click()
    popup.get_by_text("Invitation accepted. Verify the link.").wait_for()
    popup.get_by_role("button", name="Verify the link").click()
    popup.locator(".lk-connected").wait_for()
    page.locator(".lk-connected").wait_for()  # the original tab moves on by itself
    assert page.locator(".lk-connected").inner_text().strip() == "Connected"
    assert popup.locator(".lk-cross").count() == 0
    assert "code=" not in popup.url  # the one-time code left the address bar
    shot(page, "wizard-5-connected")
    shot(popup, "wizard-5-connected-callback-tab")
    links = dashboard.service().links(MAPLE)
    assert [(link.role, link.account.username, link.status.value) for link in links] == [
        (Role.OFFICIAL, "maple.official", "connected")]


def test_denied_consent_shows_guidance(context: Any, dashboard: Dashboard) -> None:
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_role("button", name="Link a Marketing account").click()
    popup = authorize_in_new_tab(page, "Authorize with TikTok", "maple.deals", allow=False)
    popup.get_by_text("You declined the permissions on TikTok").first.wait_for()
    page.get_by_text("You declined the permissions on TikTok").first.wait_for()
    assert page.get_by_role("button", name="Try again").is_visible()
    shot(page, "wizard-3-denied")
    assert [link.account.username for link in dashboard.service().links(MAPLE)] == ["maple.official"]


def test_marketing_refused_before_consent_when_four_exist(context: Any, dashboard: Dashboard) -> None:
    service = dashboard.service()
    for name in ("maple.deals", "maple.studio", "maple.live", "maple.unbox"):
        start = service.begin_authorization(MAPLE, Role.MARKETING)
        link = service.complete_authorization(service.sandbox.consent(start.url, name)).link
        service.sandbox.send_invitation(link.id)
        service.sandbox.accept_invitation(link.id)
        service.verify(link.id)
    page = open_wizard(context, dashboard)
    choose_shop(page)
    page.get_by_text("Marketing: 4 of 4").wait_for()
    page.get_by_text("Not available: ").first.wait_for()
    assert page.get_by_role("button", name="Link a Marketing account").is_disabled()
    shot(page, "wizard-2-marketing-limit")


def test_accounts_panel_lists_and_unlinks_after_24h(context: Any, dashboard: Dashboard) -> None:
    page = context.new_page()
    page.goto(dashboard.panel_url)
    page.locator(".lk-names", has_text="@maple.unbox").wait_for()
    for name in ("@maple.official", "@maple.deals", "@maple.studio", "@maple.live"):
        assert page.locator(".lk-names", has_text=name).count() == 1
    assert page.locator(".lk-badge-ok", has_text="Connected").count() == 5
    shot(page, "panel-1-links")
    page.get_by_role("button", name="Verify all").click()
    page.get_by_text("All 5 links passed every check").wait_for()
    page.get_by_role("button", name="Unlink").nth(4).click()
    page.get_by_role("button", name="Unlink @maple.unbox").click()
    page.get_by_text("Reason code: unlink_too_early").wait_for()
    shot(page, "panel-2-unlink-refused")
    dashboard.service().sandbox.advance_clock(25 * 3600)
    page.reload()
    page.locator(".lk-names", has_text="@maple.unbox").wait_for()
    page.get_by_role("button", name="Unlink").nth(4).click()
    page.get_by_role("button", name="Unlink @maple.unbox").click()
    page.get_by_text("@maple.unbox is unlinked").wait_for()
    shot(page, "panel-3-unlinked")
    page.get_by_role("tab", name="History").click()
    page.get_by_text("Unlinked").first.wait_for()
    shot(page, "panel-4-history")
    page.get_by_role("tab", name="Troubleshooter").click()
    shot(page, "panel-5-troubleshooter")


def test_analytics_section_renders(context: Any, dashboard: Dashboard) -> None:
    """Plotly charts render offline in Voila: the analytics tab of the accounts page draws its figures."""
    page = context.new_page()
    offsite: list[str] = []
    page.on("request", lambda r: offsite.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", "localhost")
            and not r.url.startswith(("data:", "blob:")) else None)
    page.goto(dashboard.panel_url)
    page.locator(".lk-names", has_text="@maple.official").wait_for()
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
