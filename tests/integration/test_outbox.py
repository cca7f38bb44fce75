"""Revocation goes through an outbox committed with the registry change; races end with one link and its token;
a claim whose process died ends with the truth; old pending rows are purged. Each test runs on SQLite and
PostgreSQL against the in-process sandbox, whose ``/_sandbox/grants`` says which Login Kit grants are alive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import linkkit.linking.authorizer as authorizer_module
from linkkit.errors import RuleViolation, StateMismatch
from linkkit.models import LinkStatus, Provider, Role
from linkkit.ui.tasks import pending_outcome
from tests.integration.conftest import MAPLE, Harness, alive
from tests.nothing_stored import recorded_requests

pytestmark = pytest.mark.integration


def on_point(monkeypatch: pytest.MonkeyPatch, name: str, action: Callable[[], Any]) -> list[Any]:
    """Run ``action`` once, the first time the flow reaches crash point ``name`` (a deterministic interleaving)."""
    results: list[Any] = []

    def hook(point: str) -> None:
        if point == name and not results:
            results.append(None)
            results[0] = action()

    monkeypatch.setattr(authorizer_module, "crash_point", hook)
    return results


def test_unlink_commits_the_revocation_and_the_drain_retries_until_tiktok_confirms(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    h.control("POST", "/faults", {"kind": "http_503", "count": 20, "path_prefix": "/v2/oauth/revoke/"})
    h.service.unlink(link.id)
    rows = h.service.store.outbox()
    assert [(r["reason"], r["attempts"], r["last_error"] is not None) for r in rows] == [("unlinked", 1, True)]
    assert h.service.store.token(Provider.LOGIN_KIT, link.account.open_id) is None  # held by the outbox row
    assert alive(h) == ["maple.deals"]
    h.control("DELETE", "/faults")
    assert h.service.drain_outbox() == 0  # backing off: not due yet
    h.service.sandbox.advance_clock(120)  # type: ignore[union-attr]
    assert h.service.drain_outbox() == 1
    assert alive(h) == [] and h.service.store.outbox() == []


def test_unlink_in_one_tab_while_relinking_in_another_keeps_one_link_with_its_token(
        h: Harness, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    h.connect()
    old = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    other = make_harness()  # the second tab (its own service, same registry)
    # The other tab re-links the account right after the unlink committed (Seller Center's binding gone too),
    # before the unlinking tab's follow-up.
    def relink() -> Any:
        other.service.seller_center.unlink(other.service.shop(MAPLE), "maple.deals")
        return other.authorize(MAPLE, Role.MARKETING, "maple.deals")

    relinked = on_point(monkeypatch, "unlink.stored", relink)
    h.service.unlink(old.id)
    assert relinked, "the interleaving did not happen"
    active = [x for x in h.service.links(MAPLE) if x.account.username == "maple.deals"]
    assert [x.id for x in active] == [relinked[0].id]
    assert h.service.store.token(Provider.LOGIN_KIT, old.account.open_id) is not None
    assert h.service.refresh_tokens(relinked[0].id, force=True) == 1  # the stored grant is the live one
    assert alive(h) == ["maple.deals"] and h.service.store.outbox() == []


def test_simultaneous_official_race_one_winner_and_the_loser_revoked(
        h: Harness, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    h.connect()
    other = make_harness()
    mine = h.service.begin_authorization(MAPLE, Role.OFFICIAL)
    my_callback = h.consent(mine.url, "maple.official")
    theirs = other.service.begin_authorization(MAPLE, Role.OFFICIAL)
    their_callback = other.consent(theirs.url, "maple.extra")
    # Both passed the checks made before storing; the other tab stores first.
    won = on_point(monkeypatch, "complete.checked", lambda: other.service.complete_authorization(their_callback))
    with pytest.raises(RuleViolation) as caught:
        h.service.complete_authorization(my_callback)
    assert caught.value.reason == "official_limit_reached"
    assert won and won[0].link is not None
    officials = [x for x in h.service.links(MAPLE) if x.role is Role.OFFICIAL]
    assert [x.account.username for x in officials] == ["maple.extra"]
    assert h.service.store.token(Provider.LOGIN_KIT, officials[0].account.open_id) is not None
    assert h.service.pending(mine.pending_id).outcome == "official_limit_reached"
    assert alive(h) == ["maple.extra"]  # the loser's grant is revoked
    assert h.service.store.outbox() == [] and h.counts()["links"] == 1


class Died(BaseException):
    """Stands for a process killed mid-flow (not a LinkkitError: nothing catches it)."""


def test_a_claim_whose_process_died_ends_with_the_truth_and_old_rows_are_purged(
        h: Harness, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    h.connect()
    before = h.counts()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")

    def die() -> None:
        raise Died

    on_point(monkeypatch, "complete.checked", die)
    with pytest.raises(Died):
        h.service.complete_authorization(callback)
    monkeypatch.undo()
    record = h.service.pending(start.pending_id)
    assert record.used_at is not None and record.outcome is None  # under way until it expires
    assert alive(h) == ["maple.deals"] and len(h.service.store.outbox()) == 1  # held
    h.service.sandbox.advance_clock(11 * 60)  # type: ignore[union-attr]
    record = h.service.pending(start.pending_id)
    assert record.outcome == "authorization_abandoned" and record.result_link_id is None
    outcome = pending_outcome(record, now=h.service.now())
    assert outcome is not None and outcome.reason == "authorization_abandoned"  # not provider_unavailable
    assert alive(h) == [] and h.service.store.outbox() == []
    with pytest.raises(StateMismatch) as replayed:  # the callback page reloaded: told the truth, not "reused"
        h.service.complete_authorization(callback)
    assert replayed.value.reason == "authorization_abandoned"
    assert h.counts()["links"] == 0 and h.counts()["tokens"] == before["tokens"]  # the seller's token only
    h.service.begin_authorization(MAPLE, Role.MARKETING)  # a page load that is never completed
    h.service.sandbox.advance_clock(2 * 86400)  # type: ignore[union-attr]
    assert h.counts()["pending_authorizations"] == 3  # the shop's, the dead claim's, the unused one
    restarted = make_harness()  # a new process starts: recovery purges rows that ended over a day ago
    assert restarted.counts()["pending_authorizations"] == 0


def _revokes(h: Harness) -> list[dict[str, Any]]:
    return [r for r in recorded_requests(h.sandbox_url) if r["method"] == "POST" and r["path"] == "/v2/oauth/revoke/"]


def test_a_repair_by_the_same_account_keeps_it_connected_and_revokes_nothing(h: Harness) -> None:
    # TikTok's revoke disconnects the whole account from the app: revoking the grant a repair replaced would
    # take the new grant with it and break the link just repaired.
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.control("DELETE", "/requests")
    repaired = h.authorize(MAPLE, Role.MARKETING, "maple.deals", link_id=link.id)
    assert repaired.id == link.id
    assert _revokes(h) == [] and h.service.store.outbox() == []
    assert alive(h) == ["maple.deals"]
    assert h.service.refresh_tokens(link.id, force=True) == 1  # the stored grant still works at TikTok
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED


def test_a_refused_consent_by_an_account_linked_elsewhere_leaves_its_link_working(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.counts()
    h.control("DELETE", "/requests")
    start = h.service.begin_authorization(MAPLE, Role.MARKETING, expected_username="maple.live")
    with pytest.raises(Exception) as refused:
        h.service.complete_authorization(h.consent(start.url, "maple.deals"))  # the wrong account signs in
    assert getattr(refused.value, "reason", None) == "wrong_account"
    assert [x.id for x in h.service.links(MAPLE)] == [link.id]  # nothing new stored
    assert {k: v for k, v in h.counts().items() if k not in ("link_events", "pending_authorizations")} == {
        k: v for k, v in before.items() if k not in ("link_events", "pending_authorizations")}
    assert _revokes(h) == [] and h.service.store.outbox() == []  # dropped: revoking would disconnect the link
    assert h.service.refresh_tokens(link.id, force=True) == 1
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED


def test_a_repair_finished_after_its_link_was_unlinked_is_refused_and_its_grant_revoked(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]  # unlink is allowed now
    start = h.service.begin_authorization(MAPLE, Role.MARKETING, link_id=link.id)
    callback = h.consent(start.url, "maple.deals")
    h.service.unlink(link.id)  # another tab, while this one was on TikTok
    with pytest.raises(Exception) as refused:
        h.service.complete_authorization(callback)
    assert getattr(refused.value, "reason", None) == "link_not_found"
    assert h.service.links(MAPLE) == []  # the unlinked link stays unlinked
    assert h.service.store.token(Provider.LOGIN_KIT, link.account.open_id) is None
    assert h.service.store.outbox() == [] and alive(h) == []  # the repair's grant was revoked too


def test_a_drain_never_deletes_a_row_that_took_over_the_id_of_the_row_it_revoked(
        h: Harness, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite reuses the largest rowid once that row is deleted. A drain that revoked row k while another process
    # revoked and deleted it too, then held a new grant (which got id k), must not delete the new row.
    import linkkit.linking.outbox as outbox_module

    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
    other = make_harness()
    fired: list[int] = []

    def meanwhile(point: str) -> None:
        if point == "outbox.revoked" and not fired:
            fired.append(1)
            monkeypatch.setattr(outbox_module, "crash_point", lambda _point: None)
            assert other.service.drain_outbox() == 1  # the other process revokes and deletes the same row
            start = other.service.begin_authorization(MAPLE, Role.MARKETING)
            record = other.service.pending(start.pending_id)
            other.service.store.hold_grant(Provider.LOGIN_KIT, "someone-else", "held-token", record.id)

    monkeypatch.setattr(outbox_module, "crash_point", meanwhile)
    h.service.unlink(link.id)  # commits the row, then drains it (and meets the other process at "revoked")
    assert fired
    held = [r for r in h.service.store.outbox() if r["subject"] == "someone-else"]
    assert len(held) == 1 and held[0]["due_at"] is None, "the drain deleted another authorization's held grant"
