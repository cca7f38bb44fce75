"""The linking wizard's state: its traits, one model per step, batching, background work and polling.

:class:`WizardState` is what a view reads; :class:`~linkkit.ui.wizard.Wizard` adds the actions a click starts.
Changes made inside :meth:`WizardState.batch` (every action is :func:`batched`) render once, when the outermost
batch of that thread ends.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import urlencode

import traitlets

from linkkit.errors import LinkError
from linkkit.linking.types import AuthorizationStart, ShopOverview
from linkkit.models import Link, Shop
from linkkit.ui.errors import Reporter, guarded
from linkkit.ui.steps import Step, StepState, WizardStep, new_steps
from linkkit.ui.tasks import BackgroundTasks, Watcher
from linkkit.web.relay import AttemptRelay

if TYPE_CHECKING:
    from linkkit.config import Settings
    from linkkit.linking import LinkService

__all__ = ["ATTEMPT_WATCH_SECONDS", "MESSAGE_GRACE_SECONDS", "WEB_BASE_ENV", "WizardState", "batched", "new_attempt",
           "resolve_web_base"]

P = ParamSpec("P")
R = TypeVar("R")

#: Set by :mod:`linkkit.web` for the kernels of a server that has the ``/linkkit/`` routes.
WEB_BASE_ENV = "LINKKIT_WEB_BASE"
#: How long the original tab waits for the callback tab's specific message once the registry has the outcome.
MESSAGE_GRACE_SECONDS = 3.0
#: How long a press of Authorize is watched for before the tab stops waiting (TikTok tab never used).
ATTEMPT_WATCH_SECONDS = 20 * 60


def resolve_web_base(web_base: str | None) -> str | None:
    """Where linkkit's server routes are (``LINKKIT_WEB_BASE`` when ``None``; ``""`` means none: the kernel mints)."""
    return os.environ.get(WEB_BASE_ENV) if web_base is None else (web_base or None)


def new_attempt() -> str:
    """A one-off id for one press of Authorize (not a secret: it only names the press)."""
    return secrets.token_urlsafe(12)


