from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from linkkit.analytics import attribution
from linkkit.analytics.attribution import (
    attribute_content,
    attribute_orders,
    channel_gmv_by_link_state,
    daily_gmv_by_link,
    link_changes,
    validate_links,
)
from linkkit.errors import DataFormatError

from .conftest import make_links, utc


def orders_frame(rows: list[tuple[str, str, str | None, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shop_id": pd.Series([r[0] for r in rows], dtype="str"),
            "order_id": pd.Series([r[1] for r in rows], dtype="str"),
            "paid_time": pd.Series([utc(r[2]) if r[2] else pd.NaT for r in rows], dtype="datetime64[us, UTC]"),
            "gmv": pd.Series([r[3] for r in rows], dtype="float64"),
            "currency": pd.Series([r[4] for r in rows], dtype="str"),
        }
    )


def test_orders_at_link_and_unlink_instants_and_in_gaps(links: pd.DataFrame) -> None:
    orders = orders_frame(
        [
            ("s1", "o1", "2025-01-01T00:00:00", 10.0, "USD"),  # exactly at link: inside ann
            ("s1", "o2", "2025-01-10T11:59:59.999999", 20.0, "USD"),  # last microsecond of ann
            ("s1", "o3", "2025-01-10T12:00:00", 30.0, "USD"),  # exactly at unlink: outside (half-open)
            ("s1", "o4", "2025-01-11T09:00:00", 40.0, "USD"),  # in the gap
            ("s1", "o5", "2025-01-12T00:00:00", 50.0, "USD"),  # exactly at bob's link
            ("s1", "o6", None, 60.0, "USD"),  # unpaid: no time, never inside
            ("s2", "o7", "2024-12-31T23:59:59", 70.0, "USD"),  # before zed
        ]
    )
    got = attribute_orders(orders, links)
    expected = orders_frame(
        [
            ("s1", "o1", "2025-01-01T00:00:00", 10.0, "USD"),
            ("s1", "o2", "2025-01-10T11:59:59.999999", 20.0, "USD"),
            ("s1", "o3", "2025-01-10T12:00:00", 30.0, "USD"),
            ("s1", "o4", "2025-01-11T09:00:00", 40.0, "USD"),
            ("s1", "o5", "2025-01-12T00:00:00", 50.0, "USD"),
            ("s1", "o6", None, 60.0, "USD"),
            ("s2", "o7", "2024-12-31T23:59:59", 70.0, "USD"),
        ]
    )
    expected["link_id"] = pd.Series(["L1", "L1", None, None, "L2", None, None], dtype="str")
    expected["username"] = pd.Series(["ann", "ann", None, None, "bob", None, None], dtype="str")
    expected["role"] = pd.Series(["official", "official", None, None, "official", None, None], dtype="str")
    expected["credited_by"] = pd.Series(["precedence", "precedence", None, None, "precedence", None, None], dtype="str")
    expected["in_link"] = [True, True, False, False, True, False, False]
    assert_frame_equal(got, expected)


def test_daily_gmv_by_link_hand_computed_multi_currency(links: pd.DataFrame) -> None:
    orders = orders_frame(
        [
            ("s1", "o1", "2025-01-01T01:00:00", 10.0, "USD"),
            ("s1", "o2", "2025-01-01T23:00:00", 5.5, "USD"),
            ("s1", "o3", "2025-01-01T23:30:00", 7.0, "MXN"),  # other currency: its own row
            ("s1", "o4", "2025-01-10T12:00:00", 99.0, "USD"),  # at ann's unlink: dropped (gap)
            ("s1", "o5", "2025-01-12T08:00:00", 3.0, "USD"),
            ("s2", "o6", "2025-01-02T00:00:00", 4.0, "USD"),
            ("s2", "o7", None, 4.0, "USD"),
        ]
    )
    got = daily_gmv_by_link(orders, links)
    expected = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1", "s1", "s1", "s2"], dtype="str"),
            "username": pd.Series(["ann", "ann", "bob", "zed"], dtype="str"),
            "role": pd.Series(["official"] * 4, dtype="str"),
            "day": pd.Series(
                pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-12", "2025-01-02"]), dtype="datetime64[us]"
            ),
            "currency": pd.Series(["MXN", "USD", "USD", "USD"], dtype="str"),
            "gmv": [7.0, 15.5, 3.0, 4.0],
            "orders": pd.array([1, 2, 1, 1], dtype="Int64"),
        }
    )
    assert_frame_equal(got, expected)


