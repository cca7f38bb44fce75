"""``TokenKeeper``: one rotation-safe refresh for Login Kit and TikTok Shop tokens (design §4).

Both providers rotate the refresh token on every refresh, so a refresh token may be spent once. No lock is held
across the network: the keeper reads the token and, only when it is about to expire (or ``force``), takes a
*lease* on the row in one short transaction (compare-and-swap on the row's version; holder and expiry written),
calls TikTok outside any transaction, and stores the successor by compare-and-swap on the version (which also
ends the lease). A second process that finds a live lease polls, bounded, until the version moves and then uses
the successor; a lease whose holder died lapses and is taken over.

A lost answer (the request went out, no response came back: a client timeout or a dropped connection) is
retried once with the same refresh token. We follow TikTok's Login Kit token-management page (the newer one,
"Last updated November 2026": https://developers.tiktok.com/doc/oauth-user-access-token-management), which
says "The previous refresh token stops working once a new one is issued" — so the old refresh token is still
good as long as TikTok never issued a successor, and a retry is safe either way: it succeeds when TikTok did
not process the first request, and is refused (``refresh_token_invalid``) when it did. The older version of
that page (refresh token "valid for 365 days after the initial issuance", no rotation) would allow any number
of retries; TikTok Shop's authorization guide says nothing about reuse. We take the stricter reading: one
retry, then the refusal stands and the link's check says ``refresh_token_invalid``, whose troubleshooting
entry asks for re-authorization (Repair) instead of failing every later refresh without saying why.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from linkkit.clock import Clock
from linkkit.errors import LinkkitError, ProviderError
from linkkit.linking._crashpoints import crash_point
from linkkit.models import Provider
from linkkit.store import Store, StoredToken

__all__ = ["LEASE_TTL", "REFRESH_MARGIN", "Grant", "TokenKeeper"]

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)  # refresh a little before TikTok's expiry
#: How long a refresh lease lasts: longer than one refresh with its retry (HTTP timeouts, a capped Retry-After).
LEASE_TTL = timedelta(seconds=60)
_POLL = 0.05  # seconds between looks at a token another process is refreshing


class Grant(Protocol):
    """What a token endpoint answers (Login Kit's ``TokenSet`` and TikTok Shop's ``ShopToken`` both fit)."""

    @property
    def access_token(self) -> str: ...
    @property
    def refresh_token(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def refresh_expires_at(self) -> datetime | None: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...


def _answer_lost(exc: ProviderError) -> bool:
    """Whether the refresh request may have reached TikTok with no answer coming back (no HTTP status)."""
    return exc.reason == "provider_unavailable" and exc.status is None


class TokenKeeper:
    """Keeps stored tokens usable.

    Args:
        registry: Where tokens live (encrypted), with refresh leases.
        clock: The service's clock (expiry is judged by it).
        margin: Refresh this long before expiry.
        lease: How long a refresh lease lasts before another process may take it over.
        wait: How long to wait for another process's refresh before giving up (default: ``lease`` plus a
            few polls, so a lapsed lease is taken over rather than waited out).
        poll: Seconds between looks while waiting.
        sleep: Waits between polls (``time.sleep``; tests pass a fake).
    """

    def __init__(self, registry: Store, clock: Clock, *, margin: timedelta = REFRESH_MARGIN,
                 lease: timedelta = LEASE_TTL, wait: timedelta | None = None, poll: float = _POLL,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._registry = registry
        self._clock = clock
        self._margin = margin
        self._lease = lease
        self._wait = wait if wait is not None else lease + timedelta(seconds=1)
        self._poll = poll
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"TokenKeeper(margin={self._margin}, lease={self._lease})"

    def save(self, provider: Provider, subject: str, grant: Grant, *, conn: Any = None,
             scopes: tuple[str, ...] | None = None) -> None:
        """Store a grant (inside ``conn``'s transaction when given)."""
        self._registry.save_token(provider, subject, access_token=grant.access_token,
                                  refresh_token=grant.refresh_token, expires_at=grant.expires_at,
                                  refresh_expires_at=grant.refresh_expires_at,
                                  scopes=grant.scopes or scopes or (), conn=conn)

    def fresh(self, provider: Provider, subject: str, refresh: Callable[[str], Grant], *,
              missing: Callable[[], LinkkitError], force: bool = False,
              on_refreshed: Callable[[Any], None] | None = None) -> tuple[StoredToken, bool]:
        """A usable token and whether this call refreshed it.

        Args:
            provider: Login Kit or TikTok Shop.
            subject: The token's owner (``open_id``).
            refresh: Spends a refresh token at TikTok and returns the new grant.
            missing: The error to raise when no token is stored.
            force: Refresh even if the token is not about to expire (TikTok said it is no longer valid).
            on_refreshed: Called with the open transaction after the successor is stored (audit event).
        """
        token = self._registry.token(provider, subject)
        if token is None:
            raise missing()
        if not force and token.expires_at - self._clock.now() > self._margin:
            return token, False
        holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        polls = math.ceil(self._wait.total_seconds() / self._poll)  # bounded: at least ``wait`` in all
        for _ in range(polls + 1):
            if self._registry.lease_token(provider, subject, version=token.version, holder=holder,
                                          ttl=self._lease):
                return self._spend(provider, subject, token, refresh, holder, missing=missing,
                                   on_refreshed=on_refreshed)
            current = self._registry.token(provider, subject)
            if current is None:
                raise missing()
            if current.version != token.version:  # another process refreshed while we waited
                return current, False
            self._sleep(self._poll)
        raise ProviderError("Another linkkit process is renewing this access and has not finished; try again "
                            "shortly.", reason="provider_unavailable", retryable=True)

    def _spend(self, provider: Provider, subject: str, token: StoredToken, refresh: Callable[[str], Grant],
               holder: str, *, missing: Callable[[], LinkkitError],
               on_refreshed: Callable[[Any], None] | None) -> tuple[StoredToken, bool]:
        """Spend ``token``'s refresh token under our lease (no transaction open) and store the successor."""
        stored = False
        try:
            crash_point("refresh.calling")
            grant = self._call(refresh, token.refresh_token)
            with self._registry.transaction() as conn:
                stored = self._registry.store_successor(
                    provider, subject, version=token.version, access_token=grant.access_token,
                    refresh_token=grant.refresh_token, expires_at=grant.expires_at,
                    refresh_expires_at=grant.refresh_expires_at, scopes=grant.scopes or token.scopes, conn=conn)
                crash_point("refresh.storing")
                if stored and on_refreshed is not None:
                    on_refreshed(conn)
        except LinkkitError:
            # Our lease lapsed and another process refreshed meanwhile: its successor is the live pair.
            current = self._registry.token(provider, subject)
            if current is not None and current.version != token.version:
                return current, False
            raise
        finally:
            if not stored:
                self._release(provider, subject, holder)
        current = self._registry.token(provider, subject)
        if current is None:
            raise missing()
        if not stored:  # the row moved while we were at TikTok (a lapsed lease taken over, or a new grant)
            log.warning("A refreshed %s token was not stored: the stored token changed meanwhile.", provider.value)
        return current, stored

    def _call(self, refresh: Callable[[str], Grant], refresh_token: str) -> Grant:
        """One refresh at TikTok, retried once with the same token when the answer was lost (module notes)."""
        try:
            return refresh(refresh_token)
        except ProviderError as exc:
            if not _answer_lost(exc):
                raise
            log.info("A token refresh got no answer; retrying once with the same refresh token.")
        return refresh(refresh_token)

    def _release(self, provider: Provider, subject: str, holder: str) -> None:
        try:
            self._registry.release_lease(provider, subject, holder=holder)
        except LinkkitError:  # the lease lapses by itself; the refresh's own outcome matters more
            log.warning("Could not release a %s refresh lease; it lapses by itself.", provider.value)
