"""The wizard's steps as models: one :class:`WizardStep` per step, each with an explicit ``state`` trait.

AiiDAlab's ``WizardAppWidgetStep`` shape: a step is ``locked`` (not reached yet), ``current`` (its form is
shown), ``done`` (it shows a summary) or ``failed`` (its problem is shown). The wizard view observes
``names=["state"]`` on each step, so a change of one step's state re-renders that step's card only.

Example:
    >>> steps = new_steps()
    >>> [steps[s].state.value for s in Step]
    ['current', 'locked', 'locked', 'locked', 'locked']
    >>> [s.title for s in Step][:2]
    ['Connect Seller Center', 'Choose link type']
"""

from __future__ import annotations

import enum
from urllib.parse import parse_qs

import traitlets

__all__ = ["CALLBACK_PARAMS", "Step", "StepState", "WizardStep", "is_callback", "new_steps"]

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


class WizardStep(traitlets.HasTraits):
    """One step of the wizard: which step it is and the state it is in."""

    step = traitlets.UseEnum(Step, default_value=Step.CONNECT)
    state = traitlets.UseEnum(StepState, default_value=StepState.LOCKED)


def new_steps() -> dict[Step, WizardStep]:
    """A model per step, the first one current."""
    return {s: WizardStep(step=s, state=StepState.CURRENT if s is Step.CONNECT else StepState.LOCKED)
            for s in Step}


def is_callback(query: str | None) -> bool:
    """Whether a page's query string is an authorization callback."""
    if not query:
        return False
    params = parse_qs(query.lstrip("?"))
    return "state" in params or "error" in params or "code" in params or "auth_code" in params
