"""The wizard re-renders only the cards whose step changed: one model per step, observed on ``state`` only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from linkkit.linking import LinkService
from linkkit.ui.steps import Step, StepState
from tests.ui.conftest import connect_shop, visible_text
from tests.ui.test_wizard import at_step_three, close, open_wizard

pytestmark = pytest.mark.integration


def at_step_three_fresh(new_service: Callable[[], LinkService]) -> Any:
    connect_shop(new_service())
    view = open_wizard(new_service)
    at_step_three(view)
    view.wizard.wait()
    return view


def test_start_over_renders_each_card_at_most_once(new_service: Callable[[], LinkService]) -> None:
    view = at_step_three_fresh(new_service)
    view.renders.clear()

    view.wizard.start_over()

    assert max(view.renders.values()) == 1, view.renders  # before step models: each card ≈ 15 times
    assert view.renders[Step.CONNECT] == 1 and view.renders[Step.AUTHORIZE] == 1
    assert view.wizard.states == ["current", "locked", "locked", "locked", "locked"]
    assert "No shop selected" in visible_text(view)
    close(view)


def test_one_steps_state_renders_that_card_only(new_service: Callable[[], LinkService]) -> None:
    view = at_step_three_fresh(new_service)
    view.renders.clear()

    view.wizard.steps[Step.VERIFY].state = StepState.FAILED

    assert dict(view.renders) == {Step.VERIFY: 1}
    close(view)


def test_typing_on_the_open_step_renders_that_card_only(new_service: Callable[[], LinkService]) -> None:
    view = at_step_three_fresh(new_service)
    view.renders.clear()

    view.wizard.expected_username = "maple.official"

    assert dict(view.renders) == {Step.AUTHORIZE: 1}
    close(view)
