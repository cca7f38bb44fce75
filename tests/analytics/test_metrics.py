from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from linkkit.analytics.metrics import (
    DISRUPTION_CAVEAT,
    GMV_DEFINITION,
    channel_split,
    convert_currency,
    disruption,
    funnel,
    gmv_metrics,
    gmv_share,
    order_table,
)
from linkkit.errors import DataFormatError

from .conftest import utc


def lines() -> pd.DataFrame:
    """Three orders; o1 has two lines (order_amount repeated only on line 1, as the loader leaves it)."""
    return pd.DataFrame(
        {
            "shop_id": pd.Series(["s1", "s1", "s1", "s1", "s1"], dtype="str"),
            "order_id": pd.Series(["o1", "o1", "o2", "o3", "o4"], dtype="str"),
            "line_no": pd.array([1, 2, 1, 1, 1], dtype="Int64"),
            "status": pd.Series(["COMPLETED", "COMPLETED", "CANCELLED", "UNPAID", "COMPLETED"], dtype="str"),
            "cancel_return_type": pd.Series([None, None, "Cancel", None, "Return/Refund"], dtype="str"),
            "created_time": pd.Series(
                [
                    utc("2025-01-06T10:00"),
                    utc("2025-01-06T10:00"),
                    utc("2025-01-07T10:00"),
                    utc("2025-01-08T10:00"),
                    utc("2025-02-01T10:00"),
                ],
                dtype="datetime64[us, UTC]",
            ),
            "paid_time": pd.Series(
                [
                    utc("2025-01-06T10:05"),
                    utc("2025-01-06T10:05"),
                    utc("2025-01-07T10:05"),
                    pd.NaT,
                    utc("2025-02-01T10:05"),
                ],
                dtype="datetime64[us, UTC]",
            ),
            "quantity": pd.array([1, 2, 1, 1, 3], dtype="Int64"),
            "line_amount": [10.0, 20.0, 5.0, 7.0, 30.0],
            "order_amount": [35.0, None, 5.0, 7.0, 30.0],
            "currency": pd.Series(["USD"] * 5, dtype="str"),
            "buyer": pd.Series(["b1", "b1", "b2", "b3", "b1"], dtype="str"),
        }
    )


def test_order_table_collapses_lines_without_double_counting() -> None:
    got = order_table(lines())
    assert got["order_id"].tolist() == ["o1", "o2", "o3", "o4"]
    assert got["gmv"].tolist() == [30.0, 5.0, 7.0, 30.0]
    assert got["order_amount"].tolist() == [35.0, 5.0, 7.0, 30.0]
    assert got["units"].tolist() == [3, 1, 1, 3]
    assert got["cancelled"].tolist() == [False, True, False, False]
    assert got["refunded"].tolist() == [False, False, False, True]


def test_gmv_by_month_counts_cancelled_and_refunded_but_not_unpaid() -> None:
    got = gmv_metrics(order_table(lines()), by=["shop_id"], freq="M")
    expected = pd.DataFrame(
        {
            "period": pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01"]), dtype="datetime64[us]"),
            "shop_id": pd.Series(["s1", "s1"], dtype="str"),
            "currency": pd.Series(["USD", "USD"], dtype="str"),
            "gmv": [35.0, 30.0],
            "orders": pd.array([2, 1], dtype="Int64"),
            "units": pd.array([4, 3], dtype="Int64"),
            "buyers": pd.array([2, 1], dtype="Int64"),
            "aov": [17.5, 30.0],
        }
    )
    assert_frame_equal(got, expected)
    assert "payment time" in GMV_DEFINITION and "refunded" in GMV_DEFINITION


def test_gmv_by_week_and_day_and_total() -> None:
    orders = order_table(lines())
    week = gmv_metrics(orders, freq="W")
    assert week["period"].tolist() == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-27")]  # Mondays
    day = gmv_metrics(orders, freq="D")
    assert day["gmv"].tolist() == [30.0, 5.0, 30.0]
    total = gmv_metrics(orders, freq=None)
    assert list(total.columns) == ["currency", "gmv", "orders", "units", "buyers", "aov"]
    assert total["gmv"].tolist() == [65.0]
    with pytest.raises(ValueError):
        gmv_metrics(orders, freq="Y")  # type: ignore[arg-type]


