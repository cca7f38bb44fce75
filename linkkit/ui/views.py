"""The linking wizard as widgets: a header, a step indicator and one card per step.

The view only renders :class:`~linkkit.ui.wizard.Wizard` state and forwards clicks to it; it keeps its
children private and never calls ``display()``. It observes each step model's ``state`` (``names=["state"]``)
and re-renders only the cards whose step changed, once per batch of changes, inside ``hold_sync()``. The forms
are in :mod:`linkkit.ui.forms` and :mod:`linkkit.ui.forms_finish`; the HTML in :mod:`linkkit.ui.markup`
(Jinja2 templates, autoescaped).

Example:
    >>> from linkkit.ui.views import step_indicator_html
    >>> 'aria-current="step"' in step_indicator_html(["current", "locked", "locked", "locked", "locked"])
    True
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

import ipywidgets as W

from linkkit.ui.components import FocusMover, LogView, PageUrl, ProblemView, button, html_block, set_html, style_widget
from linkkit.ui.errors import on_error
from linkkit.ui.forms import AuthorizeBody, ChooseBody, ConnectBody, StepForm
from linkkit.ui.forms_finish import SellerCenterBody, VerifyBody
from linkkit.ui.markup import (
    account_html,
    card_title_html,
    header_html,
    info_panel_html,
    shop_label,
    step_indicator_html,
)
from linkkit.ui.steps import Step, StepState, WizardStep
from linkkit.ui.wizard import Wizard

__all__ = ["WizardView", "account_html", "header_html", "shop_label", "step_indicator_html"]

#: Wizard traits a done step's summary shows (a change re-renders the done cards too).
_SUMMARY_TRAITS = frozenset({"shop", "role", "replace", "repair_link_id", "link", "invitation", "verified", "busy"})


# ---------------------------------------------------------------------------------------------- the wizard


class _Card:
    def __init__(self, step: Step, body: StepForm, view: WizardView) -> None:
        self.step = step
        self.body = body
        self.title = html_block("")
        self.title.add_class("lk-card-title")
        self.summary = html_block("")
        self.change = button("Change", tooltip=f"Go back to {step.title}")
        self.change.on_click(lambda _b: view.on_change(step))
        self.summary_row = W.HBox([self.summary, self.change])
        self.summary_row.add_class("lk-row")
        self.box = W.VBox([self.title])
        self.box.add_class("lk-card")


class WizardView(W.VBox):
    """The onboarding wizard. Display it; drive it through its :class:`Wizard`."""

    def __init__(self, wizard: Wizard, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.add_class("lk-app")
        self.wizard = wizard
        self.reporter = wizard.reporter
        self._lock = threading.RLock()
        self.page_url = PageUrl()
        self._focus = FocusMover()
        self._shown_step: Step | None = None
        self._header = html_block("")
        self._indicator = html_block("")
        self._notice = html_block("")
        self._busy = html_block("")
        self._problem = ProblemView(self.reporter)
        self._log = LogView(self.reporter)
        self._back = button("← Back")
        self._back.on_click(self.on_back)
        self._next = button("Next →")
        self._next.on_click(self.on_next)
        self._restart = button("Start over")
        self._restart.on_click(self.on_start_over)
        self._nav = W.HBox([self._back, self._restart, self._next])
        self._nav.add_class("lk-nav")
        self._bodies: dict[Step, StepForm] = {
            Step.CONNECT: ConnectBody(wizard),
            Step.CHOOSE: ChooseBody(wizard),
            Step.AUTHORIZE: AuthorizeBody(wizard),
            Step.SELLER_CENTER: SellerCenterBody(wizard),
            Step.VERIFY: VerifyBody(wizard),
        }
        self._cards = {step: _Card(step, body, self) for step, body in self._bodies.items()}
        self.children = [
            style_widget(), self.page_url, self._focus, self._header, self._indicator, self._notice, self._busy,
            *(card.box for card in self._cards.values()), self._log,
        ]
        #: How many times each card was rendered (tests count them; a render is cheap but not free).
        self.renders: Counter[Step] = Counter()
        self._dirty: set[Step] = set(Step)  # cards to render at the next flush
        self._held = threading.local()  # per thread: cards marked inside the wizard's batch, not yet flushed
        for model in wizard.steps.values():
            model.observe(self._on_state, names=["state"])
        wizard.observe(self._on_change)
        self.reporter.observe(self._refresh_busy, names="problem")
        self._flush()

    def _refresh_busy(self, _change: object = None) -> None:
        busy = self.wizard.busy
        set_html(self._busy, info_panel_html(busy, busy=True))

    def _on_state(self, change: Mapping[str, object]) -> None:
        """One step's state changed: that card (only) needs rendering."""
        owner = change["owner"]
        assert isinstance(owner, WizardStep)
        self._mark({owner.step})

    def _on_change(self, change: Mapping[str, object]) -> None:
        """Wizard data changed: the open card needs rendering, and the summaries that show this datum."""
        name = change["name"]
        if name == "settled":  # this thread's batch ended: its cards join the next flush
            self._mark(self._take_held())
            return
        wiz = self.wizard
        dirty = {s for s in Step if wiz.state_of(s) in (StepState.CURRENT, StepState.FAILED)}
        if name in _SUMMARY_TRAITS:
            dirty |= {s for s in Step if wiz.state_of(s) is StepState.DONE}
        self._mark(dirty)

    def _take_held(self) -> set[Step]:
        held: set[Step] = getattr(self._held, "steps", set())
        self._held.steps = set()
        return held

    def _mark(self, steps: set[Step]) -> None:
        if self.wizard.batching:  # held until this thread's batch ends, so other threads do not render it early
            self._held.steps = getattr(self._held, "steps", set()) | steps
            return
        with self._lock:
            self._dirty |= steps
        self._flush()

    def _flush(self) -> None:
        """Render what changed since the last flush, unless a batch of changes is still under way."""
        with self._lock:
            wiz = self.wizard
            dirty, self._dirty = self._dirty, set()
            with self.hold_sync():
                self._header.value = header_html(wiz.settings.mode, wiz.shop)
                self._indicator.value = step_indicator_html(wiz.states)
                set_html(self._notice, info_panel_html(wiz.notice))
                self._refresh_busy()
                for step in sorted(dirty):
                    self._render_card(step)
                self._refresh_nav()
            if self._shown_step is not None and self._shown_step != wiz.step:
                self._focus.focus(f"#lk-step-{wiz.step.value + 1}")
            self._shown_step = wiz.step

    def _refresh_nav(self) -> None:
        wiz = self.wizard
        step = wiz.step
        self._back.disabled = not wiz.can_go_back()
        self._next.disabled = not wiz.can_go_next()
        self._next.layout.display = "" if wiz.can_go_next() else "none"
        self._back.layout.display = "" if step > Step.CONNECT else "none"
        self._restart.layout.display = "" if step > Step.CONNECT else "none"
        self._nav.layout.display = "" if (step > Step.CONNECT or wiz.can_go_next()) else "none"

    def _render_card(self, step: Step) -> None:
        wiz = self.wizard
        card = self._cards[step]
        self.renders[step] += 1
        state = wiz.state_of(step)
        with card.box.hold_sync(), card.title.hold_sync():
            card.title.value = card_title_html(step, done=state is StepState.DONE)
            for cls in ("lk-card-current", "lk-card-locked"):
                card.box.remove_class(cls)
            children: tuple[W.Widget, ...]
            if state in (StepState.CURRENT, StepState.FAILED):
                card.box.add_class("lk-card-current")
                card.body.refresh()
                # the problem shows inside the current step, where the seller is looking
                children = (card.title, card.body.box, self._problem, self._nav)
            elif state is StepState.DONE:
                card.summary.value = card.body.summary()
                card.change.disabled = bool(wiz.busy)
                children = (card.title, card.summary_row)
            else:
                card.box.add_class("lk-card-locked")
                children = (card.title,)
            if card.box.children != children:
                card.box.children = children

    @on_error("Going back")
    def on_back(self, _button: W.Button) -> None:
        """Going back."""
        self.wizard.back()

    @on_error("Going forward")
    def on_next(self, _button: W.Button) -> None:
        """Going forward."""
        self.wizard.next()

    @on_error("Starting over")
    def on_start_over(self, _button: W.Button) -> None:
        """Starting over."""
        self.wizard.start_over()

    @on_error("Going back to an earlier step")
    def on_change(self, step: Step) -> None:
        """Going back to an earlier step."""
        while self.wizard.step > step and self.wizard.can_go_back():
            self.wizard.back()

    def clean_url(self) -> None:
        """Drop the callback's ``?code=…`` from the address bar."""
        self.page_url.clean = True
