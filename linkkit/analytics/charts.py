"""Plotly figures for the analytics page, built as plain dicts; they render offline and stay local.

Each function takes a small, already aggregated DataFrame and returns a plotly figure as a plain ``dict``
(``{"data": [...], "layout": {...}}``): building ``plotly.graph_objects`` figures costs more than the query
behind them. Show one with :func:`mime_bundle` (the plotly mime type, which Voila renders without a CDN)
or ``plotly.graph_objects.Figure(fig)``.

What every chart does:

- its title says what it shows and how it is defined (GMV by payment time, per currency);
- money is never summed across currencies: traces are split per currency and say which;
- x axes of daily series are date axes (ISO dates), never seconds;
- titles and captions wrap to fit a 420 px screen and the margins are sized to them, so nothing is clipped;
- the legend sits right of the plot, between the title and the caption, so it overlaps neither;
- an empty chart says why it is empty (``reason``);
- :data:`PLOTLY_CONFIG` removes the cloud, share and "edit in Chart Studio" buttons and the plotly logo,
  and leaves a minimal modebar (download as PNG, reset axes).

Example:
    >>> import pandas as pd
    >>> from linkkit.analytics.charts import funnel_figure
    >>> fig = funnel_figure(pd.DataFrame({"channel": ["LIVE"], "product_impressions": [100],
    ...                                   "product_page_views": [10], "buyers": [2]}))
    >>> fig["data"][0]["x"]
    [100, 10, 2]
"""

from __future__ import annotations

import html
import logging
import textwrap
from collections.abc import Iterable
from typing import Any

import pandas as pd

from linkkit.analytics.metrics import DISRUPTION_CAVEAT, FUNNEL_DEFINITION, GMV_DEFINITION

__all__ = [
    "CHANGE_SYMBOLS",
    "PLOTLY_CONFIG",
    "Figure",
    "channel_split_figure",
    "disruption_figure",
    "empty_figure",
    "funnel_figure",
    "gmv_by_account_figure",
    "mime_bundle",
]

log = logging.getLogger(__name__)

#: A plotly figure as a plain dict: ``{"data": [...], "layout": {...}}``.
Figure = dict[str, Any]

#: Marker symbol for each kind of link change on the GMV-over-time chart.
CHANGE_SYMBOLS: dict[str, str] = {"link": "triangle-up", "relink": "triangle-up-open", "unlink": "x", "replace": "star"}
_CHANNEL_COLOURS = {"LIVE": "#fe2c55", "VIDEO": "#25f4ee", "PRODUCT_CARD": "#8a8a8a"}

#: Plotly config for every chart: nothing that talks to a plotly cloud host, a minimal modebar.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showTips": False,
    "plotlyServerURL": "",
    "linkText": "",
    "responsive": True,
    "displayModeBar": "hover",
    "modeBarButtonsToRemove": [
        "sendDataToCloud",
        "editInChartStudio",
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "toggleSpikelines",
        "toggleHover",
    ],
    "toImageButtonOptions": {"format": "png", "filename": "linkkit-chart"},
}

#: The GMV definition in one short line, for chart titles.
GMV_SHORT = "GMV by payment time, cancelled and refunded orders included"


def mime_bundle(figure: Figure) -> dict[str, Any]:
    """The plotly mime bundle for ``figure`` with :data:`PLOTLY_CONFIG` (what Voila renders offline)."""
    figure = fitted(figure)
    return {
        "application/vnd.plotly.v1+json": {
            "data": figure["data"],
            "layout": figure["layout"],
            "config": PLOTLY_CONFIG,
        },
        "text/plain": f"<{figure['layout'].get('meta', {}).get('name', 'chart')}: plotly figure>",
    }


