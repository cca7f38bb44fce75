"""The onboarding wizard driven with .click() and .value against the in-process sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import ipywidgets as W
import pytest
import requests

from linkkit.linking import LinkService
from linkkit.models import LinkStatus, Role
from linkkit.ui import onboarding_app
from linkkit.ui.wizard import Step
from tests.nothing_stored import assert_grant_revoked, assert_nothing_stored, marker, recorded_requests
from tests.ui.conftest import button, connect_shop, link_account, link_button, query_of, visible_text, wait_shown

pytestmark = pytest.mark.integration

MAPLE = "7494100000000000101"


def open_wizard(new_service: Callable[[], LinkService], query: str = "") -> Any:
    view = onboarding_app(new_service(), query=query, poll_interval=0.05)
    view.wizard.wait()
    return view


def close(*views: Any) -> None:
    for view in views:
        view.wizard.close()


def at_step_three(view: Any, role: str = "Official") -> None:
    """Pick Maple & Co and a link type."""
    radio = next(w for w in _all(view) if isinstance(w, W.RadioButtons))
    radio.value = MAPLE
    button(view, "Use this shop").click()
    view.wizard.wait()
    button(view, f"Link {'an' if role == 'Official' else 'a'} {role} account").click()
    view.wizard.wait()
    assert view.wizard.step == Step.AUTHORIZE


def _all(widget: Any) -> list[Any]:
    out = [widget]
    for child in getattr(widget, "children", ()) or ():
        out.extend(_all(child))
    return out


def consent_in_new_tab(view: Any, service: LinkService, username: str, decision: str = "allow") -> str:
    """Press 'Authorize with TikTok' and play the person on the sandbox's consent page."""
    link = link_button(view, "Authorize with TikTok")
    link.click()
    assert "Waiting for TikTok" in visible_text(view)
    return service.sandbox.consent(link.href, username, "pass_good", decision)


def test_first_visit_shows_step_one_with_badge_and_authorize_link(new_service: Callable[[], LinkService]) -> None:
    view = open_wizard(new_service)
    text = visible_text(view)
    assert "linkkit" in text and "Sandbox" in text
    assert "Step 1 of 5" in text and "Connect Seller Center" in text and "No shop is connected yet" in text
    assert link_button(view, "Authorize linkkit in Seller Center").href.startswith("http://127.0.0.1:")
    assert view.wizard.step == Step.CONNECT
    close(view)


