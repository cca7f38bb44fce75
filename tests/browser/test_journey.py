"""The seller's journey off the happy path, in Debian's Chromium against the real stack (issue 8 items 2, 5, 6,
9, 10; issue 10 item 5).

Each test is a seller's steps on its own shop set-up in a stack of this module (fresh registry): pressing
Authorize again after a denial, an idle page, a reload at step 4, a callback opened in another browser, and
axe-core over every step and tab. Screenshots of the off-path states go to test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from linkkit.models import LinkStatus, Role
from linkkit.stack_demo import demo_stack
from tests.browser.conftest import ROOT, Dashboard, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAPLE = "7494100000000000101"
SHOP_LABEL = "Maple & Co — US · Local seller"


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A stack of this module's own (fresh registry) with Maple & Co connected by its seller."""
    with demo_stack(tmp_path_factory.mktemp("journey"), preheat=True, pool_size=2) as dashboard:
        dashboard.connect_shop()  # set-up: the seller connected Maple & Co earlier
        yield dashboard


@pytest.fixture(autouse=True)
def finish_links_afterwards(journey: Dashboard) -> Iterator[None]:
    """After each test, bind the links it authorized, so the next test's wizard does not resume them."""
    yield
    service = journey.service()
    for link in service.links(MAPLE):
        if link.status is LinkStatus.AWAITING_SELLER_CENTER:
            service.sandbox.send_invitation(link.id)
            service.sandbox.accept_invitation(link.id)
            service.verify(link.id)


@pytest.fixture(autouse=True)
def screenshots_on_failure(request: pytest.FixtureRequest, context: Any) -> Iterator[None]:
    """When a test fails, every open page of its browser context goes to test-artifacts/ to look at."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        for i, page in enumerate(context.pages):
            try:
                shot(page, f"failed-{request.node.name}-{i}")
            except Exception:  # a closed page cannot be shot
                continue


def open_wizard(context: Any, journey: Dashboard, query: str = "") -> Any:
    page = context.new_page()
    page.goto(journey.wizard_url + query)
    page.get_by_text("Step 1 of 5").wait_for()
    return page


def choose(page: Any, role: str) -> None:
    """Step 1 → 2 → 3: pick Maple & Co, then the link type."""
    page.get_by_label(SHOP_LABEL).check()
    page.get_by_role("button", name="Use this shop").click()
    page.get_by_text("Seller Center rules that apply").wait_for()
    page.get_by_role("button", name=f"Link {'an' if role == 'Official' else 'a'} {role} account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()


def press_authorize(page: Any, label: str = "Authorize with TikTok") -> Any:
    """Press the Authorize control; returns TikTok's tab once its page has loaded."""
    with page.context.expect_page() as popup_info:
        page.get_by_role("button", name=label).click()
    popup = popup_info.value
    popup.wait_for_load_state()
    return popup


def consent(popup: Any, username: str, *, allow: bool = True) -> None:
    popup.locator("#username").fill(username)
    popup.locator("#password").fill("pass_good")
    popup.get_by_role("button", name="Authorize" if allow else "Cancel").click()



def test_authorize_again_after_a_denial_gets_a_fresh_authorization(context: Any, journey: Dashboard) -> None:
    page = open_wizard(context, journey)
    choose(page, "Marketing")
    popup = press_authorize(page)
    consent(popup, "maple.deals", allow=False)
    popup.get_by_text("You declined the permissions on TikTok").first.wait_for()
    page.get_by_text("You declined the permissions on TikTok").first.wait_for()  # the original tab knows
    shot(popup, "journey-denied-return-tab")
    shot(page, "journey-denied-wizard-tab")
    popup.close()
    # the guidance says: press Authorize again — and that reaches TikTok with a fresh authorization
    popup = press_authorize(page)
    assert popup.locator("#username").count() == 1, popup.content()[:500]
    consent(popup, "maple.deals")
    popup.get_by_text("TikTok authorized @maple.deals").wait_for()
    assert "already used" not in popup.inner_text("body")
    page.get_by_text("Sandbox Seller Center").wait_for()  # the wizard tab moves on to step 4
    assert page.get_by_text("Step 4 of 5").is_visible()
    links = [link for link in journey.service().links(MAPLE) if link.account.username == "maple.deals"]
    assert [(link.role, link.status) for link in links] == [(Role.MARKETING, LinkStatus.AWAITING_SELLER_CENTER)]


