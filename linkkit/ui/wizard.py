"""The linking wizard's state and logic, with no widgets (the view is :mod:`linkkit.ui.views`).

Five steps, each with an explicit state (AiiDAlab's wizard pattern): ``locked`` (not reached yet),
``current`` (its form is shown), ``done`` (shows a summary) or ``failed`` (its problem is shown). Every action
calls :class:`~linkkit.linking.LinkService` — never HTTP or SQL here — and slow ones run in a background
thread that reports back through traits while ``busy`` says what is happening.

Authorizations cross kernels (design §3.1): the tab that starts one polls ``LinkService.pending`` and moves on
by itself when the callback — handled by another kernel of the same notebook — consumed it.

Example:
    >>> from linkkit.ui.wizard import Step
    >>> [s.title for s in Step][:2]
    ['Connect Seller Center', 'Choose link type']
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import traitlets

from linkkit.errors import LinkError, LinkkitError
from linkkit.models import LinkStatus, Role
from linkkit.ui.errors import Reporter, guarded, on_error
from linkkit.ui.tasks import BackgroundTasks

__all__ = ["CALLBACK_PARAMS", "Step", "StepState", "Wizard", "is_callback"]

log = logging.getLogger(__name__)

#: Query parameters that mark a page load as TikTok's redirect back to us.
CALLBACK_PARAMS = ("code", "state", "error", "auth_code", "error_description")


class Step(enum.IntEnum):
    CONNECT = 0
    CHOOSE = 1
    AUTHORIZE = 2
    SELLER_CENTER = 3
    VERIFY = 4

    @property
    def title(self) -> str:
        return (
            "Connect Seller Center",
            "Choose link type",
            "Review permissions & authorize",
            "Finish in Seller Center",
            "Verify",
        )[self.value]


class StepState(enum.StrEnum):
    LOCKED = "locked"
    CURRENT = "current"
    DONE = "done"
    FAILED = "failed"


def is_callback(query: str | None) -> bool:
    """Whether a page's query string is an authorization callback."""
    if not query:
        return False
    params = parse_qs(query.lstrip("?"))
    return "state" in params or "error" in params or "code" in params or "auth_code" in params


def _now() -> datetime:
    return datetime.now(UTC)


