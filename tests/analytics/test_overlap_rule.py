"""The attribution rule when links overlap: every order credited once, shop totals equal shop GMV."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkkit.analytics.attribution import (
    DEFAULT_PRECEDENCE,
    attribute_orders,
    daily_gmv_by_link,
    validate_links,
)
from linkkit.errors import DataFormatError

from .conftest import make_links, utc

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def overlap_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The issue's example: Official all year, Marketing for February, $10/$20/$40 in Jan/Feb/Mar."""
    links = make_links(
        ("L1", "s1", "off", "official", "2025-01-01T00:00:00", None),
        ("L2", "s1", "mkt", "marketing", "2025-02-01T00:00:00", "2025-03-01T00:00:00"),
    )
    orders = pd.DataFrame(
        {
            "shop_id": pd.Series(["s1"] * 3, dtype="str"),
            "order_id": pd.Series(["jan", "feb", "mar"], dtype="str"),
            "paid_time": pd.Series(
                [utc("2025-01-15T10:00:00"), utc("2025-02-15T10:00:00"), utc("2025-03-15T10:00:00")],
                dtype="datetime64[us, UTC]",
            ),
            "gmv": [10.0, 20.0, 40.0],
            "currency": pd.Series(["USD"] * 3, dtype="str"),
        }
    )
    return orders, links


def test_overlap_example_daily_gmv_counts_70_not_90() -> None:
    orders, links = overlap_example()
    every = daily_gmv_by_link(orders, links, role=None)
    assert every["gmv"].sum() == 70.0
    assert every.groupby("username")["gmv"].sum().to_dict() == {"off": 70.0}
    official = daily_gmv_by_link(orders, links, role="official")
    marketing = daily_gmv_by_link(orders, links, role="marketing")
    assert official["gmv"].sum() + marketing["gmv"].sum() == 70.0


def test_overlap_example_precedence_is_configurable() -> None:
    orders, links = overlap_example()
    got = daily_gmv_by_link(orders, links, role=None, precedence=("marketing", "official"))
    assert got.groupby("username")["gmv"].sum().to_dict() == {"mkt": 20.0, "off": 50.0}
    assert set(got.loc[got["username"] == "mkt", "role"]) == {"marketing"}


def test_overlap_example_source_content_wins_over_precedence() -> None:
    orders, links = overlap_example()
    orders["source_username"] = pd.Series([None, "MKT", None], dtype="str")  # Feb's order came from mkt's video
    got = attribute_orders(orders, links, role=None)
    assert got["username"].tolist() == ["off", "mkt", "off"]
    assert got["credited_by"].tolist() == ["precedence", "content", "precedence"]
    daily = daily_gmv_by_link(orders, links, role=None)
    assert daily.groupby("username")["gmv"].sum().to_dict() == {"mkt": 20.0, "off": 50.0}


def test_order_from_an_unlinked_account_content_is_unattributed_not_official() -> None:
    orders, links = overlap_example()
    orders["source_username"] = pd.Series(["affiliate.amy", None, None], dtype="str")
    got = daily_gmv_by_link(orders, links, role=None, include_unattributed=True)
    by_user = got.groupby(got["username"].fillna("<none>"))["gmv"].sum().to_dict()
    assert by_user == {"<none>": 10.0, "off": 60.0}


def test_overlap_example_attribute_orders_credits_each_order_once() -> None:
    orders, links = overlap_example()
    got = attribute_orders(orders, links, role=None)
    assert got["link_id"].tolist() == ["L1", "L1", "L1"]
    assert got.loc[got["in_link"], "gmv"].sum() == 70.0
    only_marketing = attribute_orders(orders, links, role="marketing")
    assert not only_marketing["in_link"].any()


def test_overlap_example_from_parquet_files(tmp_path) -> None:
    orders, links = overlap_example()
    orders.to_parquet(tmp_path / "o.parquet")
    links.to_parquet(tmp_path / "l.parquet")
    got = daily_gmv_by_link(tmp_path / "o.parquet", tmp_path / "l.parquet", role=None)
    assert got["gmv"].sum() == 70.0


