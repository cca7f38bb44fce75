"""``Revoker``: drains the revocation outbox — every grant linkkit must give back to TikTok.

A "revoke this grant" row is committed with the registry change that ends the grant (unlink, a replaced
Official, a refused account, an abandoned completion). TikTok's revoke disconnects the app from the account as
a whole, so a row whose account linkkit still needs (a stored token, or a grant held by an authorization in
flight) is dropped instead of sent. This worker sends each due row to TikTok's revoke
endpoint and deletes the row only after TikTok answered; a failure counts the attempt and backs off
exponentially (capped). So a process killed anywhere leaves the row behind, and the next drain — after the
transaction, on service start, or from the monitor — revokes the grant.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from linkkit.errors import LinkkitError
from linkkit.linking._crashpoints import crash_point
from linkkit.linking.ports import Ports
from linkkit.models import Provider, Role

__all__ = ["BACKOFF_CAP", "BACKOFF_FIRST", "Revoker"]

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


class Revoker:
    """Sends due outbox rows to TikTok.

    Args:
        ports: Clock, registry and TikTok clients.
    """

    def __init__(self, ports: Ports) -> None:
        self._p = ports

    def drain(self, *, limit: int = 50) -> int:
        """Revoke every due grant (at most ``limit``); returns how many TikTok confirmed."""
        p = self._p
        done = 0
        for row in p.registry.due_revocations(p.clock.now(), limit=limit):
            if row.provider is not Provider.LOGIN_KIT:  # only Login Kit grants go through the outbox today
                continue
            if row.in_use:
                # Revoking would disconnect the app from an account a link still needs (TikTok revokes the
                # account's connection, not one token): the grant stays part of that connection.
                p.registry.revocation_done(row)
                continue
            crash_point("outbox.revoking")
            try:
                p.login_flow(Role.MARKETING).revoke(row.access_token)
            except LinkkitError as exc:
                delay = min(BACKOFF_FIRST * (2 ** row.attempts), BACKOFF_CAP)
                p.registry.revocation_failed(row, exc.reason, p.clock.now() + delay)
                log.warning("Could not revoke a TikTok grant (%s); retrying in %s.", exc.reason, delay)
                continue
            crash_point("outbox.revoked")
            p.registry.revocation_done(row)
            done += 1
        return done
