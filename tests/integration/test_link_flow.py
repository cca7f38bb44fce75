"""End to end against the real sandbox over loopback HTTP: the happy path and every failure path.

Every negative test asserts the reason code and that nothing was stored (no link, no TikTok account, no
Login Kit token).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from linkkit.errors import LinkkitError, RuleViolation, StateMismatch
from linkkit.models import CheckName, LinkStatus, Provider, Role
from tests.integration.conftest import MAPLE, Harness

pytestmark = pytest.mark.integration


def nothing_linked(h: Harness) -> None:
    counts = h.counts()
    assert counts["links"] == 0
    assert counts["tiktok_accounts"] == 0
    assert h.service.store.token(Provider.LOGIN_KIT, "anything") is None
    assert counts["tokens"] == 1, "only the seller's shop token"


def fail_login(h: Harness, username: str, role: Role = Role.MARKETING, *, decision: str = "allow",
               scopes: list[str] | None = None, **kwargs: Any) -> LinkkitError:
    start = h.service.begin_authorization(MAPLE, role, **kwargs)
    callback = h.consent(start.url, username, decision=decision, scopes=scopes)
    with pytest.raises(LinkkitError) as caught:
        h.service.complete_authorization(callback)
    assert h.service.pending(start.pending_id).outcome == caught.value.reason
    return caught.value


def test_connect_seller_center_lists_the_sellers_shops(h: Harness) -> None:
    shops = h.connect("nova_seller")
    assert sorted((s.name, s.region, s.seller_type) for s in shops) == [
        ("Nova Outdoor MX", "MX", "CROSS_BORDER"), ("Nova Outdoor UK", "GB", "CROSS_BORDER")]
    assert [s.id for s in h.service.connected_shops()] == [s.id for s in h.service.store.shops()]
    assert [e.kind for e in h.service.events()].count("shop_connected") == 2


def test_one_official_and_two_marketing_links_end_connected(h: Harness) -> None:
    h.connect()
    official = h.authorize(MAPLE, Role.OFFICIAL, "maple.official")
    assert official.status is LinkStatus.AWAITING_SELLER_CENTER
    first = h.service.verify(official.id)
    assert first.status is LinkStatus.AWAITING_SELLER_CENTER
    assert first.failing_check is not None and first.failing_check.reason == "binding_not_visible"
    marketing = [h.authorize(MAPLE, Role.MARKETING, name) for name in ("maple.deals", "maple.studio")]
    results = [h.bind(link) for link in (official, *marketing)]
    assert [r.status for r in results] == [LinkStatus.CONNECTED] * 3
    assert all(check.ok for r in results for check in r.checks)
    assert [c.name for c in results[0].checks] == list(CheckName)
    assert {r.binding_evidence for r in results} == {"shop_analytics"}
    overview = h.service.overview(MAPLE)
    assert overview.official is not None and overview.official.account.username == "maple.official"
    assert [link.account.username for link in overview.marketing] == ["maple.deals", "maple.studio"]
    kinds = [e.kind for e in h.service.events(MAPLE)]
    assert kinds.count("linked") == 3 and kinds.count("authorized") == 3
    assert len(h.service.store.link_intervals(MAPLE)) == 3


def test_shop_consent_denied(h: Harness) -> None:
    start = h.service.begin_shop_authorization()
    with pytest.raises(LinkkitError) as caught:
        h.service.complete_authorization(h.consent(start.url, "maple_seller", decision="deny"))
    assert caught.value.reason == "consent_denied"
    assert h.counts()["shops"] == 0 and h.counts()["tokens"] == 0


@pytest.mark.parametrize(("username", "role", "options", "reason"), [
    ("maple.deals", Role.MARKETING, {"decision": "deny"}, "consent_denied"),
    ("jo.personal", Role.MARKETING, {}, "account_ineligible"),
    ("london.creator", Role.MARKETING, {}, "region_mismatch"),
    ("cedar.official", Role.OFFICIAL, {}, "already_linked_elsewhere"),
    ("cedar.hopper", Role.MARKETING, {}, "relink_limit_reached"),
    ("maple.deals", Role.MARKETING, {"scopes": ["user.info.basic"]}, "scopes_missing"),
    ("maple.studio", Role.MARKETING, {"expected_username": "maple.deals"}, "wrong_account"),
])
def test_refused_accounts_store_nothing(h: Harness, username: str, role: Role, options: dict[str, Any],
                                        reason: str) -> None:
    h.connect()
    assert fail_login(h, username, role, **options).reason == reason
    nothing_linked(h)


def test_both_roles_in_one_shop(h: Harness) -> None:
    h.connect()
    h.authorize(MAPLE, Role.OFFICIAL, "maple.official")
    before = h.counts()
    assert fail_login(h, "maple.official").reason == "both_roles"
    assert h.counts()["links"] == before["links"] == 1


def test_fifth_marketing_account_is_refused_before_consent(h: Harness) -> None:
    h.connect()
    for name in ("maple.deals", "maple.studio", "maple.live", "maple.unbox"):
        h.authorize(MAPLE, Role.MARKETING, name)
    pending_before = h.counts()["pending_authorizations"]
    with pytest.raises(RuleViolation) as caught:
        h.service.begin_authorization(MAPLE, Role.MARKETING)
    assert caught.value.reason == "marketing_limit_reached"
    assert h.counts()["pending_authorizations"] == pending_before, "no authorization was started"


def test_second_official_is_refused_before_consent(h: Harness) -> None:
    h.connect()
    h.authorize(MAPLE, Role.OFFICIAL, "maple.official")
    with pytest.raises(RuleViolation) as caught:
        h.service.begin_authorization(MAPLE, Role.OFFICIAL)
    assert caught.value.reason == "official_limit_reached"


def test_tampered_state(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals").replace("state=", "state=x")
    with pytest.raises(StateMismatch) as caught:
        h.service.complete_authorization(callback)
    assert caught.value.reason == "state_mismatch"
    nothing_linked(h)


def test_replayed_callback_is_refused(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")
    h.service.complete_authorization(callback)
    before = h.counts()
    with pytest.raises(StateMismatch) as caught:
        h.service.complete_authorization(callback)
    assert caught.value.reason == "authorization_reused"
    assert h.counts()["links"] == before["links"] == 1


def test_stale_tab_after_ten_minutes(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")
    h.service.sandbox.advance_clock(11 * 60)  # type: ignore[union-attr]
    with pytest.raises(StateMismatch) as caught:
        h.service.complete_authorization(callback)
    assert caught.value.reason == "authorization_expired"
    nothing_linked(h)


def test_verify_refreshes_an_expired_access_token(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    h.service.sandbox.advance_clock(3 * 3600)  # type: ignore[union-attr]
    after = h.service.verify(link.id)
    assert after.status is LinkStatus.CONNECTED
    token = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None and token is not None
    assert token.refresh_token != before.refresh_token and token.version == before.version + 1
    assert "refreshed" in [e.kind for e in h.service.events()]


def test_revoked_grant_needs_attention(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    token = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert token is not None
    world = h.control("GET", "/world")["login_kit"]["desktop"]
    requests.post(f"{h.sandbox_url}/v2/oauth/revoke/", timeout=10, data={
        "client_key": world["client_key"], "client_secret": world["client_secret"], "token": token.access_token})
    after = h.service.verify(link.id)
    assert after.status is LinkStatus.NEEDS_ATTENTION
    assert after.failing_check is not None and after.failing_check.name is CheckName.TOKEN_WORKS
    assert after.failing_check.reason == "refresh_token_invalid"


def test_repair_keeps_the_link_and_its_history(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    repaired = h.authorize(MAPLE, Role.MARKETING, "maple.deals", link_id=link.id)
    assert repaired.id == link.id
    assert [e.kind for e in h.service.events(link_id=link.id)][0] == "repaired"
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED


def test_repair_with_another_account_is_refused(h: Harness) -> None:
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    start = h.service.begin_authorization(MAPLE, Role.MARKETING, link_id=link.id)
    with pytest.raises(LinkkitError) as caught:
        h.service.complete_authorization(h.consent(start.url, "maple.studio"))
    assert caught.value.reason == "wrong_account"
    assert h.counts()["links"] == 1 and h.counts()["tiktok_accounts"] == 1


def test_unlink_only_after_24_hours(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    with pytest.raises(RuleViolation) as caught:
        h.service.unlink(link.id)
    assert caught.value.reason == "unlink_too_early"
    assert h.service.link(link.id).status is LinkStatus.CONNECTED
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    assert h.service.unlink(link.id).status is LinkStatus.UNLINKED
    still_bound = [x for x in h.service.seller_center.existing_links(h.service.shop(MAPLE), h.service.now())
                   if x.unlinked_at is None]
    assert still_bound == []
    assert h.service.store.token(Provider.LOGIN_KIT, link.account.open_id) is None


def test_replace_the_official_account(h: Harness) -> None:
    h.connect()
    old = h.bind(h.authorize(MAPLE, Role.OFFICIAL, "maple.official"))
    with pytest.raises(RuleViolation) as caught:
        h.service.replace_official(MAPLE)
    assert caught.value.reason == "unlink_too_early"
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    start = h.service.replace_official(MAPLE)
    new = h.service.complete_authorization(h.consent(start.url, "maple.extra")).link
    assert new is not None
    assert h.service.link(old.id).status is LinkStatus.UNLINKED
    assert h.bind(new).status is LinkStatus.CONNECTED
    assert "replaced" in [e.kind for e in h.service.events(MAPLE)]


def test_a_sellers_claim_awaits_evidence_and_is_never_connected(h: Harness) -> None:
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    claimed = h.service.confirm_binding(link.id)
    assert claimed.status is LinkStatus.AWAITING_EVIDENCE
    assert claimed.binding_evidence == "seller_confirmed"
    binding = next(c for c in claimed.checks if c.name is CheckName.SELLER_CENTER_BINDING)
    assert not binding.ok and binding.reason == "binding_not_visible"
    again = h.service.verify(link.id)
    assert again.status is LinkStatus.AWAITING_EVIDENCE, "verify keeps waiting: a claim is not evidence"
    assert h.service.link(link.id).status is LinkStatus.AWAITING_EVIDENCE
    assert h.service.overview(MAPLE).marketing[0].status is LinkStatus.AWAITING_EVIDENCE
    assert "linked" not in [e.kind for e in h.service.events(link_id=link.id)]
    bound = h.bind(link)  # the invitation is sent and accepted: now the shop's data shows the account
    assert bound.status is LinkStatus.CONNECTED and bound.binding_evidence == "shop_analytics"


def test_one_clock_stamps_the_registry(h: Harness) -> None:
    """After the sandbox clock moves 25 h, a link bound just now is 0 h old, not 25 h (two-clocks bug).

    The 24 h rule applies to links Seller Center bound (an authorization never bound there is not a link yet).
    """
    h.connect()
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    assert abs((link.created_at - h.service.now()).total_seconds()) < 60
    assert link.linked_at is not None and abs((link.linked_at - h.service.now()).total_seconds()) < 60
    with pytest.raises(RuleViolation) as caught:
        h.service.unlink(link.id)
    assert caught.value.reason == "unlink_too_early"
    assert h.service.link(link.id).status is not LinkStatus.UNLINKED
    assert "unlinked" not in [e.kind for e in h.service.events(link_id=link.id)]


CEDAR = "7494100000000000401"


def test_links_made_in_seller_center_are_imported_and_counted(h: Harness) -> None:
    h.connect("cedar_seller")
    overview = h.service.overview(CEDAR)
    assert overview.official is not None and overview.official.account.username == "cedar.official"
    assert {x.account.username for x in overview.marketing} == {"cedar.promo1", "cedar.promo2"}
    assert {x.status for x in overview.links} == {LinkStatus.FOUND_IN_SELLER_CENTER}
    assert {x.binding_evidence for x in overview.links} == {"seller_center_import"}
    history = [x for x in h.service.links(CEDAR, include_unlinked=True) if x.unlinked_at is not None]
    assert {x.account.username for x in history} >= {"cedar.founder", "cedar.promo2", "cedar.promo3",
                                                      "cedar.hopper"}
    assert all(x.linked_at is not None and x.linked_at < x.unlinked_at for x in history)  # type: ignore[operator]
    kinds = [e.kind for e in h.service.events(CEDAR)]
    assert kinds.count("found_in_seller_center") == len(h.service.links(CEDAR, include_unlinked=True))
    assert h.counts()["tokens"] == 1, "nothing authorized in linkkit: only the seller's shop token"
    # the rules before consent count them: the Official slot is taken
    pending_before = h.counts()["pending_authorizations"]
    with pytest.raises(RuleViolation) as caught:
        h.service.begin_authorization(CEDAR, Role.OFFICIAL)
    assert caught.value.reason == "official_limit_reached"
    assert h.counts()["pending_authorizations"] == pending_before
    # reconciling again (every verify does) imports nothing twice
    before = h.counts()["links"]
    h.service.verify_all(CEDAR)
    assert h.counts()["links"] == before


def test_rate_limits_are_retried_then_reported(make_harness: Any) -> None:
    h = make_harness()
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.control("POST", "/faults", {"kind": "http_429", "count": 2, "path_prefix": "/v2/user/info/"})
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED, "two 429s are retried away"
    h.control("POST", "/faults", {"kind": "http_429", "count": 10, "path_prefix": "/v2/user/info/"})
    limited = h.service.verify(link.id)
    assert limited.status is LinkStatus.CONNECTED, "a check TikTok refused to answer is no verdict"
    assert limited.last_check_failed_reason == "rate_limited" and limited.last_check_failed_at is not None


def test_server_errors_become_provider_unavailable(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")
    h.control("POST", "/faults", {"kind": "http_503", "count": 10, "path_prefix": "/v2/oauth/token/"})
    with pytest.raises(LinkkitError) as caught:
        h.service.complete_authorization(callback)
    assert caught.value.reason == "provider_unavailable"
    nothing_linked(h)


@pytest.mark.parametrize("bind", [True, False], ids=["connected", "awaiting_seller_center"])
def test_tiktok_unavailable_during_verify_keeps_the_status(make_harness: Any, bind: bool) -> None:
    h = make_harness()
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    before = h.bind(link) if bind else h.service.verify(link.id)
    assert before.status is (LinkStatus.CONNECTED if bind else LinkStatus.AWAITING_SELLER_CENTER)
    h.control("POST", "/faults", {"kind": "http_503", "count": 20, "path_prefix": "/v2/user/info/"})
    during = h.service.verify(link.id)
    assert during.status is before.status, "TikTok unreachable is no verdict on the link"
    assert during.checks == before.checks, "the previous run's checks are kept, not overwritten"
    assert during.last_verified_at == before.last_verified_at
    assert during.last_check_failed_reason == "provider_unavailable"
    assert during.last_check_failed_at is not None
    assert [e.kind for e in h.service.events(MAPLE)][0] == "check_unavailable"
    assert h.service.store.link(link.id) == during, "the note is read back from the registry"
    h.control("DELETE", "/faults")
    after = h.service.verify(link.id)
    assert after.last_check_failed_at is None and after.last_check_failed_reason is None, "a completed run clears it"
    assert after.status is before.status


def test_malformed_answers_become_provider_bad_response(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")
    h.control("POST", "/faults", {"kind": "malformed", "count": 1, "path_prefix": "/v2/oauth/token/"})
    with pytest.raises(LinkkitError) as caught:
        h.service.complete_authorization(callback)
    assert caught.value.reason == "provider_bad_response"
    nothing_linked(h)


def test_wrong_client_secret(make_harness: Any, sandbox_server: Any) -> None:
    world = requests.get(f"{sandbox_server.url}/_sandbox/world", timeout=10).json()
    shop_app = world["shop_app"]
    h = make_harness(client_key=world["login_kit"]["desktop"]["client_key"], client_secret="wrong-secret-value",
                     app_key=shop_app["app_key"], app_secret=shop_app["app_secret"],
                     service_id=shop_app["service_id"])
    h.connect()
    assert fail_login(h, "maple.deals").reason == "app_credentials_invalid"
    nothing_linked(h)


def test_withheld_shop_scope(h: Harness) -> None:
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    h.control("POST", "/scopes", {"withhold": ["data.shop_analytics.public.read"]})
    failing = h.service.verify(link.id).failing_check
    assert failing is not None and failing.reason == "shop_scope_missing"
    h.control("POST", "/scopes", {"withhold": []})


def test_deauthorized_seller(h: Harness) -> None:
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    h.control("POST", "/deauthorize", {"seller": "maple_seller"})
    failing = h.service.verify(link.id).failing_check
    assert failing is not None and failing.reason == "token_revoked"


def test_health_report(h: Harness) -> None:
    h.connect()
    h.bind(h.authorize(MAPLE, Role.OFFICIAL, "maple.official"))
    report = h.service.health()
    assert report["sandbox"] == "up" and report["links"] == {"connected": 1} and report["shops"] == 1


def test_events_record_the_acting_identity(make_harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKKIT_ACTOR", "ops@maple")
    h = make_harness()
    h.connect()
    link = h.authorize(MAPLE, Role.MARKETING, "maple.deals")
    events = h.service.events(MAPLE)
    assert events and {e.actor for e in events if e.kind in ("shop_connected", "authorization_started",
                                                             "authorized")} == {"ops@maple"}
    assert "seller" not in {e.actor for e in events}
    assert h.service.actor == "ops@maple" and link.id


def test_shop_tokens_refresh_through_the_same_keeper(h: Harness) -> None:
    """TikTok Shop's seller token is refreshed and rotated by the same algorithm as Login Kit's."""
    h.connect()
    subject = h.service.shop(MAPLE).seller_open_id
    before = h.service.store.token(Provider.SHOP, subject)
    h.service.sandbox.advance_clock(7 * 86400 + 60)  # type: ignore[union-attr]
    assert [s.id for s in h.service.sync_shops()] == [MAPLE], "the signed call works with the refreshed token"
    after = h.service.store.token(Provider.SHOP, subject)
    assert before is not None and after is not None
    assert after.version == before.version + 1 and after.refresh_token != before.refresh_token
    assert after.expires_at > h.service.now()


def test_authorizing_a_link_found_in_seller_center_makes_it_linkkits_own(h: Harness) -> None:
    h.connect("cedar_seller")
    found = next(x for x in h.service.links(CEDAR) if x.account.username == "cedar.promo1")
    assert found.binding_evidence == "seller_center_import"
    assert h.service.store.token(Provider.LOGIN_KIT, found.account.open_id) is None
    start = h.service.begin_authorization(CEDAR, Role.MARKETING, link_id=found.id)
    result = h.service.complete_authorization(h.consent(start.url, "cedar.promo1"))
    assert result.link is not None and result.link.id == found.id  # the same link, not a new one
    link = h.service.link(found.id)
    assert link.binding_evidence == "seller_center" and link.active
    assert link.account.username == "cedar.promo1" and link.account.open_id != found.account.open_id
    assert h.service.store.token(Provider.LOGIN_KIT, link.account.open_id) is not None
    assert [x.id for x in h.service.links(CEDAR) if x.account.username == "cedar.promo1"] == [found.id]
