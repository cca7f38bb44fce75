"""``AnalyticsData``: the frames the analytics page and notebook work on, loaded together.

Example:
    >>> from linkkit.analytics.dataset import AnalyticsData
    >>> AnalyticsData.empty().is_empty
    True
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from linkkit.analytics import sources
from linkkit.analytics.progress import ProgressCallback, resolve_progress

__all__ = ["AnalyticsData", "ShopSource", "load_analytics_data"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopSource:
    """One shop to load from the Shop API.

    Attributes:
        shop_id: The shop's id (as the registry stores it).
        shop_cipher: The cipher from Get Authorized Shops.
        tz: The shop's registered time zone (used for ``video_post_time``).
        name: The shop's name, for progress messages a seller reads (the id when empty).
    """

    shop_id: str
    shop_cipher: str
    tz: str = "UTC"
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.shop_id


@dataclass(frozen=True)
class AnalyticsData:
    """Everything the analytics page shows, as tidy frames.

    Attributes:
        links: Link intervals (:data:`linkkit.analytics.sources.LINK_COLUMNS`).
        events: Registry events (:data:`linkkit.analytics.sources.EVENT_COLUMNS`).
        orders: Order lines (from exports or the order API).
        performance: Daily shop performance by channel (:func:`~linkkit.analytics.sources.shop_performance_frame`).
        content: Video and LIVE rows (:func:`~linkkit.analytics.sources.content_frame`).
        source: Where the data came from, in words (``"demo"``, ``"sandbox"``, a file name …).
    """

    links: pd.DataFrame = field(default_factory=lambda: sources.links_frame([]))
    events: pd.DataFrame = field(default_factory=lambda: sources.events_frame([]))
    orders: pd.DataFrame = field(default_factory=lambda: sources.orders_from_api_pages([], shop_id=""))
    performance: pd.DataFrame = field(
        default_factory=lambda: sources.shop_performance_frame({"performance": {"intervals": []}}, shop_id="")
    )
    content: pd.DataFrame = field(default_factory=lambda: sources.content_frame([], content_type="VIDEO", shop_id=""))
    source: str = ""

    @classmethod
    def empty(cls) -> AnalyticsData:
        """No data at all (the dashboard shows its empty state)."""
        return cls()

    @property
    def is_empty(self) -> bool:
        """True when there are no orders, no performance rows and no content rows."""
        return self.orders.empty and self.performance.empty and self.content.empty

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Save every frame as Parquet in ``directory`` (one file each)."""
        target = Path(directory)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                sources.save_parquet(value, target / f"{f.name}.parquet")
        (target / "SOURCE").write_text(self.source, encoding="utf-8")
        return target

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> AnalyticsData:
        """Reopen what :meth:`save` wrote."""
        base = Path(directory)
        frames: dict[str, Any] = {}
        for f in fields(cls):
            if f.name != "source":
                frames[f.name] = sources.read_parquet(base / f"{f.name}.parquet")
        src = (base / "SOURCE").read_text(encoding="utf-8") if (base / "SOURCE").exists() else str(base)
        return cls(**frames, source=src)


def load_analytics_data(
    store: Any,
    client: sources.ShopAnalyticsClient,
    shops: Sequence[ShopSource],
    *,
    start: dt.date,
    end: dt.date,
    orders: pd.DataFrame | None = None,
    progress: ProgressCallback | bool | None = None,
) -> AnalyticsData:
    """Load links and events from the registry and performance, content and orders from the Shop API.

    Args:
        store: A :class:`linkkit.store.Store` (anything with ``link_intervals`` and ``events``).
        client: A :class:`linkkit.tiktok.shop.ShopClient`, sandbox or live.
        shops: The shops to load.
        start: First day (inclusive).
        end: Day after the last (exclusive).
        orders: Order lines to use instead of calling the order API (e.g. a Seller Center export).
        progress: ``True`` for a progress bar or a ``(done, total, message)`` callable.
    """
    report = resolve_progress(progress, "Loading analytics")
    steps = 1 + 3 * len(shops)
    links = sources.links_from_registry(store)
    events = sources.events_from_registry(store)
    report(1, steps, "links and events")
    perf, content, lines = [], [], []
    done = 1
    for shop in shops:
        perf.append(sources.load_shop_performance(client, shop.shop_cipher, shop_id=shop.shop_id, start=start, end=end))
        done += 1
        report(done, steps, f"shop performance of {shop.label}")
        content.append(
            sources.load_shop_content(client, shop.shop_cipher, shop_id=shop.shop_id, start=start, end=end, tz=shop.tz)
        )
        done += 1
        report(done, steps, f"videos and LIVEs of {shop.label}")
        if orders is None:
            lines.append(
                sources.load_api_orders(
                    client,
                    shop.shop_cipher,
                    shop_id=shop.shop_id,
                    start=dt.datetime.combine(start, dt.time(), dt.UTC),
                    end=dt.datetime.combine(end, dt.time(), dt.UTC),
                )
            )
        done += 1
        report(done, steps, f"orders of {shop.label}")
    empty = AnalyticsData()

    def cat(parts: list[pd.DataFrame], default: pd.DataFrame) -> pd.DataFrame:
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else default

    return AnalyticsData(
        links=links,
        events=events,
        orders=orders if orders is not None else cat(lines, empty.orders),
        performance=cat(perf, empty.performance),
        content=cat(content, empty.content),
        source="Shop API",
    )