def test_an_idle_page_still_authorizes(context: Any, journey: Dashboard) -> None:
    page = open_wizard(context, journey)
    choose(page, "Marketing")
    page.get_by_role("button", name="Authorize with TikTok").wait_for()
    journey.service().sandbox.advance_clock(11 * 60)  # the seller left the page open for 11 minutes
    for _ in range(2):  # other visitors take the preheated kernels, so the pool restarts on the new time
        open_wizard(context, journey).close()
    popup = press_authorize(page)
    consent(popup, "maple.studio")
    popup.get_by_text("TikTok authorized @maple.studio").wait_for()
    page.get_by_text("Sandbox Seller Center").wait_for()
    assert page.locator("text=expired").count() == 0
    shot(page, "journey-idle-then-authorized")


def test_reload_at_step_four_lands_on_step_four(context: Any, journey: Dashboard) -> None:
    page = open_wizard(context, journey)
    choose(page, "Marketing")
    popup = press_authorize(page)
    consent(popup, "maple.live")
    page.get_by_text("Sandbox Seller Center").wait_for()
    popup.close()
    page.reload()
    page.get_by_text("Welcome back").wait_for()
    assert page.get_by_text("Step 4 of 5").is_visible()
    assert page.get_by_text("@maple.live").first.is_visible()
    shot(page, "journey-reload-step-4")
    # a second tab lands there too
    other = open_wizard(context, journey)
    other.get_by_text("Welcome back").wait_for()
    assert other.get_by_role("button", name="Verify the link").is_visible()


def test_callback_in_another_browser_is_refused_and_spares_the_sellers_authorization(
        browser: Any, context: Any, journey: Dashboard) -> None:
    page = open_wizard(context, journey)
    choose(page, "Marketing")
    popup = press_authorize(page)
    callback = journey.service().sandbox.consent(popup.url, "maple.unbox")  # a callback for the seller's state
    stranger = browser.new_context()
    try:
        elsewhere = stranger.new_page()
        response = elsewhere.goto(callback)
        assert response is not None and response.status == 400
        elsewhere.get_by_text("started in a different browser").wait_for()
        assert "Reason code: state_mismatch" in elsewhere.inner_text("body")
        shot(elsewhere, "journey-callback-other-browser")
    finally:
        stranger.close()
    assert not any(link.account.username == "maple.unbox" for link in journey.service().links(MAPLE))
    # the seller's own authorization was not consumed: their browser completes it
    popup.goto(callback)
    popup.get_by_text("TikTok authorized @maple.unbox").wait_for()
    page.get_by_text("Sandbox Seller Center").wait_for()


