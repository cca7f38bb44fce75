"""``TokenKeeper``: one rotation-safe refresh for Login Kit and TikTok Shop tokens (design §4).

Both providers rotate the refresh token on every refresh, so a refresh token may be spent once. The keeper
reads the token, and only when it is about to expire (or ``force``) takes the registry's token lock, re-reads
it, and — unless another process refreshed meanwhile (the version moved) — spends the refresh token and stores
its successor inside the same lock. A second kernel refreshing at the same moment waits, sees the new version
and uses the new pair.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from linkkit.clock import Clock
from linkkit.errors import LinkkitError
from linkkit.linking._crashpoints import crash_point
from linkkit.models import Provider
from linkkit.store import Store, StoredToken

__all__ = ["REFRESH_MARGIN", "Grant", "TokenKeeper"]

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)  # refresh a little before TikTok's expiry


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


class TokenKeeper:
    """Keeps stored tokens usable.

    Args:
        registry: Where tokens live (encrypted), with a token lock.
        clock: The service's clock (expiry is judged by it).
        margin: Refresh this long before expiry.
    """

    def __init__(self, registry: Store, clock: Clock, *, margin: timedelta = REFRESH_MARGIN) -> None:
        self._registry = registry
        self._clock = clock
        self._margin = margin

    def __repr__(self) -> str:
        return f"TokenKeeper(margin={self._margin})"

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
        with self._registry.token_lock() as conn:
            current = self._registry.token(provider, subject, conn=conn)
            if current is None:
                raise missing()
            if current.version != token.version:  # another process refreshed while we waited
                return current, False
            crash_point("refresh.calling")
            grant = refresh(current.refresh_token)
            self.save(provider, subject, grant, conn=conn, scopes=current.scopes)
            crash_point("refresh.storing")
            if on_refreshed is not None:
                on_refreshed(conn)
        refreshed = self._registry.token(provider, subject)
        if refreshed is None:  # pragma: no cover - deleted between commit and read
            raise missing()
        return refreshed, True