def batched(method: Callable[P, R]) -> Callable[P, R]:
    """Run a wizard method inside ``self.batch()``: its changes render once, when it returns."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        wizard = args[0]
        assert isinstance(wizard, WizardState)
        with wizard.batch():
            return method(*args, **kwargs)

    return wrapper


def _now() -> datetime:
    return datetime.now(UTC)


class WizardState(BackgroundTasks, traitlets.HasTraits):
    """The linking wizard's state and plumbing (its actions are :class:`~linkkit.ui.wizard.Wizard`'s).

    Args:
        service: The :class:`~linkkit.linking.LinkService` every action goes through.
        poll_interval: Seconds between checks of a pending authorization or a link's status.
    """

    step = traitlets.UseEnum(Step, default_value=Step.CONNECT)
    settled = traitlets.Int(0)  # bumped when the outermost batch of changes ends (see batch())
    busy = traitlets.Unicode("")  # what is running now; "" when idle
    notice = traitlets.Unicode("")  # a neutral message for the current step (plain text)

    # step 1
    shops: traitlets.List[Shop] = traitlets.List(traitlets.Instance(Shop))
    shop = traitlets.Instance(Shop, allow_none=True)
    shop_auth = traitlets.Instance(AuthorizationStart, allow_none=True)  # the seller authorization
    # step 2
    overview = traitlets.Instance(ShopOverview, allow_none=True)
    role = traitlets.Unicode("")  # "official" | "marketing" | ""
    replace = traitlets.Bool(False)
    # step 3
    auth = traitlets.Instance(AuthorizationStart, allow_none=True)  # the Login Kit authorization
    expected_username = traitlets.Unicode("")
    repair_link_id = traitlets.Int(0)
    waiting_since = traitlets.Float(0.0)  # time.monotonic() when the person went to TikTok; 0 = not waiting
    elapsed = traitlets.Int(0)
    timed_out = traitlets.Bool(False)
    # steps 4-5
    link = traitlets.Instance(Link, allow_none=True)
    seller_center_steps = traitlets.List(traitlets.Unicode())
    seller_center_url = traitlets.Unicode("")
    invitation = traitlets.Unicode("")  # "" | "sent" | "accepted"
    verified = traitlets.Instance(Link, allow_none=True)  # the Link returned by verify()

    attempt = traitlets.Unicode("")  # the id the Authorize link carries now (server routes only)

    def __init__(self, service: LinkService, *, poll_interval: float = 1.0, web_base: str | None = None,
                 relay: AttemptRelay | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.poll_interval = poll_interval
        self.web_base = resolve_web_base(web_base)
        self._relay = relay
        self.reporter = Reporter()
        self._lock = threading.RLock()
        self._task: threading.Thread | None = None
        self._watcher = Watcher(self.reporter, poll_interval)
        self._generation = 0  # bumped by start_over; stale background results are dropped
        self._batches = threading.local()  # per thread: how deep in batch() it is
        #: One model per step; a view observes ``names=["state"]`` on each.
        self.steps: dict[Step, WizardStep] = new_steps()
        self.attempt = new_attempt()

    # ------------------------------------------------------------------ plumbing

    @property
    def settings(self) -> Settings:
        return self.service.settings

    @property
    def relay(self) -> AttemptRelay:
        if self._relay is None:
            self._relay = AttemptRelay.default()
        return self._relay

    @property
    def server_routes(self) -> bool:
        """Whether the server mints authorizations (``/linkkit/authorize``) for this page."""
        return self.web_base is not None

    @property
    def current_link(self) -> Link:
        """The link this wizard is finishing (steps 4-5 and Repair); refused when there is none."""
        if self.link is None:
            raise LinkError("There is no link in progress here: start over to link an account.",
                            reason="link_not_found")
        return self.link

    def authorize_href(self, provider: str) -> str:
        """Where the Authorize link of step 1 (``"shop"``) or step 3 (``"login"``) points now ("" = not ready)."""
        if self.server_routes:
            params: dict[str, str] = {}
            if provider == "shop":
                params["provider"] = "shop"
            else:
                if self.shop is None or not self.role:
                    return ""
                params.update(shop_id=self.shop.id, role=self.role)
                if self.replace:
                    params["replace"] = "1"
                if self.repair_link_id:
                    params["link_id"] = str(self.repair_link_id)
                expected = self.expected_username.strip().lstrip("@")
                if expected:
                    params["expected"] = expected
            params["attempt"] = self.attempt
            return f"{(self.web_base or '/').rstrip('/')}/linkkit/authorize?{urlencode(params)}"
        start = self.shop_auth if provider == "shop" else self.auth
        return start.url if start is not None else ""

    @property
    def is_demo(self) -> bool:
        """The service drives a demo world (the sandbox's emulated Seller Center, demo logins)."""
        return getattr(self.service, "sandbox", None) is not None

    def _service_now(self) -> datetime:
        now = getattr(self.service, "now", None)
        return now() if callable(now) else _now()

    @property
    def states(self) -> list[str]:
        """Every step's state, in order (``["current", "locked", …]``)."""
        return [self.steps[s].state.value for s in Step]

    def state_of(self, step: Step) -> StepState:
        return self.steps[step].state

    def _set_state(self, step: Step, state: StepState) -> None:
        self.steps[step].state = state

    @property
    def batching(self) -> bool:
        """Whether this thread is inside :meth:`batch` (a view renders its changes once the batch ends)."""
        return int(getattr(self._batches, "depth", 0)) > 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group this thread's changes: views render them once, when the outermost batch ends (``settled``).

        Per thread, so a background poll in flight never holds back what a click on the kernel's main thread
        changed.
        """
        self._batches.depth = int(getattr(self._batches, "depth", 0)) + 1
        try:
            yield
        finally:
            self._batches.depth -= 1
            if self._batches.depth == 0:
                self.settled += 1

    def go(self, step: Step) -> None:
        """Make ``step`` current; earlier steps count as done, later ones locked."""
        with self._lock, self.batch():
            for s in Step:
                self.steps[s].state = (StepState.DONE if s < step
                                       else StepState.CURRENT if s == step else StepState.LOCKED)
            self.notice = ""
            self.step = step

    def run(self, label: str, work: Callable[[], None], *, background: bool = True) -> None:
        """Run ``work`` (already wrapped by ``on_error``) with ``busy`` set; in a thread unless told not to."""
        generation = self._generation

        def target() -> None:
            try:
                if generation == self._generation:
                    with self.batch():
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
        self._watcher.stop()

    def _watch(self, name: str, tick: Callable[[], bool]) -> None:
        """Call ``tick()`` every ``poll_interval`` seconds in a thread until it returns True or is stopped."""
        generation = self._generation
        self._watcher.interval = self.poll_interval

        def batched_tick() -> bool:
            with self.batch():
                return tick()

        self._watcher.start(name, lambda: generation != self._generation or batched_tick())

    def close(self) -> None:
        """Stop background polling."""
        self._generation += 1
        self._stop_watching()
