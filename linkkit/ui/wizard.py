"""The linking wizard's state and logic, with no widgets (the view is :mod:`linkkit.ui.views`).

Five steps, each with an explicit state (AiiDAlab's wizard pattern): ``locked`` (not reached yet),
``current`` (its form is shown), ``done`` (shows a summary) or ``failed`` (its problem is shown). Every action
calls :class:`~linkkit.linking.LinkService` — never HTTP or SQL here — and slow ones run in a background
thread that reports back through traits while ``busy`` says what is happening.

Authorizations are minted when the seller presses Authorize, never when Voila preheats a kernel (design §3.1).
Served by :mod:`linkkit.web` (``LINKKIT_WEB_BASE`` is set), the Authorize control is a link to the server's
``/linkkit/authorize`` carrying a one-off *attempt* id: the server mints, binds the state to the browser and
redirects to TikTok; the callback is finished by the server too. This tab learns from the relay which pending
authorization its press minted, polls the registry until it is over (:func:`linkkit.ui.tasks.pending_outcome`)
and shows the same specific outcome the callback tab showed. Every press mints anew, so pressing Authorize again
after a refusal, a denial, an expiry or a long idle always works. Without the server routes (JupyterLab, plain
Voila) the kernel mints when the step opens and again after every outcome.

On opening, the wizard restores itself from the registry: a link that is authorized but not yet bound in Seller
Center opens at step 4.

Example:
    >>> from linkkit.ui.wizard import Step
    >>> [s.title for s in Step][:2]
    ['Connect Seller Center', 'Choose link type']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from linkkit.errors import LinkError, LinkkitError
from linkkit.models import LinkStatus, Role
from linkkit.ui.errors import guarded, on_error
from linkkit.ui.steps import CALLBACK_PARAMS, Step, StepState, WizardStep, is_callback
from linkkit.ui.tasks import pending_outcome
from linkkit.ui.wizard_state import (
    ATTEMPT_WATCH_SECONDS,
    MESSAGE_GRACE_SECONDS,
    WEB_BASE_ENV,
    WizardState,
    batched,
    new_attempt,
)

if TYPE_CHECKING:
    from linkkit.linking.sandbox_actions import SandboxActions
    from linkkit.linking.types import AuthorizationResult
    from linkkit.models import Link, PendingAuthorization
    from linkkit.rules import Violation

__all__ = [
    "ATTEMPT_WATCH_SECONDS", "CALLBACK_PARAMS", "MESSAGE_GRACE_SECONDS", "WEB_BASE_ENV", "Step", "StepState", "Wizard",
    "WizardStep", "is_callback",
]

log = logging.getLogger(__name__)


class Wizard(WizardState):
    """State and actions of the linking wizard.

    Args:
        service: The :class:`~linkkit.linking.LinkService` every action goes through.
        poll_interval: Seconds between checks of a pending authorization or a link's status.
    """

    # ------------------------------------------------------------------ start, callback

    @on_error("Reading the connected shops")
    def prepare(self) -> None:
        """Reading the connected shops."""
        # Safe before anyone opens the page (Voila's preheated kernels run this ahead of the request): it mints
        # nothing, so an idle page holds no authorization that could expire.
        self.shops = list(self.service.connected_shops())

    @on_error("Opening the wizard")
    @batched
    def start(self, query: str | None = None) -> None:
        """Opening the wizard."""
        # Finish a callback if this page load is one; else refresh the shops and wait for a shop authorization.
        if is_callback(query):
            self.handle_callback(query or "")
            return
        self.shops = list(self.service.connected_shops())
        params = {k: v[-1] for k, v in parse_qs((query or "").lstrip("?")).items()}
        if params.get("repair", "").isdigit() and self.open_repair(int(params["repair"])):
            return  # an alert's Repair (linkkit.ui.alerts): update mode for that link
        shop_id = params.get("shop_id")
        if shop_id and not any(s.id == shop_id for s in self.shops):
            try:  # another owner's shop: shown as a refusal (not_your_shop), nothing of it opens
                self.service.shop(shop_id)
            except LinkError:
                pass  # not connected (yet): the wizard starts at step 1 as before
        if "role" not in params and self.resume(shop_id):
            return
        if not self.server_routes:
            self.mint_shop_authorization()
        if shop_id and any(s.id == shop_id for s in self.shops):
            self.select_shop(shop_id)
            self.wait(30)
            if params.get("role") in ("official", "marketing") and self.step == Step.CHOOSE:
                self.notice = (
                    "Replacing the Official account: read what it means below, tick the box and continue."
                    if params["role"] == "official" and self.overview is not None and self.overview.official
                    else f"Continue with a {params['role'].capitalize()} account below."
                )

    @on_error("Finishing the authorization TikTok sent you back from")
    def handle_callback(self, query: str) -> None:
        """Finishing the authorization TikTok sent you back from."""
        callback_url = f"{self.settings.redirect_uri}?{query.lstrip('?')}"

        def work() -> None:
            """Finishing the authorization."""
            result = self.service.complete_authorization(callback_url)
            self._after_completion(result)

        self.run("Finishing the authorization with TikTok…", work)

    @batched
    def _after_completion(self, result: AuthorizationResult) -> None:
        provider = getattr(result, "provider", "")
        provider = getattr(provider, "value", provider)
        if provider == "shop":
            self.shops = list(self.service.connected_shops()) or list(result.shops or [])
            self.go(Step.CONNECT)
            names = ", ".join(s.name for s in (result.shops or [])) or "your shop"
            self.notice = f"Seller Center authorized linkkit on {names}. Pick the shop to continue."
            return
        link = result.link
        if link is None:
            raise LinkError("The authorization finished but its link could not be found.", reason="link_not_found")
        self._load_link_context(link)
        self.link = link
        self._enter_seller_center()
        self.notice = (
            f"TikTok authorized @{link.account.username or link.account.display_name}. "
            "Finish the link in Seller Center below."
        )

    @batched
    def resume(self, shop_id: str | None = None) -> bool:
        """Open at the step the registry says a link is at: an authorized link not yet bound opens at step 4.

        Returns whether a link was resumed (the newest such link, in ``shop_id`` when given).
        """
        shop_ids = {s.id for s in self.shops}
        candidates = [
            link for link in self.service.links(shop_id if shop_id in shop_ids else None)
            if link.shop_id in shop_ids and link.status is LinkStatus.AWAITING_SELLER_CENTER
        ]
        if not candidates:
            return False
        link = max(candidates, key=lambda item: (item.created_at, item.id))
        self._load_link_context(link)
        self.link = link
        self._enter_seller_center()
        who = f"@{link.account.username}" if link.account.username else link.account.display_name
        self.notice = (f"Welcome back: {who} is authorized as the {link.role.label} account of "
                       f"{self.shop.name if self.shop else 'your shop'}. Finish the link in Seller Center below.")
        return True

    def _load_link_context(self, link: Link) -> None:
        shops = list(self.service.connected_shops())
        self.shops = shops
        self.shop = next((s for s in shops if s.id == link.shop_id), self.shop)
        self.role = link.role.value
        if self.shop is not None:
            self.overview = self.service.overview(self.shop.id)

    # ------------------------------------------------------------------ step 1: connect Seller Center

    @on_error("Preparing the Seller Center authorization")
    def mint_shop_authorization(self) -> None:
        """Preparing the Seller Center authorization."""
        if self.server_routes:  # the server mints when Authorize is pressed
            return
        self.timed_out = False
        self._mint_shop()

    def _mint_shop(self) -> None:
        """Kernel-side minting (no server routes): mint, then watch for another tab finishing it."""
        start = self.service.begin_shop_authorization()
        self.shop_auth = start
        self._watch("shop authorization", lambda: self._tick_pending(start.pending_id, self._on_shop_authorized))

    @on_error("Refreshing the shop list")
    def sync_shops(self) -> None:
        """Refreshing the shop list."""

        def work() -> None:
            """Refreshing the shop list."""
            self.shops = list(self.service.sync_shops())

        self.run("Reading your authorized shops from TikTok Shop…", work)

    def _on_shop_authorized(self, pending: PendingAuthorization) -> None:
        self.shops = list(self.service.connected_shops())
        if self.step == Step.CONNECT:
            self.notice = "Seller Center authorization finished in the other tab. Pick the shop to continue."

    @on_error("Opening the shop")
    def select_shop(self, shop_id: str) -> None:
        """Opening the shop."""

        def work() -> None:
            """Opening the shop."""
            shop = next((s for s in self.shops if s.id == shop_id), None)
            if shop is None:
                raise LinkError("That shop is not connected any more. Connect it again.",
                                reason="shop_not_connected")
            self.overview = self.service.overview(shop_id)
            self.shop = shop
            self.role = ""
            self.replace = False
            self._stop_watching()
            self.go(Step.CHOOSE)

        self.run("Reading what this shop has linked…", work)

    # ------------------------------------------------------------------ step 2: choose link type

    def violations_for(self, role: str) -> list[Violation]:
        """Rules that would refuse a new link of ``role`` before consent (replacing the Official is allowed)."""
        if self.overview is None:
            return []
        replacing = role == Role.OFFICIAL.value and self.overview.official is not None
        return list(self.overview.can_add(Role(role), replace=replacing))

    @on_error("Choosing the link type")
    @batched
    def choose(self, role: str, *, replace_confirmed: bool = False) -> None:
        """Choosing the link type."""
        role_enum = Role(role)
        replacing = role_enum is Role.OFFICIAL and self.overview is not None and self.overview.official is not None
        if replacing and not replace_confirmed:
            from linkkit.errors import RuleViolation

            raise RuleViolation(
                "This shop already has an Official account. Tick the box to confirm you want to replace it.",
                reason="official_limit_reached",
            )
        violations = self.violations_for(role)
        if violations:
            from linkkit.errors import RuleViolation

            first = violations[0]
            raise RuleViolation(first.message, reason=first.reason, violations=violations)
        self.role = role
        self.replace = replacing
        self.repair_link_id = 0
        self.go(Step.AUTHORIZE)
        self.mint_authorization()

    # ------------------------------------------------------------------ step 3: permissions & authorize

    @on_error("Preparing the TikTok authorization")
    @batched
    def mint_authorization(self) -> None:
        """Preparing the TikTok authorization."""
        if self.shop is None or not self.role:
            return
        if self.server_routes:  # the server mints when Authorize is pressed; only the link changes
            self.auth = None
            self.timed_out = False
            self.attempt = new_attempt()
            return

        def work() -> None:
            self.waiting_since = 0.0
            self.elapsed = 0
            self.timed_out = False
            self._mint_login()

        self.auth = None
        self.run("Preparing the TikTok authorization…", work)

    def _mint_login(self) -> None:
        """Kernel-side minting (no server routes): mint, then watch for the callback in another tab."""
        if self.shop is None or not self.role:
            return
        start = self.service.begin_authorization(
            self.shop.id,
            Role(self.role),
            replace=self.replace,
            expected_username=self.expected_username.strip().lstrip("@") or None,
            link_id=self.repair_link_id or None,
        )
        self.auth = start
        self._watch("authorization", lambda: self._tick_pending(start.pending_id, self._on_authorized))

    @batched
    def went_to_tiktok(self, provider: str = "login") -> None:
        """The person pressed Authorize (step 1: ``"shop"``, step 3: ``"login"``): show the waiting state.

        With the server routes, the press minted a new authorization: watch it, and give the link a new attempt
        id so that pressing again mints another one.
        """
        self.reporter.clear()
        self.timed_out = False
        self.waiting_since = time.monotonic()
        self.elapsed = 0
        if not self.server_routes:
            return
        attempt = self.attempt
        self.attempt = new_attempt()
        on_ok = self._on_shop_authorized if provider == "shop" else self._on_authorized
        started = time.monotonic()

        def tick() -> bool:
            record = self.relay.read(attempt)
            if record is None:  # the press has not reached the server (yet)
                if time.monotonic() - started > ATTEMPT_WATCH_SECONDS:
                    self.waiting_since = 0.0
                    return True
                return False
            if not record.pending_id:  # refused before anything was minted (a rule)
                self.waiting_since = 0.0
                self._report_outcome(record.reason, record.message)
                return True
            return self._tick_pending(record.pending_id, on_ok)

        self._watch("authorization", tick)

    def _tick_pending(self, pending_id: int, on_ok: Callable[[PendingAuthorization], None]) -> bool:
        pending = self.service.pending(pending_id)
        if self.waiting_since:
            self.elapsed = int(time.monotonic() - self.waiting_since)
        outcome = pending_outcome(pending, now=self._service_now())
        if outcome is None:
            return False
        self.waiting_since = 0.0
        if outcome.ok:
            on_ok(pending)
            return True
        if outcome.reason == "authorization_expired":
            self.timed_out = True
        self._report_outcome(outcome.reason, self._specific_message(pending_id))
        if not self.server_routes:  # mint the next one now, so that pressing Authorize again works at once
            remint = self._mint_login if self.step == Step.AUTHORIZE else self._mint_shop
            guarded(self.reporter, remint, "Preparing the next authorization")
        return True

    def _specific_message(self, pending_id: int) -> str:
        """The text the callback tab showed for ``pending_id`` (the server records it just after the registry)."""
        deadline = time.monotonic() + (MESSAGE_GRACE_SECONDS if self.server_routes else 0.0)
        while True:
            record = self.relay.outcome(pending_id)
            if record is not None or time.monotonic() >= deadline:
                return record.message if record is not None else ""
            time.sleep(0.1)

    def _report_outcome(self, code: str, message: str = "") -> None:
        from linkkit import troubleshoot

        entry = troubleshoot.entry(code)
        text = message or entry.meaning or entry.title
        try:
            exc = LinkkitError(text, reason=code)
        except ValueError:
            exc = LinkkitError(text, reason="provider_error")
        retry = self.start_over_authorization if self.step == Step.AUTHORIZE else None
        self.reporter.report(exc, context="Authorization in the other tab", retry=retry)

    def _on_authorized(self, pending: PendingAuthorization) -> None:
        link_id = pending.result_link_id
        link = self._find_link(link_id) if link_id else None
        if link is None:
            raise LinkError("The authorization finished but its link could not be found.", reason="link_not_found")
        self.link = link
        self._enter_seller_center()
        self.notice = (
            f"TikTok authorized @{link.account.username or link.account.display_name} in the other tab."
        )

    def _find_link(self, link_id: int) -> Link:
        return self.service.link(link_id)

    @on_error("Starting a new authorization")
    def start_over_authorization(self) -> None:
        """Starting a new authorization."""
        self.reporter.clear()
        self.mint_authorization()

    @on_error("Reading the address you pasted")
    def paste_callback(self, url: str) -> None:
        """Reading the address you pasted."""
        url = url.strip()
        if "?" not in url:
            raise LinkError(
                "That does not look like the address TikTok sent you to: it has no '?code=…' part. Copy the "
                "whole address from the browser's address bar.",
                reason="state_mismatch",
            )
        self.handle_callback(url.split("?", 1)[1])

    # ------------------------------------------------------------------ step 4: Seller Center

    @batched
    def _enter_seller_center(self) -> None:
        self._stop_watching()
        link = self.current_link
        self.seller_center_steps = list(self.service.seller_center_steps(link.id))
        automated = getattr(getattr(self.service, "seller_center", None), "automated", False)
        self.seller_center_url = (self.service.seller_center_url(link.shop_id) or "") if not automated else ""
        self.invitation = ""
        self.verified = None
        self.go(Step.SELLER_CENTER)
        # another tab may finish this link; move on when it shows Connected
        link_id = link.id
        self._watch("link status", lambda: self._tick_link(link_id))

    def _tick_link(self, link_id: int) -> bool:
        link = self._find_link(link_id)
        if link is not None and link.status is LinkStatus.CONNECTED and self.step == Step.SELLER_CENTER:
            self.link = link
            self.verified = link
            self.go(Step.VERIFY)
            self.notice = "The link was verified in another tab."
            return True
        return self.step != Step.SELLER_CENTER

    def _sandbox(self) -> SandboxActions:
        actions = self.service.sandbox
        if actions is None:
            raise LinkError("Seller Center cannot be driven from here in live mode.", reason="link_not_found")
        return actions

    @on_error("Sending the invitation from the emulated Seller Center")
    def send_invitation(self) -> None:
        """Sending the invitation from the emulated Seller Center."""

        def work() -> None:
            """Sending the invitation."""
            self._sandbox().send_invitation(self.current_link.id)
            self.invitation = "sent"

        self.run("Sending the invitation from Seller Center…", work)

    @on_error("Accepting the invitation as the TikTok user")
    def accept_invitation(self) -> None:
        """Accepting the invitation as the TikTok user."""

        def work() -> None:
            """Accepting the invitation."""
            self._sandbox().accept_invitation(self.current_link.id)
            self.invitation = "accepted"

        self.run("Accepting the invitation in the TikTok app…", work)

    @on_error("Recording that Seller Center shows the link")
    def confirm_and_verify(self) -> None:
        """Recording that Seller Center shows the link."""

        def work() -> None:
            """Checking the link."""
            self.service.confirm_binding(self.current_link.id)
            self._verify()

        self.run("Checking the link…", work)

    # ------------------------------------------------------------------ step 5: verify

    @on_error("Checking the link")
    def verify(self) -> None:
        """Checking the link."""

        def work() -> None:
            """Checking the link."""
            self._verify()

        self.run("Checking the link…", work)

    @batched
    def _verify(self) -> None:
        self._stop_watching()
        link = self.service.verify(self.current_link.id)
        self.link = link
        self.verified = link
        self.go(Step.VERIFY)
        if link.status is not LinkStatus.CONNECTED and link.last_check_failed_at is None:  # no verdict: not failed
            self._set_state(Step.VERIFY, StepState.FAILED)

    @on_error("Authorizing the same account again")
    @batched
    def repair(self) -> None:
        """Authorizing the same account again."""
        self.repair_link_id = self.current_link.id
        self.role = self.current_link.role.value
        self.replace = False
        self.go(Step.AUTHORIZE)
        self.mint_authorization()

    @batched
    def open_repair(self, link_id: int) -> bool:
        """``?repair=<link_id>`` (an alert's Repair): reopen the wizard in update mode for that active link."""
        link = next((item for item in self.service.links() if item.id == link_id), None)
        if link is None or all(shop.id != link.shop_id for shop in self.shops):
            self.notice = "That link is no longer active here: pick a shop to link an account again."
            return False
        self._load_link_context(link)
        self.link = link
        self.notice = f"Repairing @{link.account.username}: authorize the same account again below."
        self.repair()
        return True

    # ------------------------------------------------------------------ navigation

    def can_go_back(self) -> bool:
        return self.step > Step.CONNECT and not self.busy

    def can_go_next(self) -> bool:
        """Next is possible when the following step was already reached (after going back)."""
        nxt = self.step + 1
        if nxt > Step.VERIFY or self.busy:
            return False
        return {
            Step.CHOOSE: self.shop is not None and self.overview is not None,
            Step.AUTHORIZE: bool(self.role),
            Step.SELLER_CENTER: self.link is not None,
            Step.VERIFY: self.verified is not None,
        }[Step(nxt)]

    @on_error("Going back")
    @batched
    def back(self) -> None:
        """Going back."""
        if not self.can_go_back():
            return
        self.reporter.clear()
        target = Step(self.step - 1)
        self._stop_watching()
        self.go(target)
        if target == Step.CONNECT:
            self.shops = list(self.service.connected_shops())
            self.mint_shop_authorization()
        elif target == Step.CHOOSE and self.shop is not None:
            self.overview = self.service.overview(self.shop.id)
        elif target == Step.AUTHORIZE:
            if self.link is not None:
                self.repair_link_id = self.current_link.id
            self.mint_authorization()

    @on_error("Going forward")
    @batched
    def next(self) -> None:
        """Going forward."""
        if not self.can_go_next():
            return
        target = Step(self.step + 1)
        if target == Step.AUTHORIZE:
            self.go(target)
            self.mint_authorization()
        elif target == Step.SELLER_CENTER:
            self._enter_seller_center()
        else:
            self.go(target)
            if target == Step.VERIFY and self.verified is not None:
                if self.verified.status is not LinkStatus.CONNECTED:
                    self._set_state(Step.VERIFY, StepState.FAILED)

    @on_error("Starting over")
    @batched
    def start_over(self, *, keep_shop: bool = False) -> None:
        """Starting over."""
        self._generation += 1
        self._stop_watching()
        self.reporter.clear()
        self.busy = ""
        shop = self.shop if keep_shop else None
        self.role = ""
        self.replace = False
        self.auth = None
        self.link = None
        self.verified = None
        self.invitation = ""
        self.repair_link_id = 0
        self.expected_username = ""
        self.waiting_since = 0.0
        self.timed_out = False
        self.seller_center_steps = []
        self.seller_center_url = ""
        if keep_shop and shop is not None:
            self.overview = self.service.overview(shop.id)
            self.go(Step.CHOOSE)
            return
        self.shop = None
        self.overview = None
        self.go(Step.CONNECT)
        self.shops = list(self.service.connected_shops())
        self.mint_shop_authorization()