class Wizard(BackgroundTasks, traitlets.HasTraits):
    """State and actions of the linking wizard.

    Args:
        service: The :class:`~linkkit.linking.LinkService` every action goes through.
        poll_interval: Seconds between checks of a pending authorization or a link's status.
    """

    step = traitlets.UseEnum(Step, default_value=Step.CONNECT)
    states = traitlets.List(traitlets.Unicode(), default_value=["current"] + ["locked"] * 4)
    busy = traitlets.Unicode("")  # what is running now; "" when idle
    notice = traitlets.Unicode("")  # a neutral message for the current step (plain text)

    # step 1
    shops: traitlets.List[Any] = traitlets.List()
    shop = traitlets.Any(None, allow_none=True)
    shop_auth = traitlets.Any(None, allow_none=True)  # AuthorizationStart for the seller authorization
    # step 2
    overview = traitlets.Any(None, allow_none=True)
    role = traitlets.Unicode("")  # "official" | "marketing" | ""
    replace = traitlets.Bool(False)
    # step 3
    auth = traitlets.Any(None, allow_none=True)  # AuthorizationStart for Login Kit
    expected_username = traitlets.Unicode("")
    repair_link_id = traitlets.Int(0)
    waiting_since = traitlets.Float(0.0)  # time.monotonic() when the person went to TikTok; 0 = not waiting
    elapsed = traitlets.Int(0)
    timed_out = traitlets.Bool(False)
    # steps 4-5
    link = traitlets.Any(None, allow_none=True)
    seller_center_steps = traitlets.List(traitlets.Unicode())
    seller_center_url = traitlets.Unicode("")
    invitation = traitlets.Unicode("")  # "" | "sent" | "accepted"
    verified = traitlets.Any(None, allow_none=True)  # the Link returned by verify()

    def __init__(self, service: Any, *, poll_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.poll_interval = poll_interval
        self.reporter = Reporter()
        self._lock = threading.RLock()
        self._task: threading.Thread | None = None
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._generation = 0  # bumped by start_over; stale background results are dropped

    # ------------------------------------------------------------------ plumbing

    @property
    def settings(self) -> Any:
        return self.service.settings

    @property
    def is_demo(self) -> bool:
        """The service drives a demo world (the sandbox's emulated Seller Center, demo logins)."""
        return getattr(self.service, "sandbox", None) is not None

    def _service_now(self) -> datetime:
        now = getattr(self.service, "now", None)
        return now() if callable(now) else _now()

    def state_of(self, step: Step) -> StepState:
        return StepState(self.states[step])

    def _set_state(self, step: Step, state: StepState) -> None:
        states = list(self.states)
        states[step] = state.value
        self.states = states

    def go(self, step: Step) -> None:
        """Make ``step`` current; earlier steps count as done, later ones locked."""
        with self._lock:
            states = []
            for s in Step:
                if s < step:
                    states.append(StepState.DONE.value)
                elif s == step:
                    states.append(StepState.CURRENT.value)
                else:
                    states.append(StepState.LOCKED.value)
            self.notice = ""
            self.states = states
            self.step = step

    def run(self, label: str, work: Callable[[], None], *, background: bool = True) -> None:
        """Run ``work`` (already wrapped by ``on_error``) with ``busy`` set; in a thread unless told not to."""
        generation = self._generation

        def target() -> None:
            try:
                if generation == self._generation:
                    guarded(self.reporter, work, label.rstrip("…"))
            finally:
                if generation == self._generation:
                    self.busy = ""

        self.reporter.clear()
        self.launch(label, target, background=background)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Block until ``predicate()`` is true (tests)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(0.02)

    def _stop_watching(self) -> None:
        self._watch_stop.set()
        self._watch_stop = threading.Event()
        self._watcher = None

    def _watch(self, name: str, tick: Callable[[], bool]) -> None:
        """Call ``tick()`` every ``poll_interval`` seconds in a thread until it returns True or is stopped."""
        self._stop_watching()
        stop = self._watch_stop
        generation = self._generation

        def loop() -> None:
            while not stop.is_set() and generation == self._generation:
                try:
                    if tick():
                        return
                except LinkkitError as exc:
                    self.reporter.report(exc, context=name)
                    return
                except Exception as exc:
                    self.reporter.report(exc, context=name)
                    return
                stop.wait(self.poll_interval)

        thread = threading.Thread(target=loop, name=f"linkkit-watch-{name}", daemon=True)
        self._watcher = thread
        thread.start()

    def close(self) -> None:
        """Stop background polling."""
        self._generation += 1
        self._stop_watching()

    # ------------------------------------------------------------------ start, callback

    @on_error
    def prepare(self) -> None:
        """Reading the connected shops."""
        # Safe before anyone opens the page (Voila's preheated kernels run this ahead of the request).
        self.shops = list(self.service.connected_shops())
        self.shop_auth = self.service.begin_shop_authorization()

    @on_error
    def start(self, query: str | None = None) -> None:
        """Opening the wizard."""
        # Finish a callback if this page load is one; else refresh the shops and wait for a shop authorization.
        if is_callback(query):
            self.handle_callback(query or "")
            return
        self.shops = list(self.service.connected_shops())
        params = {k: v[-1] for k, v in parse_qs((query or "").lstrip("?")).items()}
        start = self.shop_auth
        if start is None or (start.expires_at - self._service_now()).total_seconds() < 120:
            self.mint_shop_authorization()
        else:
            self._watch("shop authorization", lambda: self._tick_pending(start.pending_id, self._on_shop_authorized))
        shop_id = params.get("shop_id")
        if shop_id and any(s.id == shop_id for s in self.shops):
            self.select_shop(shop_id)
            self.wait(30)
            if params.get("role") in ("official", "marketing") and self.step == Step.CHOOSE:
                self.notice = (
                    "Replacing the Official account: read what it means below, tick the box and continue."
                    if params["role"] == "official" and self.overview is not None and self.overview.official
                    else f"Continue with a {params['role'].capitalize()} account below."
                )

    @on_error
    def handle_callback(self, query: str) -> None:
        """Finishing the authorization TikTok sent you back from."""
        callback_url = f"{self.settings.redirect_uri}?{query.lstrip('?')}"

        def work() -> None:
            """Finishing the authorization."""
            result = self.service.complete_authorization(callback_url)
            self._after_completion(result)

        self.run("Finishing the authorization with TikTok…", work)

    def _after_completion(self, result: Any) -> None:
        provider = getattr(result, "provider", "")
        provider = getattr(provider, "value", provider)
        if provider == "shop":
            self.shops = list(self.service.connected_shops()) or list(result.shops or [])
            self.go(Step.CONNECT)
            names = ", ".join(s.name for s in (result.shops or [])) or "your shop"
            self.notice = f"Seller Center authorized linkkit on {names}. Pick the shop to continue."
            return
        link = result.link
        self._load_link_context(link)
        self.link = link
        self._enter_seller_center()
        self.notice = (
            f"TikTok authorized @{link.account.username or link.account.display_name}. "
            "Finish the link in Seller Center below."
        )

    def _load_link_context(self, link: Any) -> None:
        shops = list(self.service.connected_shops())
        self.shops = shops
        self.shop = next((s for s in shops if s.id == link.shop_id), self.shop)
        self.role = link.role.value
        if self.shop is not None:
            self.overview = self.service.overview(self.shop.id)

    # ------------------------------------------------------------------ step 1: connect Seller Center

    @on_error
    def mint_shop_authorization(self) -> None:
        """Preparing the Seller Center authorization."""
        self.shop_auth = self.service.begin_shop_authorization()
        self.timed_out = False
        pending_id = self.shop_auth.pending_id
        self._watch("shop authorization", lambda: self._tick_pending(pending_id, self._on_shop_authorized))

    @on_error
    def sync_shops(self) -> None:
        """Refreshing the shop list."""

        def work() -> None:
            """Refreshing the shop list."""
            self.shops = list(self.service.sync_shops())

        self.run("Reading your authorized shops from TikTok Shop…", work)

    def _on_shop_authorized(self, pending: Any) -> None:
        self.shops = list(self.service.connected_shops())
        if self.step == Step.CONNECT:
            self.notice = "Seller Center authorization finished in the other tab. Pick the shop to continue."

    @on_error
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

    def violations_for(self, role: str) -> list[Any]:
        """Rules that would refuse a new link of ``role`` before consent (replacing the Official is allowed)."""
        if self.overview is None:
            return []
        replacing = role == Role.OFFICIAL.value and self.overview.official is not None
        return list(self.overview.can_add(Role(role), replace=replacing))

    @on_error
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

    @on_error
    def mint_authorization(self) -> None:
        """Preparing the TikTok authorization."""
        if self.shop is None or not self.role:
            return

        def work() -> None:
            """Preparing the TikTok authorization."""
            start = self.service.begin_authorization(
                self.shop.id,
                Role(self.role),
                replace=self.replace,
                expected_username=self.expected_username.strip().lstrip("@") or None,
                link_id=self.repair_link_id or None,
            )
            self.auth = start
            self.waiting_since = 0.0
            self.elapsed = 0
            self.timed_out = False
            self._watch("authorization", lambda: self._tick_pending(start.pending_id, self._on_authorized))

        self.auth = None
        self.run("Preparing the TikTok authorization…", work)

    def went_to_tiktok(self) -> None:
        """The person opened TikTok's consent page: show the waiting state."""
        self.waiting_since = time.monotonic()
        self.elapsed = 0

    def _tick_pending(self, pending_id: int, on_ok: Callable[[Any], None]) -> bool:
        pending = self.service.pending(pending_id)
        if self.waiting_since:
            self.elapsed = int(time.monotonic() - self.waiting_since)
        if pending.used_at is not None:
            if pending.outcome is None:  # the other tab is still exchanging the code
                if pending.expires_at + timedelta(minutes=2) > self._service_now():
                    return False
                pending_outcome = "provider_unavailable"
            else:
                pending_outcome = pending.outcome
            self.waiting_since = 0.0
            if pending_outcome == "ok":
                on_ok(pending)
            else:
                self._report_outcome(pending_outcome)
            return True
        if pending.expires_at <= self._service_now():
            self.waiting_since = 0.0
            self.timed_out = True
            self._report_outcome("authorization_expired")
            return True
        return False

    def _report_outcome(self, code: str) -> None:
        from linkkit import troubleshoot

        entry = troubleshoot.entry(code)
        try:
            exc = LinkkitError(entry.meaning or entry.title, reason=code)
        except ValueError:
            exc = LinkkitError(entry.meaning or entry.title, reason="provider_error")
        retry = self.start_over_authorization if self.step == Step.AUTHORIZE else None
        self.reporter.report(exc, context="Authorization in the other tab", retry=retry)

    def _on_authorized(self, pending: Any) -> None:
        link_id = pending.result_link_id
        link = self._find_link(link_id) if link_id else None
        if link is None:
            raise LinkError("The authorization finished but its link could not be found.", reason="link_not_found")
        self.link = link
        self._enter_seller_center()
        self.notice = (
            f"TikTok authorized @{link.account.username or link.account.display_name} in the other tab."
        )

    def _find_link(self, link_id: int) -> Any:
        return self.service.link(link_id)

    @on_error
    def start_over_authorization(self) -> None:
        """Starting a new authorization."""
        self.reporter.clear()
        self.mint_authorization()

    @on_error
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

    def _enter_seller_center(self) -> None:
        self._stop_watching()
        link = self.link
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

    @on_error
    def send_invitation(self) -> None:
        """Sending the invitation from the emulated Seller Center."""

        def work() -> None:
            """Sending the invitation."""
            self.service.sandbox.send_invitation(self.link.id)
            self.invitation = "sent"

        self.run("Sending the invitation from Seller Center…", work)

    @on_error
    def accept_invitation(self) -> None:
        """Accepting the invitation as the TikTok user."""

        def work() -> None:
            """Accepting the invitation."""
            self.service.sandbox.accept_invitation(self.link.id)
            self.invitation = "accepted"

        self.run("Accepting the invitation in the TikTok app…", work)

    @on_error
    def confirm_and_verify(self) -> None:
        """Recording that Seller Center shows the link."""

        def work() -> None:
            """Checking the link."""
            self.service.confirm_binding(self.link.id)
            self._verify()

        self.run("Checking the link…", work)

    # ------------------------------------------------------------------ step 5: verify

    @on_error
    def verify(self) -> None:
        """Checking the link."""

        def work() -> None:
            """Checking the link."""
            self._verify()

        self.run("Checking the link…", work)

    def _verify(self) -> None:
        self._stop_watching()
        link = self.service.verify(self.link.id)
        self.link = link
        self.verified = link
        self.go(Step.VERIFY)
        if link.status is not LinkStatus.CONNECTED:
            self._set_state(Step.VERIFY, StepState.FAILED)

    @on_error
    def repair(self) -> None:
        """Authorizing the same account again."""
        self.repair_link_id = self.link.id
        self.role = self.link.role.value
        self.replace = False
        self.go(Step.AUTHORIZE)
        self.mint_authorization()

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

    @on_error
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
                self.repair_link_id = self.link.id
            self.mint_authorization()

    @on_error
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

    @on_error
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
