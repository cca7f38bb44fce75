"""TokenKeeper unit tests: a real SQLite registry, a fake refresh callable, a clock that moves only when told.

Fast (no HTTP, no sleeping) so that mutation testing can run them per mutant; the cross-process and PostgreSQL
behaviour is in tests/integration/test_refresh_faults.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from linkkit.clock import FixedClock
from linkkit.crypto import TokenBox
from linkkit.errors import LinkError, LinkkitError, ProviderError, RegistryError
from linkkit.linking.tokens import LEASE_TTL, REFRESH_MARGIN, TokenKeeper
from linkkit.models import Provider
from linkkit.store import Store, StoredToken

SUBJECT = "open-id-1"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
P = Provider.LOGIN_KIT


@dataclass(frozen=True)
class FakeGrant:
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ("user.info.basic",)


@dataclass
class FakeTikTok:
    """Spends refresh tokens like TikTok: each one once, returning a numbered successor."""

    clock: FixedClock
    answers: list[BaseException | None] = field(default_factory=list)  # None: answer normally
    spent: list[str] = field(default_factory=list)
    during: Callable[[], None] | None = None  # runs while "at TikTok" (another process's doings)
    scopes: tuple[str, ...] = ("user.info.basic",)

    def __call__(self, refresh_token: str) -> FakeGrant:
        self.spent.append(refresh_token)
        if self.during is not None:
            self.during()
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        n = len(self.spent)
        return FakeGrant(f"act.{n}", f"rft.{n}", self.clock.now() + timedelta(hours=2),
                         self.clock.now() + timedelta(days=180), self.scopes)


class Missing(LinkError):
    pass


def missing() -> LinkkitError:
    return Missing("no token", reason="shop_not_connected")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    registry = Store(f"sqlite:///{tmp_path / 'r.db'}", TokenBox(Fernet.generate_key().decode()), clock=clock.now)
    yield registry
    registry.close()


@pytest.fixture
def tiktok(clock: FixedClock) -> FakeTikTok:
    return FakeTikTok(clock)


def seed(store: Store, *, expires_in: timedelta, refresh: str = "rft.0",
         scopes: tuple[str, ...] = ("user.info.basic", "video.list")) -> StoredToken:
    store.save_token(P, SUBJECT, access_token="act.0", refresh_token=refresh, expires_at=START + expires_in,
                     refresh_expires_at=START + timedelta(days=180), scopes=scopes)
    token = store.token(P, SUBJECT)
    assert token is not None
    return token


def keeper(store: Store, clock: FixedClock, **kwargs: Any) -> TokenKeeper:
    return TokenKeeper(store, clock, **kwargs)


def lost() -> ProviderError:
    return ProviderError("TikTok could not be reached: timed out.", reason="provider_unavailable", retryable=True)


def stored(store: Store) -> StoredToken:
    token = store.token(P, SUBJECT)
    assert token is not None
    return token


# --- when to refresh ------------------------------------------------------------------------------------------

def test_a_token_far_from_expiry_is_returned_without_a_refresh(store: Store, clock: FixedClock,
                                                                tiktok: FakeTikTok) -> None:
    before = seed(store, expires_in=REFRESH_MARGIN + timedelta(seconds=1))
    token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert refreshed is False and tiktok.spent == []
    assert token.version == before.version and token.access_token == "act.0"


def test_a_token_exactly_at_the_margin_is_refreshed(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    before = seed(store, expires_in=REFRESH_MARGIN)
    token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert refreshed is True and tiktok.spent == ["rft.0"]
    assert token.version == before.version + 1 and token.access_token == "act.1" and token.refresh_token == "rft.1"
    assert token.expires_at == START + timedelta(hours=2)
    assert token.refresh_expires_at == START + timedelta(days=180)
    assert token.scopes == ("user.info.basic",)
    assert token.lease_holder is None and token.lease_until is None, "storing the successor ends the lease"
    assert stored(store) == token


def test_a_custom_margin_is_honoured(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(minutes=30))
    assert keeper(store, clock, margin=timedelta(minutes=29)).fresh(P, SUBJECT, tiktok, missing=missing)[1] is False
    assert keeper(store, clock, margin=timedelta(minutes=30)).fresh(P, SUBJECT, tiktok, missing=missing)[1] is True
    assert tiktok.spent == ["rft.0"]


def test_force_refreshes_a_token_far_from_expiry(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(days=1))
    token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing, force=True)
    assert refreshed is True and tiktok.spent == ["rft.0"] and token.refresh_token == "rft.1"


def test_no_stored_token_raises_the_callers_error(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    with pytest.raises(Missing) as caught:
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing, force=True)
    assert caught.value.reason == "shop_not_connected" and tiktok.spent == []


def test_the_refresh_keeps_the_old_scopes_when_tiktok_sends_none(store: Store, clock: FixedClock,
                                                                 tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.scopes = ()
    token, _ = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert token.scopes == ("user.info.basic", "video.list")


def test_on_refreshed_runs_inside_the_transaction_that_stores_the_successor(store: Store, clock: FixedClock,
                                                                            tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    seen: list[Any] = []

    def on_refreshed(conn: Any) -> None:
        seen.append(conn)
        # inside the transaction the successor is already there
        token = store.token(P, SUBJECT, conn=conn)
        assert token is not None and token.refresh_token == "rft.1"
        store.add_event("refreshed", actor="test", conn=conn)

    keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing, on_refreshed=on_refreshed)
    assert len(seen) == 1 and seen[0] is not None
    assert [e.kind for e in store.events()] == ["refreshed"]


# --- the lease ----------------------------------------------------------------------------------------------

def test_the_lease_is_held_while_tiktok_is_called_and_no_transaction_is_open(store: Store, clock: FixedClock,
                                                                            tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    during: list[StoredToken] = []

    def at_tiktok() -> None:
        during.append(stored(store))
        # another writer is not blocked while the refresh is at TikTok (the old keeper held the write lock)
        with store.transaction() as conn:
            store.add_event("unrelated", actor="other", conn=conn)

    tiktok.during = at_tiktok
    keeper(store, clock, lease=timedelta(seconds=42)).fresh(P, SUBJECT, tiktok, missing=missing)
    assert during[0].lease_holder is not None and during[0].lease_until == START + timedelta(seconds=42)
    assert during[0].version == 1, "the lease does not move the version"
    assert [e.kind for e in store.events()] == ["unrelated"]


def test_the_default_lease_lasts_lease_ttl(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    during: list[StoredToken] = []
    tiktok.during = lambda: during.append(stored(store))
    keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert during[0].lease_until == START + LEASE_TTL


def test_a_live_lease_makes_the_second_process_wait_and_use_the_successor(store: Store, clock: FixedClock,
                                                                         tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    assert store.lease_token(P, SUBJECT, version=1, holder="other", ttl=timedelta(seconds=60))
    sleeps: list[float] = []

    def other_process_finishes(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            assert store.store_successor(P, SUBJECT, version=1, access_token="act.other",
                                         refresh_token="rft.other", expires_at=START + timedelta(hours=2),
                                         refresh_expires_at=None, scopes=("user.info.basic",))

    token, refreshed = keeper(store, clock, poll=0.25, sleep=other_process_finishes).fresh(
        P, SUBJECT, tiktok, missing=missing, force=True)
    assert refreshed is False and tiktok.spent == [], "the rotated-away refresh token was never spent"
    assert token.refresh_token == "rft.other" and token.version == 2
    assert sleeps == [0.25, 0.25, 0.25]


def test_waiting_is_bounded_and_spends_nothing(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    assert store.lease_token(P, SUBJECT, version=1, holder="other", ttl=timedelta(hours=1))
    sleeps: list[float] = []
    with pytest.raises(ProviderError) as caught:
        keeper(store, clock, wait=timedelta(seconds=1), poll=0.25, sleep=sleeps.append).fresh(
            P, SUBJECT, tiktok, missing=missing)
    assert caught.value.reason == "provider_unavailable" and caught.value.retryable is True
    assert caught.value.message == ("Another linkkit process is renewing this access and has not finished; try "
                                    "again shortly.")
    assert sleeps == [0.25] * 5 and tiktok.spent == []
    assert stored(store).lease_holder == "other" and stored(store).version == 1


def test_the_default_wait_outlasts_the_lease(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    assert store.lease_token(P, SUBJECT, version=1, holder="other", ttl=timedelta(hours=1))
    sleeps: list[float] = []
    with pytest.raises(ProviderError):
        keeper(store, clock, lease=timedelta(seconds=2), poll=0.5, sleep=sleeps.append).fresh(
            P, SUBJECT, tiktok, missing=missing)
    assert len(sleeps) == 7, "wait = lease (2 s) + 1 s, polled every 0.5 s, plus the first look"


def test_an_expired_lease_is_taken_over(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    assert store.lease_token(P, SUBJECT, version=1, holder="dead", ttl=timedelta(seconds=10))
    sleeps: list[float] = []

    def time_passes(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(5)

    token, refreshed = keeper(store, clock, poll=1.0, sleep=time_passes).fresh(P, SUBJECT, tiktok,
                                                                               missing=missing)
    assert refreshed is True and tiktok.spent == ["rft.0"] and token.refresh_token == "rft.1"
    assert sleeps == [1.0, 1.0], "taken over exactly when the lease lapsed (10 s), not before"


def test_a_token_deleted_while_waiting_raises_missing(store: Store, clock: FixedClock,
                                                      tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    assert store.lease_token(P, SUBJECT, version=1, holder="other", ttl=timedelta(hours=1))
    with pytest.raises(Missing):
        keeper(store, clock, sleep=lambda _s: store.delete_token(P, SUBJECT)).fresh(P, SUBJECT, tiktok,
                                                                                  missing=missing)
    assert tiktok.spent == [] and store.token(P, SUBJECT) is None


def test_a_successor_that_lost_the_compare_and_swap_is_not_stored(store: Store, clock: FixedClock,
                                                                  tiktok: FakeTikTok,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    seed(store, expires_in=timedelta(0))
    calls: list[Any] = []

    def reauthorized_meanwhile() -> None:  # a new authorization saved a new grant while we were at TikTok
        store.save_token(P, SUBJECT, access_token="act.new", refresh_token="rft.new",
                         expires_at=START + timedelta(hours=2), refresh_expires_at=None, scopes=())

    tiktok.during = reauthorized_meanwhile
    with caplog.at_level(logging.INFO, logger="linkkit.linking.tokens"):
        token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing,
                                                      on_refreshed=calls.append)
    assert caplog.messages == [f"A refreshed {P.value} token was not stored: the stored token changed meanwhile."]
    assert refreshed is False and calls == []
    assert token.refresh_token == "rft.new" and token.version == 2 and stored(store) == token


# --- failures -----------------------------------------------------------------------------------------------

def test_a_lost_answer_is_retried_once_with_the_same_refresh_token(store: Store, clock: FixedClock,
                                                                   tiktok: FakeTikTok,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [lost()]
    with caplog.at_level(logging.INFO, logger="linkkit.linking.tokens"):
        token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert caplog.messages == ["A token refresh got no answer; retrying once with the same refresh token."]
    assert refreshed is True and tiktok.spent == ["rft.0", "rft.0"]
    assert token.refresh_token == "rft.2" and token.version == 2


def test_a_lost_answer_after_rotation_ends_as_refresh_token_invalid(store: Store, clock: FixedClock,
                                                                    tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [lost(), ProviderError("TikTok refused the refresh: invalid_grant.",
                                            reason="refresh_token_invalid", provider_code="invalid_grant")]
    with pytest.raises(ProviderError) as caught:
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert caught.value.reason == "refresh_token_invalid"
    assert tiktok.spent == ["rft.0", "rft.0"]
    after = stored(store)
    assert after.version == 1 and after.refresh_token == "rft.0", "nothing stored"
    assert after.lease_holder is None and after.lease_until is None, "the lease was released"


def test_two_lost_answers_are_not_retried_again(store: Store, clock: FixedClock, tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [lost(), lost()]
    with pytest.raises(ProviderError) as caught:
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert caught.value.reason == "provider_unavailable" and tiktok.spent == ["rft.0", "rft.0"]
    assert stored(store).version == 1 and stored(store).lease_holder is None


@pytest.mark.parametrize("error", [
    ProviderError("TikTok is rate limiting requests right now.", reason="rate_limited", status=429),
    ProviderError("TikTok is unavailable (HTTP 503).", reason="provider_unavailable", status=503),
    ProviderError("TikTok refused the refresh: invalid_grant.", reason="refresh_token_invalid"),
])
def test_an_answered_failure_is_not_retried(store: Store, clock: FixedClock, tiktok: FakeTikTok,
                                            error: ProviderError) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [error]
    with pytest.raises(ProviderError) as caught:
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert caught.value is error and tiktok.spent == ["rft.0"]
    after = stored(store)
    assert after.version == 1 and after.refresh_token == "rft.0" and after.lease_holder is None


def test_after_a_failure_the_next_refresh_is_not_blocked_by_a_leftover_lease(store: Store, clock: FixedClock,
                                                                            tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [ProviderError("slow down", reason="rate_limited", status=429)]
    with pytest.raises(ProviderError):
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    token, refreshed = keeper(store, clock, sleep=pytest.fail).fresh(P, SUBJECT, tiktok, missing=missing)
    assert refreshed is True and token.refresh_token == "rft.2"


def test_a_failure_after_another_process_refreshed_returns_its_successor(store: Store, clock: FixedClock,
                                                                          tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))

    def taken_over_and_refreshed() -> None:  # our lease lapsed; another process refreshed meanwhile
        assert store.store_successor(P, SUBJECT, version=1, access_token="act.other", refresh_token="rft.other",
                                     expires_at=START + timedelta(hours=2), refresh_expires_at=None, scopes=())

    tiktok.during = taken_over_and_refreshed
    tiktok.answers = [ProviderError("invalid_grant", reason="refresh_token_invalid")]
    token, refreshed = keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert refreshed is False and token.refresh_token == "rft.other" and token.version == 2


def test_a_lease_that_cannot_be_released_does_not_hide_the_refresh_error(
        store: Store, clock: FixedClock, tiktok: FakeTikTok, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    seed(store, expires_in=timedelta(0))
    tiktok.answers = [ProviderError("invalid_grant", reason="refresh_token_invalid")]

    def down(*_a: Any, **_k: Any) -> None:
        raise RegistryError("The registry could not be reached.")

    monkeypatch.setattr(store, "release_lease", down)
    with pytest.raises(ProviderError) as caught:
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)
    assert caught.value.reason == "refresh_token_invalid"
    assert caplog.messages == [f"Could not release a {P.value} refresh lease; it lapses by itself."]


def test_repr_shows_no_secret(store: Store, clock: FixedClock) -> None:
    seed(store, expires_in=timedelta(0))
    assert repr(keeper(store, clock)) == f"TokenKeeper(margin={REFRESH_MARGIN}, lease={LEASE_TTL})"


def test_a_successful_refresh_logs_nothing(store: Store, clock: FixedClock, tiktok: FakeTikTok,
                                           caplog: pytest.LogCaptureFixture) -> None:
    seed(store, expires_in=timedelta(0))
    with caplog.at_level(logging.INFO, logger="linkkit.linking.tokens"):
        assert keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing)[1] is True
    assert caplog.messages == []


def test_a_token_deleted_as_its_successor_is_stored_raises_missing(store: Store, clock: FixedClock,
                                                                   tiktok: FakeTikTok) -> None:
    seed(store, expires_in=timedelta(0))

    def unlinked_in_the_same_transaction(conn: Any) -> None:
        store.delete_token(P, SUBJECT, conn=conn)

    with pytest.raises(Missing):
        keeper(store, clock).fresh(P, SUBJECT, tiktok, missing=missing, on_refreshed=unlinked_in_the_same_transaction)
    assert store.token(P, SUBJECT) is None


# --- save ---------------------------------------------------------------------------------------------------

def test_save_stores_the_grant(store: Store, clock: FixedClock) -> None:
    grant = FakeGrant("act.9", "rft.9", START + timedelta(hours=2), START + timedelta(days=180), ("a", "b"))
    keeper(store, clock).save(P, SUBJECT, grant, scopes=("ignored",))
    token = stored(store)
    assert (token.access_token, token.refresh_token, token.expires_at, token.refresh_expires_at, token.scopes,
            token.version, token.provider, token.subject) == (
        "act.9", "rft.9", START + timedelta(hours=2), START + timedelta(days=180), ("a", "b"), 1, P, SUBJECT)


def test_save_falls_back_to_the_given_scopes_then_none(store: Store, clock: FixedClock) -> None:
    grant = FakeGrant("act.9", "rft.9", START, None, ())
    keeper(store, clock).save(P, SUBJECT, grant, scopes=("x",))
    assert stored(store).scopes == ("x",) and stored(store).refresh_expires_at is None
    keeper(store, clock).save(P, SUBJECT, grant)
    assert stored(store).scopes == () and stored(store).version == 2


def test_save_joins_the_callers_transaction(store: Store, clock: FixedClock) -> None:
    grant = FakeGrant("act.9", "rft.9", START, None)
    with pytest.raises(RuntimeError), store.transaction() as conn:
        keeper(store, clock).save(P, SUBJECT, grant, conn=conn)
        raise RuntimeError("rolled back")
    assert store.token(P, SUBJECT) is None, "saved inside the caller's transaction, so rolled back with it"