def _dates(values: Iterable[Any]) -> list[str]:
    return [str(d) for d in pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m-%d")]


#: Height of the plot area, the band under it for the x axis's labels, and one legend row (pixels).
PLOT_HEIGHT, AXIS_BAND, LEGEND_ROW = 250, 40, 20

#: Characters per line for wrapped chart text: a 420 px screen fits these at their font sizes.
TITLE_CHARS, DEFINITION_CHARS, CAPTION_CHARS = 40, 60, 66


def _wrap(text: str, width: int) -> list[str]:
    """``text`` escaped and wrapped into lines of at most ``width`` characters (plotly text does not wrap)."""
    return [html.escape(line) for line in textwrap.wrap(text, width)] or [""]


def _layout(title: str, definition: str, caption: str, *, name: str, date_axis: bool = True) -> dict[str, Any]:
    """Title and definition on top, caption under the x axis, legend to the side of the plot.

    Every text is wrapped to fit a 420 px screen and the margins are sized from the number of lines, so neither
    the title nor the caption is clipped; the legend sits right of the plot area, between the title band and the
    caption band, so it cannot overlap either.
    """
    heading = "<br>".join(f"<b>{line}</b>" for line in _wrap(title, TITLE_CHARS))
    defined = "<br>".join(_wrap(definition, DEFINITION_CHARS)) if definition else ""
    title_lines = heading.count("<br>") + 1 + (defined.count("<br>") + 1 if defined else 0)
    caption_lines = _wrap(caption, CAPTION_CHARS) if caption else []
    return {
        "meta": {"name": name, "caption": caption},
        "title": {
            "text": heading + (f"<br><span style='font-size:11px;color:#555'>{defined}</span>" if defined else ""),
            "font": {"size": 15},
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "pad": {"l": 8},
            "y": 1 - 14 / (PLOT_HEIGHT + 30 + 18 * title_lines + AXIS_BAND + 14 * len(caption_lines)),
            "yref": "container",
            "yanchor": "top",
        },
        "plot_bgcolor": "white",
        "height": PLOT_HEIGHT + 30 + 18 * title_lines + AXIS_BAND + 14 * len(caption_lines),
        "margin": {"l": 56, "r": 12, "t": 30 + 18 * title_lines, "b": AXIS_BAND + 14 * len(caption_lines)},
        "legend": {"orientation": "h", "x": 0, "xref": "container", "xanchor": "left", "yref": "container",
                   "yanchor": "top", "y": 0, "font": {"size": 11}},  # placed under the caption by mime_bundle
        "annotations": [
            {
                "text": "<br>".join(caption_lines),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "xshift": -48,
                "y": 0,
                "yshift": -(AXIS_BAND - 12),
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "align": "left",
                "font": {"size": 10, "color": "#666"},
            }
        ] if caption_lines else [],
        "xaxis": {"type": "date", "gridcolor": "#eee", "tickangle": 0, "nticks": 5} if date_axis else
        {"gridcolor": "#eee", "automargin": True},
        "yaxis": {"gridcolor": "#eee", "automargin": True},
    }


def _legend_rows(figure: Figure, width: int = 340) -> int:
    """Rows the legend needs on a ``width`` px wide chart (an entry: ~50 px of symbol and gap, 7 px a character).

    340 px is what a chart gets on a 420 px screen inside the dashboard's padding."""
    names = [str(trace.get("name")) for trace in figure.get("data", [])
             if trace.get("showlegend", True) is not False and trace.get("name")]
    if not names:
        return 0
    per_row = max(1, width // (50 + 7 * max(len(name) for name in names)))
    return -(-len(names) // per_row)


def fitted(figure: Figure) -> Figure:
    """``figure`` with room for its legend below the caption, as many rows as a 420 px screen needs."""
    rows = _legend_rows(figure)
    if not rows:
        return figure
    layout = dict(figure["layout"])
    band = LEGEND_ROW * rows + 8
    margin = dict(layout.get("margin", {}))
    margin["b"] = int(margin.get("b", AXIS_BAND)) + band
    layout["margin"] = margin
    layout["height"] = int(layout.get("height", PLOT_HEIGHT)) + band
    layout["legend"] = {**layout.get("legend", {}), "y": band / layout["height"], "yanchor": "top"}
    return {**figure, "layout": layout}


def empty_figure(title: str, definition: str, reason: str, *, name: str) -> Figure:
    """A chart with no data that says why (e.g. "No link changes in this period")."""
    layout = _layout(title, definition, "", name=name, date_axis=False)
    layout["annotations"] = [
        {
            "text": "<br>".join(_wrap(reason, 44)),
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 14, "color": "#555"},
        }
    ]
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["meta"]["empty_reason"] = reason
    return {"data": [], "layout": layout}


def _currencies(frame: pd.DataFrame) -> str:
    cur = sorted(str(c) for c in frame["currency"].dropna().unique()) if "currency" in frame else []
    return ", ".join(cur) if cur else "no currency"


def gmv_by_account_figure(
    daily: pd.DataFrame,
    changes: pd.DataFrame | None = None,
    *,
    top: int = 10,
    reason: str | None = None,
    label_col: str = "username",
    max_markers: int = 200,
) -> Figure:
    """GMV over time per linked account (credited by the attribution rule), with link-change markers.

    Args:
        daily: ``day, <label_col>, currency, gmv`` (one row per account, day and currency).
        changes: :func:`linkkit.analytics.attribution.link_changes` rows to mark (``at, kind, username``).
        top: Draw the ``top`` accounts by GMV; the rest are summed per currency as "other accounts".
        reason: What an empty chart says.
        label_col: The column naming each line.
        max_markers: Draw link-change markers only up to this many changes (one shop has a handful).
    """
    title = "GMV by linked account"
    reason = reason or "No orders credited to a linked account in this view."
    definition = f"{GMV_SHORT}; each order credited to one account at most; {_currencies(daily)}"
    if daily.empty:
        return empty_figure(title, definition, reason, name="gmv")
    totals = daily.groupby([label_col, "currency"], sort=False)["gmv"].sum().sort_values(ascending=False)
    keep = pd.MultiIndex.from_frame(daily[[label_col, "currency"]]).isin(totals.index[:top])
    shown = daily.assign(**{label_col: daily[label_col].where(keep, "other accounts")})
    shown = shown.groupby([label_col, "currency", "day"], as_index=False, sort=True)["gmv"].sum()
    data: list[dict[str, Any]] = []
    for (label, currency), rows in shown.groupby([label_col, "currency"], sort=True):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": _dates(rows["day"]),
                "y": [float(v) for v in rows["gmv"]],
                "name": f"{html.escape(str(label))} ({html.escape(str(currency))})",
                "hovertemplate": "%{x|%Y-%m-%d}: %{y:,.2f} "
                + html.escape(str(currency))
                + "<extra>%{fullData.name}</extra>",
            }
        )
    caption = GMV_DEFINITION + " Markers show link changes."
    if changes is not None and len(changes) > max_markers:
        caption = f"{GMV_DEFINITION} {len(changes):,} link changes in view: pick one shop to see them marked."
        changes = None
    layout = _layout(title, definition, caption, name="gmv")
    if changes is not None and not changes.empty:
        top_y = float(shown["gmv"].max()) * 1.05
        at = changes["at"].dt.tz_convert("UTC").dt.tz_localize(None)
        for kind, rows in changes.assign(_at=at).groupby("kind", sort=True):
            previous = rows["previous_username"] if "previous_username" in rows else pd.Series(None, index=rows.index)
            text = [
                f"{k}: {html.escape(p)} → {html.escape(str(u))}"
                if isinstance(p, str) and p
                else f"{k}: {html.escape(str(u))}"
                for k, u, p in zip(rows["kind"], rows["username"], previous, strict=True)
            ]
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [t.strftime("%Y-%m-%d %H:%M:%S") for t in rows["_at"]],
                    "y": [top_y] * len(rows),
                    "name": str(kind),
                    "marker": {"symbol": CHANGE_SYMBOLS.get(str(kind), "circle"), "size": 12},
                    "text": text,
                    "hovertemplate": "%{text}<br>%{x|%Y-%m-%d %H:%M} UTC<extra></extra>",
                }
            )
        if len(changes) <= 20:
            layout["shapes"] = [
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": t.strftime("%Y-%m-%d %H:%M:%S"),
                    "x1": t.strftime("%Y-%m-%d %H:%M:%S"),
                    "y0": 0,
                    "y1": 1,
                    "line": {"width": 1, "dash": "dot", "color": "#999"},
                }
                for t in at
            ]
    layout["yaxis"]["title"] = {"text": "GMV"}
    return {"data": data, "layout": layout}


