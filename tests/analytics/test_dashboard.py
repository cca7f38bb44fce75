from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from linkkit.analytics import AnalyticsData, demo
from linkkit.analytics.dashboard import DashboardModel, Filters
from linkkit.ui.analytics_view import EMPTY_MESSAGE, AnalyticsView


@pytest.fixture(scope="module")
def data() -> AnalyticsData:
    return demo.demo_data()


def test_demo_is_deterministic(data: AnalyticsData) -> None:
    again = demo.demo_data()
    pd.testing.assert_frame_equal(again.orders, data.orders)
    pd.testing.assert_frame_equal(again.content, data.content)
    pd.testing.assert_frame_equal(again.performance, data.performance)


def test_model_views_follow_filters(data: AnalyticsData) -> None:
    model = DashboardModel(data)
    everything = model.view(Filters())
    assert sorted(everything.kpis["currency"]) == ["GBP", "IDR", "USD"]
    us = model.view(Filters(shop_id="shop-us-1"))
    assert set(us.account_daily["shop_id"]) == {"shop-us-1"}
    assert us.changes["kind"].tolist() == ["link", "link", "link", "unlink", "relink", "replace"]
    assert set(us.disruption["kind"]) == {"unlink", "relink", "replace"}
    live = model.view(
        Filters(
            shop_id="shop-us-1", channel="LIVE", role="official", start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28)
        )
    )
    assert set(live.channel_daily["channel"]) == {"LIVE"}
    assert set(live.account_daily["role"]) == {"official"}
    assert live.account_daily["day"].min() >= pd.Timestamp("2025-02-01")
    assert live.account_daily["day"].max() <= pd.Timestamp("2025-02-28")
    # KPIs for the Official account count only orders inside its link intervals
    ann = model.view(Filters(shop_id="shop-us-1", username="glowlab"))
    bob = model.view(Filters(shop_id="shop-us-1", username="glowlab.official"))
    orders = data.orders[(data.orders["shop_id"] == "shop-us-1") & (data.orders["line_no"] == 1)]
    gap = orders["paid_time"].between(
        pd.Timestamp("2025-02-15T14:00Z"), pd.Timestamp("2025-02-15T16:30Z"), inclusive="left"
    )
    assert gap.sum() > 0  # sold while no Official account was linked
    assert ann.kpis["orders"].iloc[0] + bob.kpis["orders"].iloc[0] + gap.sum() == us.kpis["orders"].iloc[0]
    assert model.view(Filters(shop_id="nowhere")).is_empty


def test_view_renders_demo_and_reacts_to_filters(data: AnalyticsData) -> None:
    view = AnalyticsView(data)
    assert view.widget is not None and view.model is not None
    assert view._empty.layout.display == "none"
    assert set(view.figures) == {"gmv", "channels", "disruption", "funnel"}
    view._shop.value = "shop-us-1"
    assert [v for _, v in view._account.options][1:] == ["glowlab", "glowlab.deals", "glowlab.live", "glowlab.official"]
    view._channel.value = "VIDEO"
    assert view.frames is not None and view.frames.filters.channel == "VIDEO"
    assert {t.name.split(" (")[0] for t in view.figures["channels"].data} == {"VIDEO"}
    assert "GMV" in view._tiles.value and "USD" in view._tiles.value


def test_view_empty_state_and_download(data: AnalyticsData) -> None:
    empty = AnalyticsView()
    assert empty.model is None and empty._empty.value == EMPTY_MESSAGE
    assert empty._content.layout.display == "none"
    view = AnalyticsView(data)
    view._on_download()
    assert view._link.value.startswith("<a download='linkkit-analytics.csv'")
    _name, payload = view._last_download
    table = pd.read_csv(io.BytesIO(payload))
    assert {"kind", "gmv", "currency"} <= set(table.columns) and len(table) > 0
    view._format.value = "Parquet"
    view._on_download()
    assert pd.read_parquet(io.BytesIO(view._last_download[1])).shape == table.shape


def test_bad_upload_shows_the_error_and_keeps_the_data(data: AnalyticsData) -> None:
    view = AnalyticsView(data)
    view._on_upload({"new": [{"name": "notes.csv", "content": b"hello,world\n1,2\n"}]})
    assert "not a Seller Center order export" in view._error.value
    assert view.model is not None and view.model.data is data


def test_good_upload_replaces_orders() -> None:
    view = AnalyticsView()
    view._on_upload({"new": [{"name": "orders.csv", "content": demo.sample_export("GB")}]})
    assert view._error.value == ""
    assert view.model is not None and "export orders.csv" in view._status.value


def test_usernames_are_escaped_in_html(data: AnalyticsData) -> None:
    links = data.links.copy()
    links.loc[links["username"] == "glowlab.live", "username"] = "<script>x</script>"
    content = data.content.copy()
    content.loc[content["username"] == "glowlab.live", "username"] = "<script>x</script>"
    view = AnalyticsView(
        AnalyticsData(
            links=links,
            events=data.events,
            orders=data.orders,
            performance=data.performance,
            content=content,
            source="<b>src</b>",
        )
    )
    assert "<b>src</b>" not in view._status.value and "&lt;b&gt;src&lt;/b&gt;" in view._status.value
    names = [t.name for t in view.figures["gmv"].data]
    assert not any("<script>" in (n or "") for n in names)


def test_loader_runs_in_a_thread_with_progress(data: AnalyticsData) -> None:
    calls = []

    def loader(progress):
        progress(1, 2, "half way")
        calls.append("loaded")
        return data

    view = AnalyticsView(loader=loader)
    view._on_load()
    view._thread.join(timeout=30)
    assert calls == ["loaded"] and view.model is not None and not view._load.disabled
