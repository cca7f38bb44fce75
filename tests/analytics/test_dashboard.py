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
    official = model.view(
        Filters(shop_id="shop-us-1", role="official", start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28))
    )
    assert set(official.account_daily["role"]) == {"official"}
    assert official.account_daily["day"].min() >= pd.Timestamp("2025-02-01")
    assert official.account_daily["day"].max() <= pd.Timestamp("2025-02-28")
    # each order counted once: the accounts' orders add up to the shop's orders
    orders = data.orders[(data.orders["shop_id"] == "shop-us-1") & data.orders["paid_time"].notna()]
    gap = orders["paid_time"].between(
        pd.Timestamp("2025-02-15T14:00Z"), pd.Timestamp("2025-02-15T16:30Z"), inclusive="left"
    )
    assert orders.loc[gap, "order_id"].nunique() > 0  # sold while no Official account was linked
    per_account = sum(
        int(model.view(Filters(shop_id="shop-us-1", username=u)).kpis["orders"].sum())
        for u, _ in model.accounts("shop-us-1")
    )
    shop_orders = int(us.kpis["orders"].iloc[0])
    assert shop_orders == orders["order_id"].nunique()
    assert per_account == shop_orders  # nothing unattributed here: Marketing links cover the Official gap
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
    assert {t["name"].split(" (")[0] for t in view.figures["channels"]["data"]} == {"VIDEO"}
    # demo orders, like real exports, do not say their channel: the tiles say so instead of "no sales"
    assert "do not say which channel" in view._tiles.value
    view._channel.value = "__all__"
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
    names = [t["name"] for t in view.figures["gmv"]["data"]]
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


# -- the attribution rule, currencies, shops and empty states in the dashboard ---------------------------


def overlap_data() -> AnalyticsData:
    from .conftest import make_links
    from .test_overlap_rule import overlap_example

    orders, links = overlap_example()
    lines = orders.assign(line_no=1, line_amount=orders["gmv"], order_amount=orders["gmv"], quantity=1,
                          status="COMPLETED", created_time=orders["paid_time"], buyer=["b1", "b2", "b1"])
    lines = lines.drop(columns="gmv")
    second_shop = make_links(("L9", "s2", "other", "official", "2025-01-01T00:00:00", None))
    return AnalyticsData(links=pd.concat([links, second_shop], ignore_index=True), orders=lines, source="test")


def test_dashboard_counts_the_overlap_example_once() -> None:
    model = DashboardModel(overlap_data())
    view = model.view(Filters(shop_id="s1"))
    assert view.kpis["gmv"].tolist() == [70.0] and view.kpis["linked_gmv"].tolist() == [70.0]
    assert view.kpis["orders"].tolist() == [3] and view.kpis["buyers"].tolist() == [2]
    assert view.account_daily.groupby("username")["gmv"].sum().to_dict() == {"off": 70.0}
    marketing_first = DashboardModel(overlap_data(), precedence=("marketing", "official")).view(Filters(shop_id="s1"))
    assert marketing_first.account_daily.groupby("username")["gmv"].sum().to_dict() == {"mkt": 20.0, "off": 50.0}
    assert marketing_first.kpis["gmv"].tolist() == [70.0]


def test_dashboard_reads_orders_straight_from_parquet(tmp_path) -> None:
    from .test_overlap_rule import overlap_example

    orders, _ = overlap_example()
    orders.to_parquet(tmp_path / "orders.parquet")
    model = DashboardModel(overlap_data(), orders=tmp_path / "orders.parquet")
    assert model.view(Filters()).kpis["gmv"].tolist() == [70.0]


def test_currency_filter_never_mixes_money(data: AnalyticsData) -> None:
    model = DashboardModel(data)
    assert model.currencies() == ["GBP", "IDR", "USD"]
    gbp = model.view(Filters(currency="GBP"))
    assert gbp.kpis["currency"].tolist() == ["GBP"]
    assert set(gbp.account_daily["currency"]) == {"GBP"} and set(gbp.channel_daily["currency"]) == {"GBP"}
    every = model.view(Filters())
    assert every.kpis.set_index("currency").loc["GBP", "gmv"] == pytest.approx(gbp.kpis["gmv"].iloc[0])


def test_one_shop_shows_only_its_accounts_and_markers_by_name(data: AnalyticsData) -> None:
    model = DashboardModel(data)
    assert [name for name, _ in model.shops()] == ["Glow Lab UK", "Glow Lab US", "Toko Cantik"]
    gb = model.view(Filters(shop_id="shop-gb-1"))
    assert set(gb.account_daily["shop_id"].dropna()) == {"shop-gb-1"}
    assert set(gb.changes["shop_id"]) <= {"shop-gb-1"}
    assert {u for u, _ in model.accounts("shop-gb-1")} == {"glowlab.uk", "glowlab.uk.offers"}
    names = {t["name"] for t in gb.figures()["gmv"]["data"]}
    assert not any("glowlab.deals" in n or "tokocantik" in n for n in names)


def test_empty_charts_say_why(data: AnalyticsData) -> None:
    model = DashboardModel(data)
    every = model.view(Filters())
    assert every.figures()["disruption"]["layout"]["meta"]["empty_reason"].startswith("Pick one shop")
    quiet = model.view(Filters(shop_id="shop-id-1", start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 10)))
    assert quiet.changes.empty
    assert quiet.figures()["disruption"]["layout"]["meta"]["empty_reason"] == "No link changes in this period."


def test_accounts_linked_after_the_last_order_say_so_instead_of_an_unexplained_empty_chart() -> None:
    from .conftest import make_links

    data = overlap_data()  # orders in January to March 2025
    late = make_links(("L7", "s1", "newbie", "official", "2025-06-02T09:30:00", None))
    model = DashboardModel(AnalyticsData(links=late, orders=data.orders, source="test"))
    reason = model.view(Filters(shop_id="s1")).figures()["gmv"]["layout"]["meta"]["empty_reason"]
    assert "linked on Jun 2, 2025, after the last order shown (Mar 15, 2025)" in reason
    same_day = make_links(("L7", "s1", "newbie", "official", "2025-03-15T23:00:00", None))
    model = DashboardModel(AnalyticsData(links=same_day, orders=data.orders, source="test"))
    reason = model.view(Filters(shop_id="s1")).figures()["gmv"]["layout"]["meta"]["empty_reason"]
    assert "linked on Mar 15, 2025, the day of the last order shown." in reason
    # an account linked before the orders but not credited (another shop's link) keeps the plain reason
    other = make_links(("L8", "s2", "elsewhere", "official", "2025-01-01T00:00:00", None))
    model = DashboardModel(AnalyticsData(links=other, orders=data.orders, source="test"))
    reason = model.view(Filters()).figures()["gmv"]["layout"]["meta"]["empty_reason"]
    assert reason == "No orders credited to a linked account in this view."


def test_loading_shows_placeholders_not_no_data(data: AnalyticsData) -> None:
    import threading

    from linkkit.ui.analytics_view import LOADING_SKELETON

    release = threading.Event()

    def loader(progress):
        release.wait(timeout=30)
        return AnalyticsData.empty()

    view = AnalyticsView(loader=loader)
    view.load()
    assert view._empty.value == LOADING_SKELETON and "No sales data" not in view._empty.value
    release.set()
    view.wait(timeout=30)
    assert view._empty.value == EMPTY_MESSAGE  # loaded, and really empty
