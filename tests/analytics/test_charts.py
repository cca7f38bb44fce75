from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from linkkit.analytics import charts
from linkkit.analytics.metrics import DISRUPTION_CAVEAT, GMV_DEFINITION

from .conftest import utc


def test_gmv_by_account_traces_and_change_markers() -> None:
    daily = pd.DataFrame(
        {
            "day": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01"]),
            "username": ["ann", "ann", "<img src=x onerror=alert(1)>"],
            "currency": ["USD", "USD", "USD"],
            "gmv": [10.0, 20.0, 5.0],
        }
    )
    changes = pd.DataFrame(
        {
            "at": pd.Series([utc("2025-01-02T12:00")], dtype="datetime64[us, UTC]"),
            "kind": ["replace"],
            "username": ["bob"],
            "previous_username": ["ann"],
        }
    )
    fig = go.Figure(charts.gmv_by_account_figure(daily, changes))
    names = [t.name for t in fig.data]
    assert names == ["&lt;img src=x onerror=alert(1)&gt; (USD)", "ann (USD)", "replace"]
    assert list(fig.data[1].y) == [10.0, 20.0]
    marker = fig.data[2]
    assert marker.marker.symbol == charts.CHANGE_SYMBOLS["replace"] and list(marker.text) == ["replace: ann → bob"]
    assert len(fig.layout.shapes) == 1
    assert GMV_DEFINITION in fig.layout.annotations[0].text.replace("<br>", " ")


def test_gmv_by_account_keeps_top_accounts_and_sums_the_rest_per_currency() -> None:
    daily = pd.DataFrame(
        {
            "day": pd.to_datetime(["2025-01-01"] * 4),
            "username": ["a", "b", "c", "d"],
            "currency": ["USD", "USD", "USD", "GBP"],
            "gmv": [40.0, 30.0, 20.0, 10.0],
        }
    )
    fig = go.Figure(charts.gmv_by_account_figure(daily, top=2))
    assert sorted((t.name, float(sum(t.y))) for t in fig.data) == [
        ("a (USD)", 40.0),
        ("b (USD)", 30.0),
        ("other accounts (GBP)", 10.0),
        ("other accounts (USD)", 20.0),
    ]


def test_channel_split_is_stacked_per_channel_and_currency() -> None:
    daily = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"]),
            "channel": ["LIVE", "VIDEO", "LIVE"],
            "currency": ["USD"] * 3,
            "gmv": [1.0, 2.0, 3.0],
        }
    )
    fig = go.Figure(charts.channel_split_figure(daily))
    assert fig.layout.barmode == "stack"
    assert [(t.name, list(t.y)) for t in fig.data] == [("LIVE (USD)", [1.0, 3.0]), ("VIDEO (USD)", [2.0])]


def test_disruption_figure_shows_before_after_and_caveat() -> None:
    dis = pd.DataFrame(
        {
            "at": [utc("2025-01-05T12:00")],
            "kind": ["unlink"],
            "username": ["mia"],
            "window_days": [7],
            "currency": ["USD"],
            "gmv_before": [100.0],
            "gmv_after": [80.0],
            "change": [-20.0],
        }
    )
    fig = go.Figure(charts.disruption_figure(dis))
    assert [t.name for t in fig.data] == ["before", "after"]
    assert list(fig.data[0].y) == [100.0] and list(fig.data[1].y) == [80.0]
    assert list(fig.data[0].x) == ["2025-01-05 unlink mia (7d)"]
    assert fig.layout.annotations[0].text.replace("<br>", " ") == DISRUPTION_CAVEAT == fig.layout.meta["caption"]
    many = pd.concat([dis.assign(change=float(i), username=f"u{i}") for i in range(30)], ignore_index=True)
    assert len(charts.disruption_figure(many, top=5)["data"][0]["x"]) == 5


def test_funnel_figure_per_channel() -> None:
    fun = pd.DataFrame(
        {
            "channel": ["LIVE", "VIDEO"],
            "product_impressions": [100, 50],
            "product_page_views": [10, 5],
            "buyers": [2, 1],
        }
    )
    fig = go.Figure(charts.funnel_figure(fun))
    assert [(t.name, list(t.x)) for t in fig.data] == [("LIVE", [100, 10, 2]), ("VIDEO", [50, 5, 1])]


def test_plotly_config_has_no_cloud_or_share_buttons_and_a_minimal_modebar() -> None:
    cfg = charts.PLOTLY_CONFIG
    assert cfg["displaylogo"] is False
    assert cfg["showLink"] is False and cfg["showSendToCloud"] is False and cfg["showEditInChartStudio"] is False
    assert {"sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"} <= set(cfg["modeBarButtonsToRemove"])
    bundle = charts.mime_bundle(charts.funnel_figure(pd.DataFrame(columns=["channel"])))
    assert bundle["application/vnd.plotly.v1+json"]["config"] is cfg


def test_empty_charts_say_why() -> None:
    empty_changes = charts.disruption_figure(pd.DataFrame(columns=["at", "currency"]))
    assert empty_changes["data"] == []
    assert empty_changes["layout"]["annotations"][0]["text"] == "No link changes in this period."
    custom = charts.gmv_by_account_figure(pd.DataFrame(columns=["day", "username", "currency", "gmv"]), reason="why")
    assert custom["layout"]["meta"]["empty_reason"] == "why"
    go.Figure(custom)  # a valid plotly figure


def test_daily_charts_use_a_date_axis_and_titles_carry_the_definition() -> None:
    daily = pd.DataFrame(
        {
            "day": pd.Series(pd.to_datetime(["2025-01-01", "2025-01-02"]), dtype="datetime64[us]"),
            "username": ["ann", "ann"],
            "currency": ["USD", "USD"],
            "gmv": [1.0, 2.0],
        }
    )
    fig = charts.gmv_by_account_figure(daily)
    assert fig["data"][0]["x"] == ["2025-01-01", "2025-01-02"]
    assert fig["layout"]["xaxis"]["type"] == "date"
    assert "GMV by payment time" in fig["layout"]["title"]["text"] and "USD" in fig["layout"]["title"]["text"]
    # caption under the axis, wrapped for a 420 px screen; the legend in its own band under the caption
    caption = fig["layout"]["annotations"][0]
    assert caption["y"] == 0 and caption["yshift"] < 0 and caption["yanchor"] == "top"
    lines = caption["text"].split("<br>")
    assert len(lines) > 1 and all(len(line) <= charts.CAPTION_CHARS for line in lines)
    shown = charts.fitted(fig)["layout"]
    legend_top = shown["legend"]["y"] * shown["height"]  # pixels above the figure's bottom edge
    caption_bottom = shown["margin"]["b"] + caption["yshift"] - 14 * len(lines)  # likewise
    assert shown["legend"]["yref"] == "container" and shown["legend"]["yanchor"] == "top"
    assert legend_top <= caption_bottom
    assert charts.fitted(charts.funnel_figure(pd.DataFrame(columns=["channel"]))) is not None
