"""Repair in the linked-accounts panel: re-authorize a link in place, keeping its record and history.

With linkkit's server routes (``LINKKIT_WEB_BASE``), Repair's link is ``/linkkit/authorize`` — minted when the
seller presses it and bound to that browser by its cookie, exactly like the wizard's Authorize — and the panel
follows the press through the attempt relay. Without them the kernel mints the authorization up front.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import traitlets

from linkkit import troubleshoot
from linkkit.linking.types import AuthorizationStart
from linkkit.models import Link
from linkkit.ui.errors import Reporter, guarded, on_error
from linkkit.ui.tasks import pending_outcome
from linkkit.ui.wizard_state import new_attempt

if TYPE_CHECKING:
    from collections.abc import Callable

    from linkkit.linking import LinkService
    from linkkit.web.relay import AttemptRelay

__all__ = ["RepairFlow"]


class RepairFlow(traitlets.HasTraits):
    """The panel's Repair state and actions (a mixin of :class:`linkkit.ui.accounts.AccountsPanel`).

    The panel provides ``service``, ``links``, ``web_base``, ``poll_interval``, ``reporter``, ``message``,
    ``run``, ``refresh`` and the ``_stop`` event of its one background watcher.
    """

    repair_link_id = traitlets.Int(0)
    repair_auth = traitlets.Instance(AuthorizationStart, allow_none=True)  # kernel-minted (no server routes)
    repair_href = traitlets.Unicode("")  # where Repair's "Authorize again" link points now

    service: LinkService
    links: list[Link]
    web_base: str | None
    poll_interval: float
    reporter: Reporter
    message: str
    _relay: AttemptRelay | None
    _repair_attempt: str
    _stop: threading.Event

    if TYPE_CHECKING:  # the panel's own methods
        def run(self, label: str, work: Callable[[], None], *, background: bool = True) -> None: ...

        def refresh(self) -> None: ...

    @on_error("Preparing the re-authorization")
    def repair(self, link_id: int) -> None:
        """Preparing the re-authorization."""
        link = next((item for item in self.links if item.id == link_id), None)
        if link is None:
            link = self.service.link(link_id)

        if self.web_base is not None:  # the server mints when the seller presses the link
            self._stop.set()
            self.repair_auth = None
            self.repair_link_id = link.id
            self.repair_href = self._repair_route(link)
            return

        def work() -> None:
            start = self.service.begin_authorization(link.shop_id, link.role, link_id=link.id)
            self.repair_auth = start
            self.repair_href = start.url
            self.repair_link_id = link.id
            self._watch_repair(link.id, pending_id=start.pending_id)

        self.run("Preparing the re-authorization…", work)

    def _repair_route(self, link: Link) -> str:
        from urllib.parse import urlencode

        self._repair_attempt = new_attempt()
        params = {"shop_id": link.shop_id, "role": link.role.value, "link_id": str(link.id),
                  "attempt": self._repair_attempt}
        return f"{(self.web_base or '/').rstrip('/')}/linkkit/authorize?{urlencode(params)}"

    def repair_pressed(self) -> None:
        """The seller pressed Repair's Authorize link: watch that press; a next press gets a new attempt."""
        if self.web_base is None or not self.repair_link_id:
            return
        attempt = self._repair_attempt
        link = next((item for item in self.links if item.id == self.repair_link_id), None) or self.service.link(
            self.repair_link_id)
        self.repair_href = self._repair_route(link)
        self._watch_repair(link.id, attempt=attempt)

    def cancel_repair(self) -> None:
        self._stop.set()
        self.repair_auth = None
        self.repair_href = ""
        self.repair_link_id = 0

    @property
    def relay(self) -> AttemptRelay:
        if self._relay is None:
            from linkkit.web.relay import AttemptRelay

            self._relay = AttemptRelay.default()
        return self._relay

    def _watch_repair(self, link_id: int, *, pending_id: int = 0, attempt: str = "") -> None:
        """Follow a repair's authorization: a kernel-minted ``pending_id``, or the server's press ``attempt``."""
        self._stop.set()
        stop = threading.Event()
        self._stop = stop

        def refused(reason: str, message: str = "") -> bool:
            from linkkit.errors import LinkkitError

            self.repair_auth = None
            self.repair_href = ""
            self.repair_link_id = 0
            entry = troubleshoot.entry(reason)
            self.reporter.report(LinkkitError(message or entry.meaning, reason=entry.code), context="Repair")
            return True

        def tick() -> bool:
            pending = pending_id
            if attempt:
                record = self.relay.read(attempt)
                if record is None:  # the press has not reached the server (yet)
                    return False
                if not record.pending_id:  # refused before anything was minted
                    return refused(record.reason, record.message)
                pending = record.pending_id
            outcome = pending_outcome(self.service.pending(pending), now=self.service.now())
            if outcome is None:
                return False
            if not outcome.ok:
                said = self.relay.outcome(pending) if attempt else None
                return refused(outcome.reason, said.message if said is not None else "")
            self.repair_auth = None
            self.repair_href = ""
            self.repair_link_id = 0
            link = self.service.verify(link_id)
            self.refresh()
            self.message = f"@{link.account.username} re-authorized: {link.status.label}."
            return True

        def loop() -> None:
            while not stop.is_set():
                done = guarded(self.reporter, tick, "Repair")
                if done is None or done:
                    return
                stop.wait(self.poll_interval)

        threading.Thread(target=loop, name="linkkit-repair", daemon=True).start()

