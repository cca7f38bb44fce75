"""Monitor fixtures: the integration harness (in-process sandbox, temp registry) plus monitors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from linkkit.monitor import Monitor, MonitorConfig, MonitorRegistry
from tests.integration.conftest import MAPLE, Harness, h, make_harness  # noqa: F401  (fixtures reused)


@pytest.fixture
def make_monitor(h: Harness) -> Iterator[Callable[..., Monitor]]:  # noqa: F811
    """Monitors on the harness's registry; ``harness=`` gives one its own LinkService (another machine)."""

    def make(harness: Harness | None = None, **config: Any) -> Monitor:
        service = (harness or h).service
        settings: dict[str, Any] = {"interval_seconds": 60, "rate_limit_backoff_seconds": 0.0}
        settings.update(config)
        return Monitor(service, MonitorRegistry(service.store), MonitorConfig.from_mapping(settings, env={}),
                       holder=f"test-{len(made)}")

    made: list[Monitor] = []
    yield make


def connected_link(h: Harness, username: str = "maple.official") -> Any:  # noqa: F811
    """Maple connected, one Official link authorized and bound in the emulated Seller Center: Connected."""
    from linkkit.models import LinkStatus, Role

    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.OFFICIAL, username))
    assert link.status is LinkStatus.CONNECTED
    return link