def test_more_links_than_a_smallint_counts_are_credited_right(tmp_path) -> None:
    """Orders are grouped by a link number of the narrowest type that counts every link: past 32,767 links
    it must widen, or the numbering overflows (in DuckDB a conversion error)."""
    n = 33_000
    one = make_links(("L", "s", "acc", "official", "2025-01-01T00:00:00", None))
    links = pd.concat([one] * n, ignore_index=True)
    links["link_id"] = [f"L{i}" for i in range(n)]
    links["shop_id"] = [f"s{i}" for i in range(n)]
    links["username"] = [f"acc{i}" for i in range(n)]
    orders = pd.DataFrame(
        {
            "shop_id": pd.Series([f"s{n - 1}", f"s{n - 1}", "s0"], dtype="str"),
            "paid_time": pd.Series([utc("2025-03-01T10:00:00")] * 3, dtype="datetime64[us, UTC]"),
            "gmv": [5.0, 7.0, 1.0],
        }
    )
    links.to_parquet(tmp_path / "l.parquet")
    for frame in (links, tmp_path / "l.parquet"):
        got = daily_gmv_by_link(orders, frame, role=None)
        assert got.set_index("username")["gmv"].to_dict() == {f"acc{n - 1}": 12.0, "acc0": 1.0}
    credited = attribute_orders(orders, links)
    assert credited["username"].tolist() == ["acc0", f"acc{n - 1}", f"acc{n - 1}"]


def test_two_official_links_at_once_are_refused_by_daily_gmv_naming_both_rows() -> None:
    orders, _ = overlap_example()
    bad = make_links(
        ("L1", "s1", "off", "official", "2025-01-01T00:00:00", None),
        ("L2", "s1", "mkt", "marketing", "2025-02-01T00:00:00", "2025-03-01T00:00:00"),
        ("L3", "s1", "off2", "official", "2025-02-10T00:00:00", "2025-02-20T00:00:00"),
    )
    with pytest.raises(DataFormatError) as info:
        daily_gmv_by_link(orders, bad, role=None)
    assert "L1 (row 1) and L3 (row 3)" in info.value.message
    assert info.value.row == 1
    assert info.value.reason == "data_format_invalid"


def test_same_account_twice_at_once_is_refused() -> None:
    bad = make_links(
        ("M1", "s1", "mia", "marketing", "2025-01-01T00:00:00", "2025-02-01T00:00:00"),
        ("M2", "s1", "Mia", "marketing", "2025-01-20T00:00:00", None),
    )
    with pytest.raises(DataFormatError) as info:
        attribute_orders(overlap_example()[0], bad)
    assert "M1 (row 1) and M2 (row 2)" in info.value.message
    assert "one account" in info.value.message


def test_five_marketing_links_at_once_are_refused_four_are_fine() -> None:
    rows = [(f"M{i}", "s1", f"m{i}", "marketing", f"2025-01-0{i}T00:00:00", None) for i in range(1, 6)]
    assert validate_links(make_links(*rows[:4])) is not None
    with pytest.raises(DataFormatError) as info:
        validate_links(make_links(*rows))
    assert "M5 (row 5)" in info.value.message


def test_precedence_must_name_both_roles() -> None:
    orders, links = overlap_example()
    with pytest.raises(ValueError, match="precedence"):
        daily_gmv_by_link(orders, links, precedence=("official",))


# -- property tests --------------------------------------------------------------------------------------

DAY_US = 86_400_000_000