def test_gmv_day_boundaries_follow_time_zone() -> None:
    orders = order_table(lines())
    tokyo = gmv_metrics(orders, freq="D", tz="Asia/Tokyo")  # 10:05 UTC is 19:05 in Tokyo: same day
    assert tokyo["period"].tolist()[0] == pd.Timestamp("2025-01-06")
    honolulu = gmv_metrics(orders, freq="D", tz="Pacific/Honolulu")  # 00:05 local, same date
    assert honolulu["period"].tolist()[0] == pd.Timestamp("2025-01-06")
    late = order_table(lines().assign(paid_time=lambda f: f["paid_time"] - pd.Timedelta(hours=10, minutes=30)))
    assert gmv_metrics(late, freq="D", tz="Pacific/Honolulu")["period"].tolist()[0] == pd.Timestamp("2025-01-05")


def test_currencies_are_never_summed_together() -> None:
    mixed = lines()
    mixed.loc[mixed["order_id"] == "o4", "currency"] = "MXN"
    got = gmv_metrics(order_table(mixed), freq=None)
    assert got[["currency", "gmv"]].values.tolist() == [["MXN", 30.0], ["USD", 35.0]]
    converted = convert_currency(got, {"MXN": 0.05}, to="USD")
    assert converted["currency"].tolist() == ["USD", "USD"]
    assert converted["gmv"].tolist() == [1.5, 35.0]
    with pytest.raises(DataFormatError) as info:
        convert_currency(got, {"EUR": 1.1}, to="USD")
    assert "MXN" in info.value.message
    rates = pd.DataFrame({"currency": ["MXN"], "rate": [0.05]})
    assert convert_currency(got, rates, to="USD")["gmv"].tolist() == [1.5, 35.0]


def perf() -> pd.DataFrame:
    rows = []
    for date, (live, video, card) in {"2025-01-01": (10.0, 20.0, 70.0), "2025-01-02": (30.0, 0.0, 70.0)}.items():
        rows.append(("s1", date, "ALL", live + video + card, 9, 100 + 200 + 300, 10 + 20 + 30))
        for ch, g, buyers, imp, pv in (
            ("LIVE", live, 1, 100, 10),
            ("VIDEO", video, 2, 200, 20),
            ("PRODUCT_CARD", card, 6, 300, 30),
        ):
            rows.append(("s1", date, ch, g, buyers, imp, pv))
    return pd.DataFrame(
        {
            "shop_id": pd.Series([r[0] for r in rows], dtype="str"),
            "date": pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[us]"),
            "channel": pd.Series([r[2] for r in rows], dtype="str"),
            "gmv": [r[3] for r in rows],
            "currency": pd.Series(["USD"] * len(rows), dtype="str"),
            "buyers": pd.array([r[4] for r in rows], dtype="Int64"),
            "product_impressions": pd.array([r[5] for r in rows], dtype="Int64"),
            "product_page_views": pd.array([r[6] for r in rows], dtype="Int64"),
        }
    )


def test_channel_split() -> None:
    got = channel_split(perf())
    expected = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1"] * 3, dtype="str"),
            "currency": pd.Series(["USD"] * 3, dtype="str"),
            "channel": pd.Series(["LIVE", "PRODUCT_CARD", "VIDEO"], dtype="str"),
            "gmv": [40.0, 140.0, 20.0],
            "share": [0.2, 0.7, 0.1],
        }
    )
    assert_frame_equal(got, expected)
    daily = channel_split(perf(), freq="D")
    assert daily["share"].round(3).tolist() == [0.1, 0.7, 0.2, 0.3, 0.7, 0.0]