def test_official_link_end_to_end_across_two_tabs(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    tab1 = open_wizard(new_service)
    # Step 1: authorize the shop; TikTok Shop sends the person back to the notebook in a new tab (new kernel)
    shop_link = link_button(tab1, "Authorize linkkit in Seller Center")
    shop_link.click()
    callback = service.sandbox.consent(shop_link.href, "maple_seller", "pass_good")
    tab2 = open_wizard(new_service, query_of(callback))
    assert "Maple & Co" in visible_text(tab2)
    tab1.wizard.wait_for(lambda: tab1.wizard.shops and "other tab" in tab1.wizard.notice, 10)
    wait_shown(tab1, "Maple & Co — US · Local seller")
    # Step 2 and 3
    at_step_three(tab1)
    text = visible_text(tab1)
    assert "Required" in text and "Optional" in text and "user.info.profile" in text
    assert "Shop: Maple & Co" in text  # the finished step shows its summary
    callback = consent_in_new_tab(tab1, service, "maple.official")
    tab3 = open_wizard(new_service, query_of(callback))
    assert tab3.wizard.step == Step.SELLER_CENTER
    assert tab3.page_url.clean  # the one-time code leaves the address bar
    tab1.wizard.wait_for(lambda: "in the other tab" in tab1.wizard.notice, 10)
    assert tab1.wizard.step == Step.SELLER_CENTER
    wait_shown(tab1, "in the other tab")
    # Step 4 in the callback tab: the sandbox's Seller Center buttons
    button(tab3, "Send the invitation").click()
    tab3.wizard.wait()
    button(tab3, "Accept it in the TikTok app").click()
    tab3.wizard.wait()
    button(tab3, "Verify the link").click()
    tab3.wizard.wait()
    assert tab3.wizard.verified.status is LinkStatus.CONNECTED
    text = visible_text(tab3)
    assert "Connected" in text and "✓" in text and "✗" not in text
    # the original tab notices by itself
    tab1.wizard.wait_for(lambda: tab1.wizard.step == Step.VERIFY, 10)
    wait_shown(tab1, "Connected")
    assert [link.role for link in service.links(MAPLE)] == [Role.OFFICIAL]
    close(tab1, tab2, tab3)


@pytest.mark.parametrize(
    ("username", "decision", "code", "words"),
    [
        ("maple.official", "deny", "consent_denied", "You declined the permissions on TikTok"),
        ("jo.personal", "allow", "account_ineligible", None),
        ("london.creator", "allow", "region_mismatch", None),
    ],
)
def test_refused_authorization_shows_its_entry_and_stores_nothing(
    new_service: Callable[[], LinkService], username: str, decision: str, code: str, words: str | None
) -> None:
    from linkkit import troubleshoot

    service = new_service()
    connect_shop(service)
    tab1 = open_wizard(new_service)
    at_step_three(tab1)
    callback = consent_in_new_tab(tab1, service, username, decision)
    tab2 = open_wizard(new_service, query_of(callback))
    problem = tab2.wizard.reporter.problem
    assert problem is not None and problem.code == code
    title = words or troubleshoot.entry(code).title
    assert title in visible_text(tab2)
    assert "Traceback" not in visible_text(tab2).split("Activity log")[0]
    # the original tab hears about it too, with the same guidance and a way to try again
    tab1.wizard.wait_for(lambda: tab1.wizard.reporter.problem is not None, 10)
    assert tab1.wizard.reporter.problem.code == code
    wait_shown(tab1, title)
    assert service.links(MAPLE, include_unlinked=True) == []
    assert_nothing_stored(service, callback, reason=code)
    assert_grant_revoked(service.settings.sandbox_url, callback, service.settings.client_key)
    close(tab1, tab2)


def test_marketing_refused_before_consent_when_four_exist(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    for name in ("maple.deals", "maple.studio", "maple.live", "maple.unbox"):
        link_account(service, MAPLE, Role.MARKETING, name)
    view = open_wizard(new_service)
    radio = next(w for w in _all(view) if isinstance(w, W.RadioButtons))
    radio.value = MAPLE
    button(view, "Use this shop").click()
    view.wizard.wait()
    text = visible_text(view)
    assert "Marketing: 4 of 4" in text
    assert "Not available" in text and "At most four Marketing accounts" in text
    marketing = button(view, "Link a Marketing account")
    assert marketing.disabled
    view.wizard.choose("marketing")  # even if forced, nothing starts
    assert view.wizard.reporter.problem.code == "marketing_limit_reached"
    assert view.wizard.step == Step.CHOOSE and view.wizard.auth is None
    assert [link.role for link in service.links(MAPLE)] == [Role.MARKETING] * 4  # nothing added
    assert_nothing_stored(service, links=4, accounts=4)
    close(view)


def test_replacing_official_needs_confirmation(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    link_account(service, MAPLE, Role.OFFICIAL, "maple.official")
    service.sandbox.advance_clock(25 * 3600)
    view = open_wizard(new_service, "shop_id=" + MAPLE + "&role=official")
    assert view.wizard.step == Step.CHOOSE
    text = visible_text(view)
    assert "Replace the Official account" in text and "What replacing means" in text
    replace = button(view, "Replace the Official account")
    assert replace.disabled
    box = next(w for w in _all(view) if isinstance(w, W.Checkbox) and "I understand" in w.description)
    box.value = True
    assert not replace.disabled
    replace.click()
    view.wizard.wait()
    assert view.wizard.step == Step.AUTHORIZE and view.wizard.replace
    assert "Replacing the Official account of Maple & Co" in visible_text(view)
    close(view)


def test_stale_and_replayed_callbacks_show_guidance(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    tab1 = open_wizard(new_service)
    at_step_three(tab1)
    callback = consent_in_new_tab(tab1, service, "maple.official")
    first = open_wizard(new_service, query_of(callback))
    assert first.wizard.reporter.problem is None
    replay = open_wizard(new_service, query_of(callback))  # reload of the callback page
    assert replay.wizard.reporter.problem.code == "authorization_reused"
    stale = open_wizard(new_service, "code=abc&state=not-ours")
    assert stale.wizard.reporter.problem.code == "state_mismatch"
    assert "Reason code: state_mismatch" in visible_text(stale)
    # the replay added nothing to the one link the first callback made, and exchanged no code again
    assert len(service.links(MAPLE, include_unlinked=True)) == 1
    assert_nothing_stored(service, "code=abc&state=not-ours", links=1, accounts=1)
    code = dict(parse_qsl(query_of(callback)))["code"]
    exchanged = [r["body"].get("code") for r in recorded_requests(service.settings.sandbox_url)
                 if r["path"] == "/v2/oauth/token/" and isinstance(r["body"], dict)]
    assert exchanged.count(marker(code)) == 1, "a replayed callback must not exchange its code again"
    assert "abc" not in exchanged, "a callback with an unknown state must not be exchanged"
    close(tab1, first, replay, stale)


def test_paste_the_url_fallback(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    view = open_wizard(new_service)
    at_step_three(view)
    callback = consent_in_new_tab(view, service, "maple.official")
    field = next(w for w in _all(view) if isinstance(w, W.Text) and "Address of the page" in w.description)
    field.value = callback
    button(view, "Continue with this address").click()
    view.wizard.wait()
    assert field.value == ""  # the one-time code is not kept in widget state
    assert view.wizard.step == Step.SELLER_CENTER
    assert view.wizard.reporter.problem is None
    close(view)


def test_back_next_and_start_over(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    view = open_wizard(new_service)
    at_step_three(view)
    first_url = view.wizard.auth.url
    button(view, "← Back").click()
    view.wizard.wait()
    assert view.wizard.step == Step.CHOOSE
    assert view.wizard.state_of(Step.CHOOSE).value == "current"
    assert view.wizard.state_of(Step.AUTHORIZE).value == "locked"
    text = visible_text(view)
    assert "Step 2 of 5" in text and "Link an Official account" in text and "Link a Marketing account" in text
    button(view, "Next →").click()
    view.wizard.wait()
    assert view.wizard.step == Step.AUTHORIZE
    assert view.wizard.auth.url != first_url  # a fresh authorization
    button(view, "Start over").click()
    view.wizard.wait()
    assert view.wizard.step == Step.CONNECT and view.wizard.shop is None
    assert view.wizard.states == ["current", "locked", "locked", "locked", "locked"]
    close(view)


def test_verify_failure_shows_failing_check_and_retry(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    view = open_wizard(new_service)
    at_step_three(view)
    callback = consent_in_new_tab(view, service, "maple.official")
    view.wizard.paste_callback(callback)
    view.wizard.wait()
    button(view, "Verify the link").click()  # before Seller Center has the binding
    view.wizard.wait()
    link = view.wizard.verified
    assert link.status is not LinkStatus.CONNECTED
    text = visible_text(view)
    assert "Failing check" in text and "✗" in text and "Reason code:" in text
    assert not any('class="lk-connected"' in w.value for w in _all(view) if isinstance(w, W.HTML))
    assert view.wizard.state_of(Step.VERIFY).value == "failed"
    # finish the Seller Center part, then the retry button succeeds
    service.sandbox.send_invitation(link.id)
    service.sandbox.accept_invitation(link.id)
    button(view, "Check again").click()
    view.wizard.wait()
    assert view.wizard.verified.status is LinkStatus.CONNECTED
    close(view)


def test_tiktok_unavailable_at_verify_is_no_verdict(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    view = open_wizard(new_service)
    at_step_three(view)
    view.wizard.paste_callback(consent_in_new_tab(view, service, "maple.official"))
    view.wizard.wait()
    link = view.wizard.link
    service.sandbox.send_invitation(link.id)
    service.sandbox.accept_invitation(link.id)
    sandbox_url = service.settings.sandbox_url
    requests.post(f"{sandbox_url}/_sandbox/faults", json={"kind": "http_503", "count": 30,
                                                          "path_prefix": "/v2/user/info/"}, timeout=10).raise_for_status()
    try:
        button(view, "Verify the link").click()
        view.wizard.wait()
    finally:
        requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=10).raise_for_status()
    assert view.wizard.verified.status is LinkStatus.AWAITING_SELLER_CENTER, "the status before the check"
    text = visible_text(view)
    assert "Couldn't check" in text and "Last check failed — TikTok unavailable" in text
    assert "Needs attention" not in text and "Failing check" not in text
    assert view.wizard.state_of(Step.VERIFY).value != "failed"
    button(view, "Check again").click()  # TikTok is back
    view.wizard.wait()
    assert view.wizard.verified.status is LinkStatus.CONNECTED
    assert "Last check failed" not in visible_text(view)
    close(view)


def test_tiktok_text_is_escaped(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    view = open_wizard(new_service)
    at_step_three(view, "Marketing")
    callback = consent_in_new_tab(view, service, "html.name")
    view.wizard.paste_callback(callback)
    view.wizard.wait()
    html_values = " ".join(w.value for w in _all(view) if isinstance(w, W.HTML))
    assert "<b>Bold</b>" not in html_values and "<img src=x" not in html_values
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html_values
    close(view)


def test_unexpected_error_is_logged_not_swallowed(new_service: Callable[[], LinkService],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    view = open_wizard(new_service)

    def boom() -> list[Any]:
        raise RuntimeError("disk on fire access_token=secret123")

    monkeypatch.setattr(view.wizard.service, "sync_shops", boom)
    button(view, "Refresh the shop list").click()
    view.wizard.wait()
    problem = view.wizard.reporter.problem
    assert problem.code == "internal_error"
    log = "\n".join(view.wizard.reporter.lines)
    # the seller-facing log names the reference, never a traceback; the server log has the traceback
    assert problem.error_id in log and "Traceback" not in log and "secret123" not in log
    [record] = [r for r in caplog.records if problem.error_id in r.getMessage()]
    traceback_text = record.exc_text or ""  # the redacting record factory keeps the traceback as redacted text
    assert "RuntimeError: disk on fire" in traceback_text and "secret123" not in traceback_text
    assert "linkkit hit an unexpected problem" in visible_text(view)
    assert "Traceback" not in visible_text(view)
    close(view)
