"""Plotly figures for the analytics page; they render offline in Voila and are tested by their data.

Each function takes a small, already aggregated DataFrame and returns a ``plotly.graph_objects.Figure``.
Money is never summed across currencies: traces are split per currency and say which.

Example:
    >>> import pandas as pd
    >>> from linkkit.analytics.charts import funnel_figure
    >>> fig = funnel_figure(pd.DataFrame({"channel": ["LIVE"], "product_impressions": [100],
    ...                                   "product_page_views": [10], "buyers": [2]}))
    >>> list(fig.data[0].x)
    [100, 10, 2]
"""

from __future__ import annotations

import html
import logging

import pandas as pd
import plotly.graph_objects as go

from linkkit.analytics.metrics import DISRUPTION_CAVEAT, FUNNEL_DEFINITION, GMV_DEFINITION

__all__ = [
    "CHANGE_SYMBOLS",
    "channel_split_figure",
    "disruption_figure",
    "funnel_figure",
    "gmv_by_account_figure",
]

log = logging.getLogger(__name__)

#: Marker symbol for each kind of link change on the GMV-over-time chart.
CHANGE_SYMBOLS: dict[str, str] = {"link": "triangle-up", "relink": "triangle-up-open", "unlink": "x", "replace": "star"}
_CHANNEL_COLOURS = {"LIVE": "#fe2c55", "VIDEO": "#25f4ee", "PRODUCT_CARD": "#8a8a8a"}


def _layout(fig: go.Figure, title: str, note: str) -> go.Figure:
    fig.update_layout(
        title={"text": title},
        plot_bgcolor="white",
        margin={"l": 50, "r": 20, "t": 60, "b": 90},
        legend={"orientation": "h", "y": -0.25},
        height=380,
    )
    fig.add_annotation(
        text=note,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.38,
        showarrow=False,
        font={"size": 10, "color": "#666"},
        align="left",
        xanchor="left",
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def gmv_by_account_figure(daily: pd.DataFrame, changes: pd.DataFrame | None = None, *, top: int = 10) -> go.Figure:
    """GMV over time per linked account, with link / unlink / relink / replace markers.

    Args:
        daily: ``day, username, currency, gmv`` (one row per account, day and currency).
        changes: :func:`linkkit.analytics.attribution.link_changes` rows to mark (``at, kind, username``).
        top: Draw the ``top`` accounts by GMV; the rest are summed per currency as "other accounts".
    """
    fig = go.Figure()
    totals = daily.groupby(["username", "currency"], sort=False)["gmv"].sum().sort_values(ascending=False)
    keep = pd.MultiIndex.from_frame(daily[["username", "currency"]]).isin(totals.index[:top])
    shown = daily.assign(username=daily["username"].where(keep, "other accounts"))
    shown = shown.groupby(["username", "currency", "day"], as_index=False, sort=True)["gmv"].sum()
    for (username, currency), rows in shown.groupby(["username", "currency"], sort=True):
        fig.add_trace(
            go.Scatter(
                x=rows["day"],
                y=rows["gmv"],
                mode="lines+markers",
                name=f"{html.escape(str(username))} ({currency})",
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.2f} " + str(currency) + "<extra>%{fullData.name}</extra>",
            )
        )
    if changes is not None and not changes.empty:
        top_y = float(shown["gmv"].max()) * 1.05 if not shown.empty else 1.0
        for kind, rows in changes.groupby("kind", sort=True):
            previous = rows["previous_username"] if "previous_username" in rows else pd.Series(None, index=rows.index)
            text = [
                f"{k}: {html.escape(p)} → {html.escape(str(u))}"
                if isinstance(p, str) and p
                else f"{k}: {html.escape(str(u))}"
                for k, u, p in zip(rows["kind"], rows["username"], previous, strict=True)
            ]
            fig.add_trace(
                go.Scatter(
                    x=rows["at"].dt.tz_convert("UTC").dt.tz_localize(None),
                    y=[top_y] * len(rows),
                    mode="markers",
                    name=str(kind),
                    marker={"symbol": CHANGE_SYMBOLS.get(str(kind), "circle"), "size": 12},
                    text=text,
                    hovertemplate="%{text}<br>%{x|%Y-%m-%d %H:%M} UTC<extra></extra>",
                )
            )
        if len(changes) <= 20:
            fig.update_layout(
                shapes=[
                    {
                        "type": "line",
                        "xref": "x",
                        "yref": "paper",
                        "x0": at,
                        "x1": at,
                        "y0": 0,
                        "y1": 1,
                        "line": {"width": 1, "dash": "dot", "color": "#999"},
                    }
                    for at in changes["at"].dt.tz_convert("UTC").dt.tz_localize(None)
                ]
            )
    fig.update_yaxes(title_text="GMV")
    return _layout(fig, "GMV by linked account", GMV_DEFINITION + " Attributed through the account's videos and LIVEs.")