def test_axe_finds_no_serious_violations_on_any_step_or_tab(context: Any, journey: Dashboard) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(page: Any, name: str) -> None:
        page.wait_for_timeout(300)
        violations = axe.run(page).response["violations"]
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(
                   f"{n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:4])
               for v in violations if v["impact"] in ("serious", "critical")]
        if bad:
            shot(page, f"axe-{name}")
            found[name] = bad

    page = open_wizard(context, journey)
    check(page, "step-1")
    page.get_by_label(SHOP_LABEL).check()
    page.get_by_role("button", name="Use this shop").click()
    page.get_by_text("Seller Center rules that apply").wait_for()
    check(page, "step-2")
    page.get_by_role("button", name="Link an Official account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()
    check(page, "step-3")
    popup = press_authorize(page)
    consent(popup, "maple.official")
    popup.get_by_text("TikTok authorized @maple.official").wait_for()
    check(popup, "return-tab")
    try:
        page.get_by_text("Sandbox Seller Center").wait_for()
    except Exception:
        shot(page, "failed-axe-step-4")
        raise
    check(page, "step-4")
    page.get_by_role("button", name="1 · Send the invitation (as the seller)").click()
    page.get_by_text("Invitation sent").wait_for()
    page.get_by_role("button", name="2 · Accept it in the TikTok app (as @maple.official)").click()
    page.get_by_text("Invitation accepted. Verify the link.").wait_for()
    page.get_by_role("button", name="Verify the link").click()
    page.locator(".lk-connected").wait_for()
    check(page, "step-5")
    panel = context.new_page()
    panel.goto(journey.panel_url)
    panel.locator(".lk-names", has_text="@maple.official").wait_for()
    check(panel, "panel-accounts")
    for tab in ("History", "Troubleshooter"):
        panel.get_by_role("tab", name=tab).click()
        check(panel, f"panel-{tab.lower()}")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "axe-violations.json").write_text(json.dumps(found, indent=2))
    assert found == {}


def ensure_official(journey: Dashboard) -> None:
    """Set-up: Maple & Co has a bound Official account (so step 2 offers Replace)."""
    service = journey.service()
    if any(link.role is Role.OFFICIAL for link in service.links(MAPLE)):
        return
    start = service.begin_authorization(MAPLE, Role.OFFICIAL)
    link = service.complete_authorization(service.sandbox.consent(start.url, "maple.official")).link
    service.sandbox.send_invitation(link.id)
    service.sandbox.accept_invitation(link.id)
    service.verify(link.id)


def test_keyboard_and_a_420px_screen(browser: Any, journey: Dashboard) -> None:
    ensure_official(journey)
    context = browser.new_context(viewport={"width": 420, "height": 900})
    context.set_default_timeout(45_000)
    page: Any = None
    try:
        page = open_wizard(context, journey)
        page.get_by_role("button", name="Authorize another shop").wait_for()
        # Tab through the page: no stop inside a locked step
        stops = []
        for _ in range(25):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(
                "() => document.activeElement.closest('.lk-card-locked') ? document.activeElement.outerHTML"
                ".slice(0, 200) : ''"))
        assert not any(stops), [stop for stop in stops if stop]
        # Space activates a link-button (it opens Seller Center's authorization in a new tab)
        page.get_by_role("button", name="Authorize another shop").focus()
        with context.expect_page() as popup_info:
            page.keyboard.press("Space")
        popup_info.value.close()
        page.get_by_label(SHOP_LABEL).check()
        page.get_by_role("button", name="Use this shop").click()
        page.get_by_text("Seller Center rules that apply").wait_for()
        # focus moved to the new step's heading, not the page body
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'lk-step-2'")
        # the replace-consent checkbox is whole at 420 px
        label = page.get_by_text("I understand selling through @maple.official stops")
        label.wait_for()
        box = label.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 420
        assert label.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        shot(page, "journey-420-step-2-replace")
        page.get_by_role("button", name="Link a Marketing account").wait_for()
        # History stacks at 420 px
        panel = context.new_page()
        panel.goto(journey.panel_url)
        panel.locator(".lk-names", has_text="@maple.official").wait_for()
        panel.get_by_role("tab", name="History").click()
        cell = panel.locator("table.lk-history td").first
        cell.wait_for()
        assert cell.evaluate("el => getComputedStyle(el).display") == "block"
        clipped = panel.evaluate("() => [...document.querySelectorAll('.lm-TabBar-tabLabel')]"
                                 ".filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)")
        assert clipped == []
        assert panel.evaluate("() => document.documentElement.scrollWidth") <= 421
        shot(panel, "journey-420-history")
    except Exception:
        for i, open_page in enumerate(context.pages):
            shot(open_page, f"failed-keyboard-420-{i}")
        raise
    finally:
        context.close()
