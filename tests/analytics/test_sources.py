from __future__ import annotations

import datetime as dt
import io
from importlib.resources import files
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from linkkit.analytics import sources
from linkkit.analytics.demo import sample_export
from linkkit.analytics.sources import (
    content_frame,
    events_from_registry,
    export_io,
    links_from_registry,
    load_api_orders,
    load_shop_content,
    load_shop_performance,
    read_parquet,
    read_seller_center_orders,
    save_parquet,
)
from linkkit.errors import DataFormatError

HEADER = (
    "Order ID,Order Status,Quantity,SKU Subtotal After Discount,Order Amount,Created Time,Paid Time,"
    "Buyer Username,Country"
)


def upload(data: bytes | str, name: str = "orders.csv") -> io.BytesIO:
    stream = io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)
    stream.name = name
    return stream


def read(text: str, **kwargs: Any) -> pd.DataFrame:
    return read_seller_center_orders(upload(text), **kwargs)


# -- formats and quirks -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("region,currency", [("US", "USD"), ("GB", "GBP"), ("ID", "IDR")])
def test_generated_exports_read_the_same_with_and_without_quirks(region: str, currency: str, fmt: str) -> None:
    plain = read_seller_center_orders(upload(sample_export(region, fmt=fmt), f"x.{fmt}"))  # type: ignore[arg-type]
    quirky = read_seller_center_orders(
        upload(
            sample_export(
                region,
                fmt=fmt,
                description_row=True,
                tabs=True,
                currency_prefix=True,  # type: ignore[arg-type]
                extra_columns=["Brand New Column"],
            ),
            f"x.{fmt}",
        )
    )
    assert set(plain["currency"]) == {currency}
    assert plain["region"].iloc[0] == region
    assert "brand_new_column" in quirky and set(quirky["brand_new_column"]) == {"x"}
    assert_frame_equal(plain, quirky.drop(columns=["brand_new_column"]))
    assert plain["order_id"].str.fullmatch(r"\d+").all()
    assert plain["status"].notna().all()


def test_us_export_parses_month_first_12_hour_times_in_shop_time() -> None:
    text = (
        HEADER + "\n"
        "576000000000000001,Completed,2,20.00,25.00,03/04/2025 01:15:00 PM,03/04/2025 01:16:00 PM,bob,United States\n"
    )
    got = read(text)
    # 13:15 in Los Angeles (PST, UTC-8) on 4 March
    assert got["created_time"].tolist() == [pd.Timestamp("2025-03-04T21:15:00Z")]
    assert got["status"].tolist() == ["COMPLETED"]
    assert got["currency"].tolist() == ["USD"]


def test_day_first_dates_and_localised_status_are_kept_raw_and_mapped() -> None:
    text = (
        HEADER + "\n"
        "576000000000000001,Selesai,1,150000,160000,13/02/2025 09:00:00,13/02/2025 09:05:00,rina,Indonesia\n"
        "576000000000000002,Sedang Diproses,1,150000,160000,14/02/2025 09:00:00,,rina,Indonesia\n"
    )
    got = read(text)
    assert got["status_raw"].tolist() == ["Selesai", "Sedang Diproses"]
    assert got["status"].tolist()[0] == "COMPLETED" and pd.isna(got["status"].tolist()[1])
    assert got["created_time"].tolist()[0] == pd.Timestamp("2025-02-13T02:00:00Z")  # Jakarta is UTC+7
    assert pd.isna(got["paid_time"].tolist()[1])


def test_ambiguous_dates_fall_back_to_the_region_and_can_be_forced() -> None:
    text = HEADER + "\n576000000000000001,Completed,1,1,1,03/04/2025 10:00:00,03/04/2025 10:00:00,a,United Kingdom\n"
    assert read(text)["created_time"].dt.month.tolist() == [4]  # GB: 3 April
    assert read(text, date_order="MDY")["created_time"].dt.month.tolist() == [3]
    assert read(text, tz="UTC")["created_time"].tolist() == [pd.Timestamp("2025-04-03T10:00:00Z")]


def test_currency_prefixes_and_separators() -> None:
    text = (
        HEADER + "\n"
        '576000000000000001,Completado,1,MXN 123.45,"MXN 1,234.50",01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,Mexico\n'
        '576000000000000002,Completado,1,$10.00,"1.234,50 MXN",01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,Mexico\n'
    )
    got = read(text)
    assert got["line_amount"].tolist() == [123.45, 10.0]
    assert got["order_amount"].tolist() == [1234.5, 1234.5]
    assert got["currency"].tolist() == ["MXN", "MXN"]
    assert got["status"].tolist() == ["COMPLETED", "COMPLETED"]


