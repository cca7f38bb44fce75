"""Tells the wizard's kernel what happened to the authorization its Authorize link started.

The Authorize link carries a one-off ``attempt`` id that the wizard chose. The server's authorize handler writes
``{attempt → pending_id}`` and its callback handler writes the outcome (reason code and the seller-facing
message) here; the wizard, a kernel on the same machine, reads them. That way the original tab learns which
pending authorization to poll in the registry and shows the *same specific text* the callback tab shows
("registered in GB, but the shop sells in US"), which the registry's reason code alone cannot carry.

The files are small JSON documents under ``data_dir()/attempts`` (0600 in a 0700 folder), hold no secret (no
``state``, code or token; messages are redacted) and are removed after :data:`TTL_SECONDS`.

Example:
    >>> import tempfile
    >>> relay = AttemptRelay(tempfile.mkdtemp())
    >>> relay.started("a1b2c3d4e5f6a7b8", pending_id=7, state_digest="0" * 64)
    >>> relay.finished(7, reason="region_mismatch", message="Registered in GB, the shop sells in US.")
    >>> relay.read("a1b2c3d4e5f6a7b8").reason
    'region_mismatch'
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TTL_SECONDS", "Attempt", "AttemptRelay", "is_attempt_id"]

#: How long an attempt's record is kept (a pending authorization lives at most 10 minutes).
TTL_SECONDS = 30 * 60

_ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_attempt_id(value: str | None) -> bool:
    """Whether ``value`` looks like an attempt id the wizard makes (URL-safe, 16–64 characters)."""
    return bool(value) and _ATTEMPT.match(value or "") is not None


@dataclass(frozen=True)
class Attempt:
    """What the server knows about one press of Authorize.

    Attributes:
        pending_id: The pending authorization the press minted (0: refused before minting).
        reason: ``"ok"``, a reason code, or ``""`` while under way.
        message: The seller-facing text the callback tab showed ("" when ok or under way).
        link_id: The link an ok Login Kit authorization produced.
    """

    pending_id: int
    reason: str = ""
    message: str = ""
    link_id: int | None = None


class AttemptRelay:
    """A folder of attempt records shared by the Voila server and its kernels."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @classmethod
    def default(cls) -> AttemptRelay:
        """The relay in linkkit's data directory (``$LINKKIT_HOME`` or the platform's)."""
        from linkkit.config import data_dir

        return cls(data_dir() / "attempts")

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def _write(self, name: str, data: dict[str, object]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.directory / f".{name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self._path(name))

    def _read(self, name: str) -> dict[str, object] | None:
        try:
            data = json.loads(self._path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def started(self, attempt: str | None, *, pending_id: int, state_digest: str) -> None:
        """Record that ``attempt`` minted ``pending_id`` for the state whose hash is ``state_digest``."""
        self.purge()
        self._write(f"s-{state_digest}", {"pending_id": int(pending_id)})
        if is_attempt_id(attempt):
            self._write(f"a-{attempt}", {"pending_id": int(pending_id)})

    def refused(self, attempt: str | None, *, reason: str, message: str) -> None:
        """Record that pressing Authorize was refused before any authorization was minted (a rule)."""
        if is_attempt_id(attempt):
            self.purge()
            self._write(f"a-{attempt}", {"pending_id": 0, "reason": reason, "message": message})

    def pending_for_state(self, state_digest: str) -> int | None:
        """The pending authorization minted for a state hash, if this server minted it."""
        data = self._read(f"s-{state_digest}") if re.match(r"^[0-9a-f]{64}$", state_digest) else None
        pending_id = data.get("pending_id") if data else None
        return pending_id if isinstance(pending_id, int) else None

    def finished(self, pending_id: int, *, reason: str, message: str = "", link_id: int | None = None) -> None:
        """Record how ``pending_id`` ended (the callback handler)."""
        self._write(f"p-{int(pending_id)}", {"reason": reason, "message": message, "link_id": link_id})

    def outcome(self, pending_id: int) -> Attempt | None:
        """How ``pending_id`` ended, if the callback handler recorded it."""
        data = self._read(f"p-{int(pending_id)}")
        if data is None:
            return None
        link_id = data.get("link_id")
        return Attempt(int(pending_id), str(data.get("reason") or ""), str(data.get("message") or ""),
                       link_id if isinstance(link_id, int) else None)

    def read(self, attempt: str) -> Attempt | None:
        """The attempt's pending authorization and, once known, its outcome; ``None`` before the press lands."""
        if not is_attempt_id(attempt):
            return None
        data = self._read(f"a-{attempt}")
        pending_id = data.get("pending_id") if data else None
        if data is None or not isinstance(pending_id, int):
            return None
        if not pending_id:  # refused before minting
            return Attempt(0, str(data.get("reason") or ""), str(data.get("message") or ""))
        return self.outcome(pending_id) or Attempt(pending_id)

    def purge(self, now: float | None = None) -> None:
        """Remove records older than :data:`TTL_SECONDS`."""
        now = time.time() if now is None else now
        try:
            entries = list(self.directory.iterdir())
        except OSError:
            return
        for path in entries:
            try:
                if now - path.stat().st_mtime > TTL_SECONDS:
                    path.unlink()
            except OSError:
                continue