def channel_split_figure(daily: pd.DataFrame) -> go.Figure:
    """Stacked GMV per channel (LIVE, VIDEO, PRODUCT_CARD) per day.

    Args:
        daily: ``date, channel, currency, gmv`` (channel rows only, no ``ALL``).
    """
    fig = go.Figure()
    for (channel, currency), rows in daily.sort_values("date").groupby(["channel", "currency"], sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["date"],
                y=rows["gmv"],
                name=f"{channel} ({currency})",
                marker_color=_CHANNEL_COLOURS.get(str(channel)),
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="GMV")
    return _layout(fig, "GMV by channel", GMV_DEFINITION)


def disruption_figure(disruption: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """GMV before vs after each link change (windows of equal length), with the caveat.

    Args:
        disruption: :func:`linkkit.analytics.metrics.disruption` output.
        top: Show at most this many changes: the ones with the largest absolute change.
    """
    title = "GMV around link changes"
    if len(disruption) > top:
        title = f"GMV around link changes ({top} largest of {len(disruption)})"
        order = disruption["change"].abs().sort_values(ascending=False, na_position="last").index[:top]
        disruption = disruption.loc[order].sort_values("at")
    labels = [
        f"{at:%Y-%m-%d} {kind} {html.escape(str(user))} ({n}d)"
        for at, kind, user, n in zip(
            disruption["at"], disruption["kind"], disruption["username"], disruption["window_days"], strict=True
        )
    ]
    fig = go.Figure(
        [
            go.Bar(
                x=labels,
                y=disruption["gmv_before"],
                name="before",
                marker_color="#bbbbbb",
                customdata=disruption["currency"],
                hovertemplate="%{y:,.2f} %{customdata}<extra>before</extra>",
            ),
            go.Bar(
                x=labels,
                y=disruption["gmv_after"],
                name="after",
                marker_color="#fe2c55",
                customdata=disruption["currency"],
                hovertemplate="%{y:,.2f} %{customdata}<extra>after</extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="Shop GMV in window")
    return _layout(fig, title, DISRUPTION_CAVEAT)


def funnel_figure(funnel: pd.DataFrame) -> go.Figure:
    """Impressions → product page views → buyers, one funnel per channel.

    Args:
        funnel: :func:`linkkit.analytics.metrics.funnel` output (summed over any extra keys).
    """
    totals = funnel.groupby("channel", sort=True)[["product_impressions", "product_page_views", "buyers"]].sum()
    fig = go.Figure()
    for channel, row in totals.iterrows():
        fig.add_trace(
            go.Funnel(
                name=str(channel),
                y=["impressions", "page views", "buyers"],
                x=[int(row["product_impressions"]), int(row["product_page_views"]), int(row["buyers"])],
                textinfo="value+percent previous",
                marker_color=_CHANNEL_COLOURS.get(str(channel)),
            )
        )
    return _layout(fig, "Funnel by channel", FUNNEL_DEFINITION)