def test_daily_gmv_by_link_days_follow_the_time_zone(links: pd.DataFrame) -> None:
    # 2025-01-02T03:00Z is still Jan 1 in Los Angeles
    orders = orders_frame([("s2", "o1", "2025-01-02T03:00:00", 4.0, "USD")])
    got = daily_gmv_by_link(orders, links, tz="America/Los_Angeles")
    assert got["day"].tolist() == [pd.Timestamp("2025-01-01")]
    utc_day = daily_gmv_by_link(orders, links)
    assert utc_day["day"].tolist() == [pd.Timestamp("2025-01-02")]


def test_daily_gmv_by_link_from_parquet_matches_frame(links: pd.DataFrame, tmp_path) -> None:
    orders = orders_frame(
        [("s1", "o1", "2025-01-03T01:00:00", 10.0, "USD"), ("s2", "o2", "2025-01-03T02:00:00", 2.0, "USD")]
    )
    orders.to_parquet(tmp_path / "o.parquet")
    links.to_parquet(tmp_path / "l.parquet")
    assert_frame_equal(
        daily_gmv_by_link(tmp_path / "o.parquet", tmp_path / "l.parquet"), daily_gmv_by_link(orders, links)
    )


def content_rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """rows: (shop_id, username, time, account_type)."""
    return pd.DataFrame(
        {
            "shop_id": pd.Series([r[0] for r in rows], dtype="str"),
            "username": pd.Series([r[1] for r in rows], dtype="str"),
            "time": pd.Series([utc(r[2]) for r in rows], dtype="datetime64[us, UTC]"),
            "account_type": pd.Series([r[3] for r in rows], dtype="str"),
            "gmv": [1.0] * len(rows),
        }
    )


def test_attribute_content_by_shop_username_and_time(links: pd.DataFrame) -> None:
    content = content_rows(
        [
            ("s1", "ann", "2025-01-05T10:00:00", "OFFICIAL_ACCOUNTS"),
            ("s1", "ANN", "2025-01-10T12:00:00", "OFFICIAL_ACCOUNTS"),  # at unlink instant: not linked any more
            ("s1", "mia", "2025-01-05T10:00:00", "MARKETING_ACCOUNTS"),
            ("s2", "mia", "2025-01-05T10:00:00", "MARKETING_ACCOUNTS"),  # mia is linked to s1, not s2
            ("s1", "creator9", "2025-01-05T10:00:00", "AFFILIATE_ACCOUNTS"),
        ]
    )
    got = attribute_content(content, links)
    assert got["link_id"].tolist()[:1] == ["L1"]
    by_row = dict(
        zip(zip(got["shop_id"], got["username"], got["time"].astype(str), strict=True), got["source"], strict=True)
    )
    assert by_row[("s1", "ann", "2025-01-05 10:00:00+00:00")] == "official"
    assert by_row[("s1", "ANN", "2025-01-10 12:00:00+00:00")] == "unlinked"
    assert by_row[("s1", "mia", "2025-01-05 10:00:00+00:00")] == "marketing"
    assert by_row[("s2", "mia", "2025-01-05 10:00:00+00:00")] == "unlinked"
    assert by_row[("s1", "creator9", "2025-01-05 10:00:00+00:00")] == "affiliate"
    assert len(got) == len(content)


def test_overlapping_official_links_are_rejected() -> None:
    bad = make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", "2025-01-10T00:00:00"),
        ("L2", "s1", "bob", "official", "2025-01-09T00:00:00", None),
    )
    with pytest.raises(DataFormatError) as info:
        validate_links(bad)
    assert "overlap" in info.value.message
    assert info.value.reason == "data_format_invalid"