def test_order_level_amounts_are_not_double_counted() -> None:
    text = (
        HEADER + "\n"
        "576000000000000001,Completed,1,10.00,35.00,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
        "576000000000000001,Completed,2,20.00,35.00,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
    )
    got = read(text)
    assert got["line_no"].tolist() == [1, 2]
    assert got["order_amount"].sum() == 35.0
    assert got["line_amount"].sum() == 30.0


def test_tabs_inside_cells_and_tab_separated_files() -> None:
    text = (
        HEADER + "\n"
        "\t576000000000000001\t,Completed,1,10.00,10.00,\t01/02/2025 10:00:00 AM\t,01/02/2025 10:00:00 AM,a,United States\n"
    )
    assert read(text)["order_id"].tolist() == ["576000000000000001"]
    tsv = text.replace(",", "\t").replace("\t\t", "\t")
    tsv = (
        HEADER.replace(",", "\t")
        + "\n"
        + "576000000000000001\tCompleted\t1\t10.00\t10.00\t01/02/2025 10:00:00 AM\t\ta\tUnited States\n"
    )
    assert read(tsv)["order_id"].tolist() == ["576000000000000001"]


def test_header_only_export_gives_an_empty_frame() -> None:
    got = read(HEADER + "\n")
    assert got.empty and "order_id" in got and str(got["created_time"].dtype) == "datetime64[us, UTC]"


def test_shipped_samples_and_progress() -> None:
    seen: list[tuple[int, int | None]] = []
    path = files("linkkit.analytics") / "data" / "sample_orders_us.csv"
    got = read_seller_center_orders(path, shop_id="shop-us-1", progress=lambda d, t, m: seen.append((d, t)))
    assert set(got["shop_id"]) == {"shop-us-1"} and len(got) > 60
    assert seen and seen[-1] == (1, 1)
    for region in ("gb", "id"):
        assert not read_seller_center_orders(files("linkkit.analytics") / "data" / f"sample_orders_{region}.csv").empty


def test_large_file_reads_in_chunks(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(export_io, "_CHUNK_ROWS", 7)
    path = tmp_path / "big.csv"
    path.write_bytes(sample_export("US", orders=30))
    chunks: list[int] = []
    got = read_seller_center_orders(path, progress=lambda d, t, m: chunks.append(d))
    monkeypatch.setattr(export_io, "_CHUNK_ROWS", 100_000)
    assert_frame_equal(got, read_seller_center_orders(path))
    assert len(chunks) > 5


def test_save_once_reopen_instantly(tmp_path) -> None:
    got = read_seller_center_orders(upload(sample_export("GB", currency_prefix=True)))
    path = save_parquet(got, tmp_path / "cache" / "orders.parquet")
    assert_frame_equal(read_parquet(path), got)
    assert [p.name for p in path.parent.iterdir()] == ["orders.parquet"]  # no temp file left behind
    with pytest.raises(DataFormatError):
        read_parquet(tmp_path / "missing.parquet")


# -- bad input ----------------------------------------------------------------------------------------


def error_of(data: bytes | str, name: str = "orders.csv") -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        read_seller_center_orders(upload(data, name))
    return info.value


def test_missing_required_column_names_file_row_and_column() -> None:
    err = error_of(HEADER.replace("Paid Time,", "") + "\n1,Completed,1,1,1,01/02/2025 10:00:00 AM,a,US\n")
    assert (err.file, err.row, err.column) == ("orders.csv", 1, "Paid Time")
    assert "missing" in err.message and err.reason == "data_format_invalid"


def test_unparseable_date_names_row_and_column() -> None:
    text = (
        HEADER + "\n"
        "576000000000000001,Completed,1,1,1,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
        "576000000000000002,Completed,1,1,1,yesterday,01/02/2025 10:00:00 AM,a,United States\n"
    )
    err = error_of(text)
    assert (err.row, err.column) == (3, "Created Time")
    assert "MM/DD/YYYY" in (err.expected or "")


def test_row_numbers_count_the_description_row() -> None:
    text = (
        HEADER + "\nPlatform unique order ID.,Status,Qty,Subtotal,Amount,Created,Paid,Buyer,Country\n"
        "576000000000000001,Completed,1,abc,1,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
    )
    err = error_of(text)
    assert (err.row, err.column) == (3, "SKU Subtotal After Discount")


def test_unparseable_amount_and_quantity() -> None:
    row = "576000000000000001,Completed,{q},{a},1,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
    assert error_of(HEADER + "\n" + row.format(q="1", a="12..3.4x")).column == "SKU Subtotal After Discount"
    assert error_of(HEADER + "\n" + row.format(q="1.5", a="1")).column == "Quantity"
    assert error_of(HEADER + "\n" + row.format(q="", a="1")).column == "Quantity"


def test_wrong_encoding_empty_file_and_not_an_export() -> None:
    latin1 = (
        HEADER + "\n576000000000000001,Completed,1,1,1,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,"
        "Jos\u00e9,United States\n"
    ).encode("latin-1")
    err = error_of(latin1)
    assert err.row == 2 and "UTF-8" in err.message
    assert "empty" in error_of(b"").message
    assert "empty" in error_of(b"\n\n  \n").message
    assert "not a Seller Center order export" in error_of("name,age\nann,3\n").message
    assert error_of(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.png").file == "photo.png"
    assert "XLSX" in error_of(b"PK\x03\x04garbage", "orders.xlsx").message
    assert error_of(HEADER + "\n1,2,3\n").row is not None


def test_nothing_is_half_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_io, "_CHUNK_ROWS", 2)
    good = "576000000000000001,Completed,1,1,1,01/02/2025 10:00:00 AM,01/02/2025 10:00:00 AM,a,United States\n"
    text = HEADER + "\n" + good * 5 + good.replace("1,1,1,", "1,oops,1,")
    err = error_of(text)
    assert err.row == 7  # header is row 1, five good rows are 2-6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_data_format_error(data: bytes) -> None:
    try:
        read_seller_center_orders(upload(data))
    except DataFormatError:
        pass


_cell = st.text(alphabet=st.sampled_from(list('0123456789/:,.- \t"APMUSDabc\u00e9')), max_size=24)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=0, max_size=12), max_size=6), st.booleans())
def test_malformed_exports_only_raise_data_format_error(rows: list[list[str]], as_xlsx: bool) -> None:
    if as_xlsx:
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(HEADER.split(","))
        for row in rows:
            book.active.append(row)
        buf = io.BytesIO()
        book.save(buf)
        data, name = buf.getvalue(), "orders.xlsx"
    else:
        data, name = (HEADER + "\n" + "\n".join(",".join(r) for r in rows)).encode("utf-8"), "orders.csv"
    try:
        got = read_seller_center_orders(upload(data, name))
    except DataFormatError:
        return
    assert "order_id" in got


