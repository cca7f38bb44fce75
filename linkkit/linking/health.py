"""Read-only views for ``linkkit status`` and analytics: the health report and one shop's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from linkkit.linking.sandbox_actions import SandboxActions
from linkkit.models import Link, LinkEvent, LinkStatus
from linkkit.store import Store

__all__ = ["ShopRecords", "health_report"]


def health_report(mode: str, registry: Store, links: Sequence[Link], now: dt.datetime,
                  sandbox: SandboxActions | None) -> dict[str, Any]:
    """Mode, registry, links by status, tokens expiring within 7 days, and the sandbox's state."""
    by_status: dict[str, int] = {}
    for link in links:
        by_status[link.status.value] = by_status.get(link.status.value, 0) + 1
    soon = now + dt.timedelta(days=7)
    report: dict[str, Any] = {
        "mode": mode,
        "registry": registry.url.split("?")[0],
        "schema_version": registry.schema_version(),
        "shops": len(registry.shops()),
        "links": by_status,
        "expiring_within_7_days": [x.id for x in links if x.token_expires_at and x.token_expires_at < soon],
        "needs_attention": [x.id for x in links if x.status is LinkStatus.NEEDS_ATTENTION],
    }
    if sandbox is not None:
        report["sandbox"] = sandbox.status()
    return report


class ShopRecords:
    """The registry's link intervals and events of one shop, in the shape analytics loaders read."""

    def __init__(self, registry: Store, shop_id: str) -> None:
        self._registry, self._shop_id = registry, shop_id

    def link_intervals(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        return self._registry.link_intervals(self._shop_id)

    def events(self, shop_id: str | None = None, **kwargs: Any) -> list[LinkEvent]:
        return self._registry.events(self._shop_id, **kwargs)