def test_funnel() -> None:
    got = funnel(perf())
    expected = pd.DataFrame(
        {
            "channel": pd.Series(["LIVE", "PRODUCT_CARD", "VIDEO"], dtype="str"),
            "product_impressions": pd.array([200, 600, 400], dtype="Int64"),
            "product_page_views": pd.array([20, 60, 40], dtype="Int64"),
            "buyers": pd.array([2, 12, 4], dtype="Int64"),
            "page_view_rate": [0.1, 0.1, 0.1],
            "buyer_rate": [0.1, 0.2, 0.1],
        }
    )
    assert_frame_equal(got, expected)


def daily_gmv(values: list[float], start: str = "2025-01-01") -> pd.DataFrame:
    days = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame(
        {
            "shop_id": pd.Series(["s1"] * len(values), dtype="str"),
            "day": pd.Series(days, dtype="datetime64[us]"),
            "currency": pd.Series(["USD"] * len(values), dtype="str"),
            "gmv": values,
        }
    )


def changes(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": pd.Series([utc(r[0]) for r in rows], dtype="datetime64[us, UTC]"),
            "shop_id": pd.Series(["s1"] * len(rows), dtype="str"),
            "kind": pd.Series([r[1] for r in rows], dtype="str"),
            "username": pd.Series([r[2] for r in rows], dtype="str"),
            "role": pd.Series(["official"] * len(rows), dtype="str"),
        }
    )


def test_disruption_equal_windows_skip_the_event_day() -> None:
    # days 1..10 (Jan 1..10) gmv = 1..10; change on Jan 5 at noon; window 3: before Jan 2-4, after Jan 6-8
    got = disruption(
        daily_gmv([float(i) for i in range(1, 11)]), changes(("2025-01-05T12:00", "replace", "bob")), window_days=3
    )
    assert got["window_days"].tolist() == [3]
    assert got["gmv_before"].tolist() == [2 + 3 + 4]
    assert got["gmv_after"].tolist() == [6 + 7 + 8]
    assert got["change"].tolist() == [12.0]
    assert got["change_pct"].tolist() == [12.0 / 9.0]
    assert got["before_start"].tolist() == [pd.Timestamp("2025-01-02")]
    assert got["after_end"].tolist() == [pd.Timestamp("2025-01-09")]
    assert got["caveat"].tolist() == [DISRUPTION_CAVEAT]


def test_disruption_windows_shrink_to_equal_lengths_and_count_missing_days_as_zero() -> None:
    data = daily_gmv([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])  # Jan 1..6
    data = data[data["day"] != pd.Timestamp("2025-01-05")]  # no sales row on Jan 5
    got = disruption(
        data, changes(("2025-01-03T08:00", "unlink", "ann"), ("2025-01-06T08:00", "relink", "ann")), window_days=7
    )
    assert got["kind"].tolist() == ["unlink", "relink"]
    assert got["window_days"].tolist() == [2, 0]  # Jan 3: 2 days each side; Jan 6 is the last day: no after window
    assert got["gmv_before"].tolist()[0] == 2.0
    assert got["gmv_after"].tolist()[0] == 1.0  # Jan 4 = 1, Jan 5 missing = 0
    assert pd.isna(got["gmv_before"].tolist()[1])
    assert got["other_changes"].tolist() == [0, 0]


def test_gmv_share_linked_vs_affiliates() -> None:
    content = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1"] * 4, dtype="str"),
            "currency": pd.Series(["USD"] * 4, dtype="str"),
            "source": pd.Series(["official", "marketing", "affiliate", "official"], dtype="str"),
            "gmv": [10.0, 20.0, 30.0, 10.0],
        }
    )
    got = gmv_share(content, perf())
    expected = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1"] * 4, dtype="str"),
            "currency": pd.Series(["USD"] * 4, dtype="str"),
            "source": pd.Series(["affiliate", "marketing", "official", "other"], dtype="str"),
            "gmv": [30.0, 20.0, 20.0, 130.0],
            "share": [0.15, 0.1, 0.1, 0.65],
        }
    )
    assert_frame_equal(got, expected)
    assert gmv_share(content)["share"].tolist() == pytest.approx([30 / 70, 20 / 70, 20 / 70])