def reference_credit(
    orders: list[dict[str, Any]], links: list[dict[str, Any]], precedence: tuple[str, ...]
) -> list[Any]:
    """The rule written the slow, obvious way: the link_id each order is credited to, or None."""
    rank = {r: i for i, r in enumerate(precedence)}
    out = []
    for o in orders:
        open_ = [lk for lk in links if lk["shop_id"] == o["shop_id"] and lk["a"] <= o["t"] < lk["b"]]
        if o["src"] is not None:
            hit = [lk for lk in open_ if lk["username"].lower() == o["src"].lower()]
            out.append(hit[0]["link_id"] if hit else None)
        elif open_:
            out.append(min(open_, key=lambda lk: (rank[lk["role"]], lk["a"], lk["link_id"]))["link_id"])
        else:
            out.append(None)
    return out


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    links: list[dict[str, Any]] = []
    shops = ["s1", "s2"]
    n = 0
    for shop in shops:
        # per account: sorted cut points → disjoint intervals; one Official account series, ≤ 4 Marketing accounts
        accounts = [("official", f"{shop}-off{i}") for i in range(draw(st.integers(0, 2)))]
        accounts += [("official", f"{shop}-offz")] if shop == "s1" else []
        accounts += [("marketing", f"{shop}-mk{i}") for i in range(draw(st.integers(shop == "s1", 4)))]
        used_official: list[tuple[int, int]] = []
        for role, user in accounts:
            cuts = sorted(draw(st.lists(st.integers(0, 60), min_size=1, max_size=4, unique=True)))
            for a, b in zip(cuts[::2], [*cuts[1::2], None], strict=False):
                end = b if b is not None else 10_000
                if role == "official" and any(a < e and s < end for s, e in used_official):
                    continue  # Official links of one shop never overlap
                if role == "official":
                    used_official.append((a, end))
                n += 1
                links.append(
                    {
                        "link_id": f"L{n:03d}",
                        "shop_id": shop,
                        "username": user,
                        "role": role,
                        "a": a * DAY_US,
                        "b": end * DAY_US if b is not None else 2**62,
                        "open": b is None,
                    }
                )
    usernames = [*sorted({lk["username"] for lk in links}), "stranger"]
    orders = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "shop_id": st.sampled_from(shops),
                    "t": st.integers(-2 * DAY_US, 62 * DAY_US),
                    "gmv": st.integers(1, 10_000).map(lambda c: c / 100),
                    "src": st.one_of(st.none(), st.none(), st.sampled_from(usernames)),
                }
            ),
            min_size=1,
            max_size=30,
        )
    )
    return orders, links


def frames(orders: list[dict[str, Any]], links: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    lk = make_links(
        *[
            (
                x["link_id"],
                x["shop_id"],
                x["username"],
                x["role"],
                (T0 + pd.Timedelta(microseconds=x["a"])).isoformat(),
                None if x["open"] else (T0 + pd.Timedelta(microseconds=x["b"])).isoformat(),
            )
            for x in links
        ]
    )
    od = pd.DataFrame(
        {
            "shop_id": pd.Series([o["shop_id"] for o in orders], dtype="str"),
            "order_id": pd.Series([f"o{i}" for i in range(len(orders))], dtype="str"),
            "paid_time": pd.Series(
                [T0 + pd.Timedelta(microseconds=o["t"]) for o in orders], dtype="datetime64[us, UTC]"
            ),
            "gmv": pd.Series([o["gmv"] for o in orders], dtype="float64"),
            "currency": pd.Series(["USD"] * len(orders), dtype="str"),
            "source_username": pd.Series([o["src"] for o in orders], dtype="str"),
        }
    )
    return od, lk


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds(), st.sampled_from([DEFAULT_PRECEDENCE, ("marketing", "official")]))
def test_property_attribute_orders_matches_the_rule(world: Any, precedence: tuple[str, ...]) -> None:
    orders, links = world
    od, lk = frames(orders, links)
    got = attribute_orders(od, lk, role=None, precedence=precedence).set_index("order_id")["link_id"]
    assert got.index.is_unique and len(got) == len(od)
    want = dict(zip(od["order_id"], reference_credit(orders, links, precedence), strict=True))
    assert {k: (None if pd.isna(v) else v) for k, v in got.items()} == want


@SETTINGS
@given(worlds(), st.sampled_from([DEFAULT_PRECEDENCE, ("marketing", "official")]), st.booleans())
def test_property_shop_totals_equal_shop_gmv(world: Any, precedence: tuple[str, ...], with_source: bool) -> None:
    orders, links = world
    od, lk = frames(orders, links)
    if not with_source:
        od = od.drop(columns="source_username")
    every = daily_gmv_by_link(od, lk, role=None, precedence=precedence, include_unattributed=True)
    shop_gmv = od.groupby("shop_id")["gmv"].sum()
    got = every.groupby("shop_id")["gmv"].sum()
    for shop, total in shop_gmv.items():
        assert got.get(shop, 0.0) == pytest.approx(total)
    assert every["orders"].sum() == len(od)
    # the roles' results add up to the unfiltered result: nothing counted twice, nothing lost
    parts = sum(
        daily_gmv_by_link(od, lk, role=r, precedence=precedence)["gmv"].sum() for r in ("official", "marketing")
    )
    linked = every.loc[every["role"].notna(), "gmv"].sum()
    assert parts == pytest.approx(linked)