def test_same_account_in_two_roles_at_once_is_rejected() -> None:
    bad = make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", None),
        ("L2", "s1", "Ann", "marketing", "2025-01-05T00:00:00", None),
    )
    with pytest.raises(DataFormatError):
        attribute_content(content_rows([("s1", "ann", "2025-01-06T00:00:00", "ALL")]), bad)


def test_touching_links_are_not_overlapping() -> None:
    ok = make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", "2025-01-10T00:00:00"),
        ("L2", "s1", "bob", "official", "2025-01-10T00:00:00", None),
    )
    assert validate_links(ok) is ok


def test_link_ending_before_it_starts_and_bad_roles_are_rejected() -> None:
    backwards = make_links(("L1", "s1", "ann", "official", "2025-01-10T00:00:00", "2025-01-01T00:00:00"))
    with pytest.raises(DataFormatError) as info:
        validate_links(backwards)
    assert info.value.column == "unlinked_at"
    weird = make_links(("L1", "s1", "ann", "owner", "2025-01-10T00:00:00", None))
    with pytest.raises(DataFormatError) as info2:
        validate_links(weird)
    assert info2.value.column == "role"


def test_channel_gmv_by_link_state(links: pd.DataFrame) -> None:
    perf = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1", "s1", "s1", "s1"], dtype="str"),
            "date": pd.Series(
                pd.to_datetime(["2025-01-09", "2025-01-10", "2025-01-11", "2025-01-12"]), dtype="datetime64[us]"
            ),
            "channel": pd.Series(["LIVE"] * 4, dtype="str"),
            "gmv": [1.0, 2.0, 3.0, 4.0],
            "currency": pd.Series(["USD"] * 4, dtype="str"),
        }
    )
    got = channel_gmv_by_link_state(perf, links)
    expected = perf.copy()
    expected["official_username"] = pd.Series(["ann", None, None, "bob"], dtype="str")
    expected["official_state"] = pd.Series(["linked", "partial", "unlinked", "linked"], dtype="str")
    expected["marketing_accounts"] = pd.array([1, 1, 1, 1], dtype="Int64")
    assert_frame_equal(got, expected)


def test_link_changes_kinds() -> None:
    links = make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", "2025-01-10T12:00:00"),
        ("L2", "s1", "bob", "official", "2025-01-10T15:00:00", None),  # replace (3 h later)
        ("L3", "s1", "mia", "marketing", "2025-01-01T00:00:00", "2025-01-05T00:00:00"),
        ("L4", "s1", "mia", "marketing", "2025-01-08T00:00:00", None),  # relink
    )
    got = link_changes(links)
    expected = pd.DataFrame(
        {
            "at": pd.Series(
                [
                    utc("2025-01-01"),
                    utc("2025-01-01"),
                    utc("2025-01-05"),
                    utc("2025-01-08"),
                    utc("2025-01-10T15:00:00"),
                ],
                dtype="datetime64[us, UTC]",
            ),
            "shop_id": pd.Series(["s1"] * 5, dtype="str"),
            "kind": pd.Series(["link", "link", "unlink", "relink", "replace"], dtype="str"),
            "username": pd.Series(["ann", "mia", "mia", "mia", "bob"], dtype="str"),
            "role": pd.Series(["official", "marketing", "marketing", "marketing", "official"], dtype="str"),
            "previous_username": pd.Series([None, None, None, None, "ann"], dtype="str"),
        }
    )
    assert_frame_equal(got, expected)


def test_late_official_is_unlink_then_link_not_replace() -> None:
    links = make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", "2025-01-10T00:00:00"),
        ("L2", "s1", "bob", "official", "2025-01-15T00:00:00", None),
    )
    assert link_changes(links)["kind"].tolist() == ["link", "unlink", "link"]
    assert attribution.CHANGE_KINDS == ("link", "unlink", "relink", "replace")
