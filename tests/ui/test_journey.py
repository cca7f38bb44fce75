"""The wizard's journey rules without a browser: nothing minted before a press, a fresh attempt per press, the
original tab showing the callback's specific text, resume at step 4, Replace for a never-bound Official, and the
pure helpers of :mod:`linkkit.web` (state binding, relay)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from linkkit.linking import LinkService
from linkkit.models import Role
from linkkit.ui import onboarding_app
from linkkit.ui.wizard import Step
from linkkit.web.binding import add_binding, drop_binding, is_bound
from linkkit.web.relay import AttemptRelay
from tests.ui.conftest import connect_shop, link_account, link_button, visible_text, wait_shown

pytestmark = pytest.mark.integration

MAPLE = "7494100000000000101"


def test_opening_the_wizard_mints_nothing(new_service: Callable[[], LinkService], tmp_path: Path) -> None:
    service = new_service()
    connect_shop(service)
    before = service.begin_shop_authorization().pending_id
    view = onboarding_app(new_service(), query="", poll_interval=0.05, web_base="/")
    view.wizard.wait()
    view.wizard.select_shop(MAPLE)
    view.wizard.wait()
    view.wizard.choose(Role.MARKETING.value)
    view.wizard.wait()
    assert view.wizard.step == Step.AUTHORIZE
    assert service.begin_shop_authorization().pending_id == before + 1  # the page minted none in between
    href = link_button(view, "Authorize with TikTok").href
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/linkkit/authorize"
    assert query["shop_id"] == [MAPLE] and query["role"] == ["marketing"] and query["attempt"][0]
    view.wizard.close()


def test_each_press_carries_a_new_attempt_and_the_original_tab_shows_the_specific_text(
        new_service: Callable[[], LinkService], tmp_path: Path) -> None:
    service = new_service()
    connect_shop(service)
    relay = AttemptRelay(tmp_path / "attempts")
    view = onboarding_app(new_service(), query="", poll_interval=0.05, web_base="/", relay=relay)
    wizard = view.wizard
    wizard.wait()
    wizard.select_shop(MAPLE)
    wizard.wait()
    wizard.choose(Role.MARKETING.value)
    wizard.wait()
    link = link_button(view, "Authorize with TikTok")
    first = parse_qs(urlsplit(link.href).query)["attempt"][0]
    link.click()
    second = parse_qs(urlsplit(link.href).query)["attempt"][0]
    assert second != first  # pressing again mints another authorization
    # what the server does for the first press: mint, then the callback tab finishes it (refused: wrong region)
    start = service.begin_authorization(MAPLE, Role.MARKETING)
    relay.started(first, pending_id=start.pending_id, state_digest="0" * 64)
    callback = service.sandbox.consent(start.url, "london.creator", "pass_good")
    with pytest.raises(Exception) as refused:
        service.complete_authorization(callback)
    relay.finished(start.pending_id, reason=refused.value.reason, message=refused.value.message)
    wizard.wait_for(lambda: wizard.reporter.problem is not None, 10)
    problem = wizard.reporter.problem
    assert problem.code == "region_mismatch"
    assert problem.message == refused.value.message  # the callback tab's own words
    wait_shown(view, refused.value.message)
    assert service.links(MAPLE, include_unlinked=True) == []
    wizard.close()


def test_a_reload_resumes_an_authorized_unbound_link_at_step_four(new_service: Callable[[], LinkService]) -> None:
    service = new_service()
    connect_shop(service)
    link = link_account(service, MAPLE, Role.OFFICIAL, "maple.official", bind=False)
    view = onboarding_app(new_service(), query="", poll_interval=0.05)
    view.wizard.wait()
    assert view.wizard.step == Step.SELLER_CENTER
    assert view.wizard.link is not None and view.wizard.link.id == link.id
    assert "Welcome back" in visible_text(view) and "@maple.official" in visible_text(view)
    # Replace is not blocked by the 24 h rule for an account Seller Center never bound
    view.wizard.start_over(keep_shop=True)
    assert view.wizard.violations_for(Role.OFFICIAL.value) == []
    view.wizard.close()


def test_state_binding_holds_hashes_only_and_expires() -> None:
    value = add_binding(None, "s1", expires_at=200.0, now=100.0)
    value = add_binding(value, "s2", expires_at=300.0, now=100.0)
    assert "s1" not in value and "s2" not in value
    assert is_bound(value, "s1", now=150.0) and is_bound(value, "s2", now=150.0)
    assert not is_bound(value, "s1", now=250.0) and is_bound(value, "s2", now=250.0)
    assert not is_bound(drop_binding(value, "s2", now=150.0), "s2", now=150.0)
    assert not is_bound("not json", "s1", now=0.0) and not is_bound(None, "s1", now=0.0)
    for i in range(10):
        value = add_binding(value, f"x{i}", expires_at=999.0, now=100.0)
    assert not is_bound(value, "s2", now=150.0)  # the oldest beyond the limit dropped


def test_relay_refuses_odd_attempt_ids_and_keeps_files_private(tmp_path: Path) -> None:
    relay = AttemptRelay(tmp_path / "attempts")
    relay.started("../../etc/passwd", pending_id=3, state_digest="0" * 64)
    assert relay.read("../../etc/passwd") is None
    relay.started("attempt-id-123456", pending_id=3, state_digest="1" * 64)
    assert relay.read("attempt-id-123456").pending_id == 3 and relay.read("attempt-id-123456").reason == ""
    assert relay.pending_for_state("1" * 64) == 3
    relay.finished(3, reason="ok", link_id=9)
    assert relay.read("attempt-id-123456").link_id == 9
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in (tmp_path / "attempts").iterdir())
    assert oct((tmp_path / "attempts").stat().st_mode)[-3:] == "700"