# -- Shop API -----------------------------------------------------------------------------------------


class FakeShopClient:
    """The four ShopClient methods, answering with TikTok's raw shapes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def search_orders(self, shop_cipher: str, **kw: Any):
        self.calls.append(("search_orders", kw))
        yield [
            {
                "id": "5761",
                "status": "COMPLETED",
                "create_time": 1735689600,
                "paid_time": 1735689660,
                "user_id": "u1",
                "payment": {"currency": "USD", "total_amount": "30.50"},
                "line_items": [
                    {"sku_id": "k1", "sale_price": "10.25", "original_price": "12", "currency": "USD"},
                    {"sku_id": "k2", "sale_price": "USD 15.25", "currency": "USD"},
                ],
            }
        ]
        yield [
            {
                "id": "5762",
                "status": "UNPAID",
                "create_time": 1735693200,
                "paid_time": None,
                "user_id": "u2",
                "payment": {"currency": "USD", "total_amount": {"amount": "8", "currency": "USD"}},
                "line_items": [{"sku_id": "k1", "sale_price": 8}],
            }
        ]

    def shop_performance(self, shop_cipher: str, **kw: Any) -> dict[str, Any]:
        self.calls.append(("shop_performance", kw))
        return {
            "latest_available_date": "2025-01-01",
            "performance": {
                "intervals": [
                    {
                        "start_date": "2025-01-01",
                        "end_date": "2025-01-02",
                        "gmv": {"amount": "100.00", "currency": "USD"},
                        "gmv_breakdowns": [
                            {"type": "LIVE", "amount": "60", "currency": "USD"},
                            {"type": "VIDEO", "amount": "30", "currency": "USD"},
                            {"type": "PRODUCT_CARD", "amount": "10", "currency": "USD"},
                        ],
                        "orders": 5,
                        "units_sold": 7,
                        "buyers": 4,
                        "product_impressions": 1000,
                        "product_page_views": 100,
                        "buyer_breakdowns": [
                            {"type": "LIVE", "amount": 2},
                            {"type": "VIDEO", "amount": 1},
                            {"type": "PRODUCT_CARD", "amount": 1},
                        ],
                        "product_impression_breakdowns": [
                            {"type": "LIVE", "amount": 500},
                            {"type": "VIDEO", "amount": 300},
                            {"type": "PRODUCT_CARD", "amount": 200},
                        ],
                        "product_page_views_breakdowns": [
                            {"type": "LIVE", "amount": 50},
                            {"type": "VIDEO", "amount": 30},
                            {"type": "PRODUCT_CARD", "amount": 20},
                        ],
                    }
                ]
            },
        }

    def shop_videos(self, shop_cipher: str, **kw: Any):
        self.calls.append(("shop_videos", kw))
        yield [
            {
                "id": "v1",
                "title": "t",
                "username": "ann",
                "gmv": {"amount": "30", "currency": "USD"},
                "sku_orders": 2,
                "units_sold": 3,
                "views": 900,
                "click_through_rate": "0.05",
                "video_post_time": "2025-01-01 10:00:00",
            }
        ]

    def shop_lives(self, shop_cipher: str, **kw: Any):
        self.calls.append(("shop_lives", kw))
        if kw["account_type"] == "OFFICIAL_ACCOUNTS":
            yield [
                {
                    "id": "l1",
                    "title": "live",
                    "username": "ann",
                    "start_time": "1735722000",
                    "end_time": "1735729200",
                    "sales_performance": {
                        "gmv": {"amount": "60", "currency": "USD"},
                        "sku_orders": 4,
                        "unit_sold": 5,
                        "customers": 2,
                    },
                    "interaction_performance": {"views": 5000, "product_impressions": 400, "product_clicks": 40},
                }
            ]
        else:
            yield []


def test_api_orders_become_order_lines() -> None:
    client = FakeShopClient()
    got = load_api_orders(client, "cipher", shop_id="s1", start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2))
    assert got["order_id"].tolist() == ["5761", "5761", "5762"]
    assert got["line_amount"].tolist() == [10.25, 15.25, 8.0]
    assert got["order_amount"].fillna(0).tolist() == [30.5, 0.0, 8.0]
    assert got["quantity"].tolist() == [1, 1, 1]
    assert got["paid_time"].iloc[0] == pd.Timestamp("2025-01-01T00:01:00Z") and pd.isna(got["paid_time"].iloc[2])
    assert client.calls[0][1] == {"create_time_ge": 1735689600, "create_time_lt": 1735776000}


def test_shop_performance_breakdowns() -> None:
    got = load_shop_performance(
        FakeShopClient(), "cipher", shop_id="s1", start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2)
    )
    assert got["channel"].tolist() == ["ALL", "LIVE", "VIDEO", "PRODUCT_CARD"]
    assert got["gmv"].tolist() == [100.0, 60.0, 30.0, 10.0]
    assert got["buyers"].tolist() == [4, 2, 1, 1]
    assert got["product_impressions"].tolist() == [1000, 500, 300, 200]
    assert got["product_page_views"].tolist() == [100, 50, 30, 20]
    assert got["orders"].tolist()[0] == 5 and pd.isna(got["orders"].tolist()[1])
    with pytest.raises(DataFormatError):
        sources.shop_performance_frame({"latest_available_date": "x"}, shop_id="s1")


def test_content_lists_keep_username_time_and_account_type() -> None:
    client = FakeShopClient()
    got = load_shop_content(
        client, "cipher", shop_id="s1", start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2), tz="America/Los_Angeles"
    )
    assert got["content_type"].tolist() == ["VIDEO", "LIVE"]
    assert got["username"].tolist() == ["ann", "ann"]
    assert got["account_type"].tolist() == ["ALL", "OFFICIAL_ACCOUNTS"]
    assert got["time"].tolist() == [pd.Timestamp("2025-01-01T18:00:00Z"), pd.Timestamp("2025-01-01T09:00:00Z")]
    assert got["gmv"].tolist() == [30.0, 60.0] and got["units_sold"].tolist() == [3, 5]
    assert [c[1]["account_type"] for c in client.calls if c[0] == "shop_lives"] == [
        "OFFICIAL_ACCOUNTS",
        "MARKETING_ACCOUNTS",
        "AFFILIATE_ACCOUNTS",
    ]
    with pytest.raises(DataFormatError) as info:
        content_frame([{"id": "x", "username": "", "gmv": "1"}], content_type="VIDEO", shop_id="s1")
    assert info.value.column == "username"
    with pytest.raises(DataFormatError):
        content_frame(
            [{"id": "x", "username": "a", "gmv": "lots", "video_post_time": "2025-01-01"}],
            content_type="VIDEO",
            shop_id="s1",
        )


class FakeStore:
    def link_intervals(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "link_id": 7,
                "shop_id": "s1",
                "shop_name": "S",
                "region": "US",
                "account_open_id": "o",
                "username": "ann",
                "display_name": "<b>Ann</b>",
                "role": "official",
                "linked_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                "unlinked_at": None,
            }
        ]

    def events(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                "kind": "linked",
                "shop_id": "s1",
                "username": "ann",
                "role": "official",
                "detail": {"link": 7},
            }
        ]


def test_registry_frames() -> None:
    links = links_from_registry(FakeStore())
    assert list(links.columns) == list(sources.LINK_COLUMNS)
    assert links["link_id"].tolist() == ["7"] and pd.isna(links["unlinked_at"].iloc[0])
    assert str(links["linked_at"].dtype) == "datetime64[us, UTC]"
    events = events_from_registry(FakeStore())
    assert list(events.columns) == list(sources.EVENT_COLUMNS)
    assert events["detail"].tolist() == ["{'link': 7}"]