def channel_split_figure(daily: pd.DataFrame, *, reason: str | None = None) -> Figure:
    """Stacked GMV per channel (LIVE, VIDEO, PRODUCT_CARD) per day.

    Args:
        daily: ``date, channel, currency, gmv`` (channel rows only, no ``ALL``).
        reason: What an empty chart says.
    """
    title = "GMV by channel"
    reason = reason or "No channel data in this view."
    definition = f"{GMV_SHORT}; per content channel; {_currencies(daily)}"
    if daily.empty:
        return empty_figure(title, definition, reason, name="channels")
    data = []
    for (channel, currency), rows in daily.sort_values("date").groupby(["channel", "currency"], sort=True):
        data.append(
            {
                "type": "bar",
                "x": _dates(rows["date"]),
                "y": [float(v) for v in rows["gmv"]],
                "name": f"{channel} ({currency})",
                "marker": {"color": _CHANNEL_COLOURS.get(str(channel), "#444")},
            }
        )
    layout = _layout(title, definition, GMV_DEFINITION, name="channels")
    layout["barmode"] = "stack"
    layout["yaxis"]["title"] = {"text": "GMV"}
    return {"data": data, "layout": layout}


def disruption_figure(disruption: pd.DataFrame, *, top: int = 20, reason: str | None = None) -> Figure:
    """Shop GMV before vs after each link change (windows of equal length), with the caveat.

    Args:
        disruption: :func:`linkkit.analytics.metrics.disruption` output.
        top: Show at most this many changes: the ones with the largest absolute change.
        reason: What an empty chart says.
    """
    title = "GMV around link changes"
    reason = reason or "No link changes in this period."
    definition = f"Shop {GMV_SHORT}, equal windows before and after; {_currencies(disruption)}"
    if disruption.empty:
        return empty_figure(title, definition, reason, name="disruption")
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
    currency = [str(c) for c in disruption["currency"]]

    def bars(col: str, name: str, colour: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "x": labels,
            "y": [None if pd.isna(v) else float(v) for v in disruption[col]],
            "name": name,
            "marker": {"color": colour},
            "customdata": currency,
            "hovertemplate": "%{y:,.2f} %{customdata}<extra>" + name + "</extra>",
        }

    layout = _layout(title, definition, DISRUPTION_CAVEAT, name="disruption", date_axis=False)
    layout["barmode"] = "group"
    layout["yaxis"]["title"] = {"text": "Shop GMV in window"}
    return {"data": [bars("gmv_before", "before", "#bbbbbb"), bars("gmv_after", "after", "#fe2c55")], "layout": layout}


def funnel_figure(funnel: pd.DataFrame, *, reason: str | None = None) -> Figure:
    """Impressions → product page views → buyers, one funnel per channel.

    Args:
        funnel: :func:`linkkit.analytics.metrics.funnel` output (summed over any extra keys).
        reason: What an empty chart says.
    """
    title = "Funnel by channel"
    reason = reason or "No funnel data (impressions, page views) in this view."
    if funnel.empty:
        return empty_figure(title, "Impressions → product page views → buyers", reason, name="funnel")
    totals = funnel.groupby("channel", sort=True)[["product_impressions", "product_page_views", "buyers"]].sum()
    data = [
        {
            "type": "funnel",
            "name": str(channel),
            "y": ["impressions", "page views", "buyers"],
            "x": [int(row["product_impressions"]), int(row["product_page_views"]), int(row["buyers"])],
            "textinfo": "value+percent previous",
            "marker": {"color": _CHANNEL_COLOURS.get(str(channel), "#444")},
        }
        for channel, row in totals.iterrows()
    ]
    return {
        "data": data,
        "layout": _layout(
            title, "Impressions → product page views → buyers", FUNNEL_DEFINITION, name="funnel", date_axis=False
        ),
    }
