"""Test-only crash points: ``crash_point("unlink.stored")`` kills this process with SIGKILL when, and only when,
the environment variable ``LINKKIT_CRASH_AT`` equals that name; otherwise it does nothing.

The kill -9 harness (``tests/integration/test_crash.py``) sets the variable in a child process running the real
flow, so the process dies at exactly that point (inside a transaction, between a commit and a TikTok call, …)
and a fresh process must recover. Production never sets ``LINKKIT_CRASH_AT``; the check is one dict lookup.

The names in use are listed in :data:`POINTS` (the harness asserts each one is reached).
"""

from __future__ import annotations

import os
import signal

__all__ = ["POINTS", "crash_point"]

#: Every crash point placed in the code, in the order a flow meets them.
POINTS = (
    "complete.claimed",     # the pending authorization is claimed; nothing else happened
    "complete.exchanged",   # TikTok issued a grant (code exchanged); not recorded anywhere yet
    "complete.held",        # the grant is recorded as held in the outbox
    "complete.checked",     # the account passed every check; the link is not stored yet
    "complete.storing",     # inside the transaction storing account, token and link (not committed)
    "complete.stored",      # the link is committed; the outbox has not been drained
    "complete.refused",     # the account was refused; the refusal is not recorded yet
    "unlink.begin",         # unlink passed its rules; nothing written
    "unlink.storing",       # inside the unlink transaction (link ended, token moved to the outbox; not committed)
    "unlink.stored",        # unlink committed; Seller Center and TikTok not told yet
    "outbox.revoking",      # a due revocation is about to be sent to TikTok
    "outbox.revoked",       # TikTok confirmed the revoke; the outbox row is not deleted yet
    "refresh.calling",      # inside the token lock, about to spend the refresh token at TikTok
    "refresh.storing",      # TikTok rotated the token; the successor is written but not committed
)


def crash_point(name: str) -> None:
    """Die here (SIGKILL, no clean-up) when ``LINKKIT_CRASH_AT`` names this point; a no-op otherwise."""
    if os.environ.get("LINKKIT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
