"""What the analytics page asks for (:class:`Filters`) and what one redraw gets back (:class:`DashboardFrames`).

Plain values: the model (:mod:`linkkit.analytics.dashboard`) fills them; the view turns them into widgets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from linkkit.analytics import charts

__all__ = ["DashboardFrames", "Filters", "empty_account_daily"]


@dataclass(frozen=True)
class Filters:
    """What the seller picked. ``None`` means "all". Dates are inclusive calendar days (UTC)."""

    shop_id: str | None = None
    username: str | None = None
    role: Literal["official", "marketing"] | None = None
    channel: str | None = None
    currency: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class DashboardFrames:
    """The small frames behind one redraw of the page."""

    filters: Filters
    account_daily: pd.DataFrame  # day, shop_id, username, role, label, currency, gmv (credited by the rule)
    channel_daily: pd.DataFrame  # date, channel, currency, gmv (summed over the shops in view)
    changes: pd.DataFrame
    disruption: pd.DataFrame
    funnel: pd.DataFrame
    kpis: pd.DataFrame  # currency, gmv, orders, units, buyers, buyers_exact, aov, linked_gmv, linked_share
    reasons: dict[str, str] = field(default_factory=dict)  # why a chart is empty

    @property
    def is_empty(self) -> bool:
        """Nothing to show under these filters."""
        return self.account_daily.empty and self.channel_daily.empty and self.kpis.empty

    def figures(self) -> dict[str, charts.Figure]:
        """The four charts as plain-dict plotly figures: ``gmv``, ``channels``, ``disruption``, ``funnel``."""
        r = self.reasons
        return {
            "gmv": charts.gmv_by_account_figure(
                self.account_daily, self.changes, label_col="label", reason=r.get("gmv")
            ),
            "channels": charts.channel_split_figure(self.channel_daily, reason=r.get("channels")),
            "disruption": charts.disruption_figure(self.disruption, reason=r.get("disruption")),
            "funnel": charts.funnel_figure(self.funnel, reason=r.get("funnel")),
        }

    def table(self) -> pd.DataFrame:
        """The current view as one downloadable table (GMV by day, account and channel)."""
        accounts = self.account_daily.assign(kind="linked account").rename(columns={"day": "date"})
        channels = self.channel_daily.assign(kind="channel")
        return pd.concat([accounts, channels], ignore_index=True)


def empty_account_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.Series(dtype="datetime64[us]"),
            "shop_id": pd.Series(dtype="str"),
            "username": pd.Series(dtype="str"),
            "role": pd.Series(dtype="str"),
            "label": pd.Series(dtype="str"),
            "currency": pd.Series(dtype="str"),
            "gmv": pd.Series(dtype="float64"),
        }
    )
