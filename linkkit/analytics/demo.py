"""Deterministic demo data, built locally without HTTP, and generated Seller Center exports.

:func:`demo_data` builds three shops (US, GB, ID) over 90 days with an Official account, Marketing
accounts, affiliates, one Official replacement, one Marketing unlink and relink, and one Marketing unlink.
Orders, content rows and channel performance agree with each other the way TikTok's would. The same seed
always gives the same frames.

:func:`sample_export` writes an order export in a region's format (US ``MM/DD/YYYY hh:mm:ss AM/PM``,
GB/ID ``DD/MM/YYYY HH:MM:SS``) with the quirks real exports have, for tests and the notebook.

Example:
    >>> from linkkit.analytics.demo import demo_data
    >>> data = demo_data()
    >>> sorted(data.links["shop_id"].unique())
    ['shop-gb-1', 'shop-id-1', 'shop-us-1']
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from linkkit.analytics import sources
from linkkit.analytics.dataset import AnalyticsData

__all__ = ["DEMO_SHOPS", "DemoShop", "demo_data", "sample_export"]

DEMO_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DEMO_DAYS = 90


@dataclass(frozen=True)
class DemoShop:
    """A shop in the demo world."""

    shop_id: str
    name: str
    region: str
    currency: str
    scale: float  # money per "unit" of demo GMV
    official: tuple[str, ...]  # Official accounts in order (a second one replaces the first)
    marketing: tuple[str, ...]
    affiliates: tuple[str, ...]


DEMO_SHOPS: tuple[DemoShop, ...] = (
    DemoShop(
        "shop-us-1",
        "Glow Lab US",
        "US",
        "USD",
        1.0,
        ("glowlab", "glowlab.official"),
        ("glowlab.deals", "glowlab.live"),
        ("skincare.sam", "beautybyjo", "dealhunter22"),
    ),
    DemoShop(
        "shop-gb-1",
        "Glow Lab UK",
        "GB",
        "GBP",
        0.8,
        ("glowlab.uk",),
        ("glowlab.uk.offers",),
        ("londonglow", "<b>tea&serum</b>"),
    ),
    DemoShop(
        "shop-id-1",
        "Toko Cantik",
        "ID",
        "IDR",
        15_000.0,
        ("tokocantik",),
        ("tokocantik.promo", "cantik.live"),
        ("rina.review",),
    ),
)


def _links(start: pd.Timestamp) -> list[dict[str, Any]]:
    day = pd.Timedelta(days=1)
    rows: list[dict[str, Any]] = []

    def add(shop: DemoShop, username: str, role: str, linked: pd.Timestamp, unlinked: pd.Timestamp | None) -> None:
        rows.append(
            {
                "link_id": f"L{len(rows) + 1:03d}",
                "shop_id": shop.shop_id,
                "shop_name": shop.name,
                "region": shop.region,
                "account_open_id": f"open-{username}",
                "username": username,
                "display_name": username.replace(".", " ").title(),
                "role": role,
                "linked_at": linked,
                "unlinked_at": unlinked,
            }
        )

    us, gb, idn = DEMO_SHOPS
    # US: Official replaced on day 45 (unlinked 14:00, new one linked 16:30);
    # Marketing unlinked on day 30 and relinked on day 40.
    add(us, us.official[0], "official", start - 30 * day, start + 45 * day + pd.Timedelta(hours=14))
    add(us, us.official[1], "official", start + 45 * day + pd.Timedelta(hours=16, minutes=30), None)
    add(us, us.marketing[0], "marketing", start - 20 * day, start + 30 * day + pd.Timedelta(hours=9))
    add(us, us.marketing[0], "marketing", start + 40 * day + pd.Timedelta(hours=11), None)
    add(us, us.marketing[1], "marketing", start + 10 * day, None)
    # GB: Marketing account unlinked on day 60 for good.
    add(gb, gb.official[0], "official", start - 60 * day, None)
    add(gb, gb.marketing[0], "marketing", start - 60 * day, start + 60 * day + pd.Timedelta(hours=10))
    # ID: stable.
    add(idn, idn.official[0], "official", start - 90 * day, None)
    add(idn, idn.marketing[0], "marketing", start - 90 * day, None)
    add(idn, idn.marketing[1], "marketing", start + 5 * day, None)
    return rows


def _active(
    intervals: dict[tuple[str, str], list[tuple[Any, Any]]], shop_id: str, username: str, at: pd.Timestamp
) -> bool:
    return any(a <= at and (b is None or pd.isna(b) or at < b) for a, b in intervals.get((shop_id, username), []))


def demo_data(seed: int = 7, *, days: int = DEMO_DAYS) -> AnalyticsData:
    """Build the deterministic demo world (no network, well under a second).

    Args:
        seed: Random seed; the same seed gives identical frames.
        days: Length of the period starting 2025-01-01 (UTC days).
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(DEMO_START)
    link_rows = _links(start)
    links = sources.links_frame(link_rows)
    intervals: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for row in link_rows:
        intervals.setdefault((row["shop_id"], row["username"]), []).append((row["linked_at"], row["unlinked_at"]))
    content_rows: list[dict[str, Any]] = []
    order_rows: list[dict[str, Any]] = []
    buyers = [f"buyer{n:04d}" for n in range(1500)]
    order_seq = 576_400_000_000_000_000

    def make_orders(shop: DemoShop, at: pd.Timestamp, n: int, channel: str, spread_h: float) -> tuple[float, int, int]:
        nonlocal order_seq
        gmv, units = 0.0, 0
        for _ in range(n):
            order_seq += 1
            paid = at + pd.Timedelta(minutes=float(rng.uniform(1, spread_h * 60)))
            status = rng.choice(["COMPLETED", "DELIVERED", "IN_TRANSIT", "CANCELLED"], p=[0.7, 0.12, 0.1, 0.08])
            refund = status == "COMPLETED" and rng.random() < 0.04
            buyer = buyers[int(rng.integers(0, len(buyers)))]
            n_lines = int(rng.integers(1, 3))
            for line in range(1, n_lines + 1):
                qty = int(rng.integers(1, 3))
                price = round(float(rng.lognormal(2.6, 0.5)) * shop.scale, 0 if shop.currency == "IDR" else 2)
                amount = price * qty
                gmv += amount
                units += qty
                order_rows.append(
                    {
                        "shop_id": shop.shop_id,
                        "order_id": str(order_seq),
                        "line_no": line,
                        "status": str(status),
                        "status_raw": str(status).replace("_", " ").title(),
                        "cancel_return_type": "Return/Refund"
                        if refund
                        else ("Cancel" if status == "CANCELLED" else None),
                        "created_time": paid - pd.Timedelta(minutes=2),
                        "paid_time": paid,
                        "sku_id": f"17{int(rng.integers(10_000, 10_040))}",
                        "product_name": "Glow serum",
                        "quantity": qty,
                        "line_amount": amount,
                        "currency": shop.currency,
                        "buyer": buyer,
                        "_channel": channel,
                    }
                )
        return gmv, n, units

    for shop in DEMO_SHOPS:
        for d in range(days):
            day = start + pd.Timedelta(days=d)
            # linked accounts post when linked; affiliates any time
            for username in (*shop.official, *shop.marketing, *shop.affiliates):
                is_aff = username in shop.affiliates
                kinds = ["VIDEO"] + (["LIVE"] if username in shop.official or username.endswith("live") else [])
                for kind in kinds:
                    at = day + pd.Timedelta(hours=float(rng.uniform(8, 21)) if kind == "VIDEO" else 19.0)
                    if not is_aff and not _active(intervals, shop.shop_id, username, at):
                        # once in a while an unlinked account still posts: shows up as "unlinked"
                        if rng.random() > 0.05:
                            continue
                    if rng.random() > (0.55 if kind == "VIDEO" else 0.35):
                        continue
                    n = int(rng.poisson(6 if kind == "LIVE" else 2.5)) + 1
                    gmv, n_orders, units = make_orders(shop, at, n, kind, 3.0 if kind == "LIVE" else 20.0)
                    role = (
                        "AFFILIATE_ACCOUNTS"
                        if is_aff
                        else ("OFFICIAL_ACCOUNTS" if username in shop.official else "MARKETING_ACCOUNTS")
                    )
                    content_rows.append(
                        {
                            "shop_id": shop.shop_id,
                            "content_type": kind,
                            "content_id": f"{kind[0]}{len(content_rows):06d}",
                            "title": f"{kind.title()} by {username}",
                            "username": username,
                            "account_type": role,
                            "time": at,
                            "end_time": at + pd.Timedelta(hours=2) if kind == "LIVE" else None,
                            "gmv": gmv,
                            "currency": shop.currency,
                            "sku_orders": n_orders,
                            "units_sold": units,
                            "buyers": n_orders,
                            "views": int(rng.integers(300, 20_000)),
                            "product_impressions": int(rng.integers(100, 5_000)),
                            "product_clicks": int(rng.integers(10, 400)),
                        }
                    )
            make_orders(shop, day, int(rng.poisson(8)), "PRODUCT_CARD", 23.5)

    orders = pd.DataFrame(order_rows)
    content = sources._typed(content_rows, sources._CONTENT_COLUMNS)
    channel = orders.pop("_channel")
    perf = _performance(orders.assign(_channel=channel), rng)
    order_cols = {**sources._ORDER_LINE_COLUMNS, "cancel_return_type": "str"}
    order_cols.pop("cancel_reason")
    for column in order_cols:
        if column not in orders:
            orders[column] = None
    orders = sources._typed(orders[list(order_cols)].to_dict("records"), order_cols)
    orders = orders.sort_values(["shop_id", "paid_time", "order_id", "line_no"], kind="stable").reset_index(drop=True)
    return AnalyticsData(
        links=links, events=_events(links), orders=orders, performance=perf, content=content, source="demo"
    )


def _performance(orders: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    paid = orders[orders["line_no"] == 1].copy()
    lines = orders.copy()
    lines["date"] = lines["paid_time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
    paid["date"] = paid["paid_time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
    records: list[dict[str, Any]] = []
    gmv = lines.groupby(["shop_id", "date", "currency", "_channel"])["line_amount"].sum()
    units = lines.groupby(["shop_id", "date", "_channel"])["quantity"].sum()
    n_orders = paid.groupby(["shop_id", "date", "_channel"]).size()
    n_buyers = paid.groupby(["shop_id", "date", "_channel"])["buyer"].nunique()
    n_buyers_all = paid.groupby(["shop_id", "date"])["buyer"].nunique()
    for (shop_id, date, currency), per_channel in gmv.groupby(level=[0, 1, 2]):
        by = {k[3]: v for k, v in per_channel.items()}
        imp = {c: int(rng.integers(2_000, 12_000)) for c in sources.CHANNELS}
        views = {c: int(imp[c] * rng.uniform(0.04, 0.12)) for c in sources.CHANNELS}
        buyers = {c: int(n_buyers.get((shop_id, date, c), 0)) for c in sources.CHANNELS}
        records.append(
            {
                "shop_id": shop_id,
                "date": date,
                "channel": "ALL",
                "gmv": float(sum(by.values())),
                "currency": currency,
                "orders": int(sum(n_orders.get((shop_id, date, c), 0) for c in sources.CHANNELS)),
                "units_sold": int(sum(units.get((shop_id, date, c), 0) for c in sources.CHANNELS)),
                "buyers": int(n_buyers_all.get((shop_id, date), 0)),
                "product_impressions": sum(imp.values()),
                "product_page_views": sum(views.values()),
                "avg_product_page_visitors": int(sum(views.values()) * 0.8),
            }
        )
        for c in sources.CHANNELS:
            records.append(
                {
                    "shop_id": shop_id,
                    "date": date,
                    "channel": c,
                    "gmv": float(by.get(c, 0.0)),
                    "currency": currency,
                    "orders": None,
                    "units_sold": None,
                    "buyers": buyers[c],
                    "product_impressions": imp[c],
                    "product_page_views": views[c],
                    "avg_product_page_visitors": int(views[c] * 0.8),
                }
            )
    return sources._typed(records, sources._PERF_COLUMNS)


def _events(links: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, link in links.iterrows():
        rows.append(
            {
                "at": link["linked_at"],
                "kind": "linked",
                "shop_id": link["shop_id"],
                "username": link["username"],
                "role": link["role"],
                "detail": f"link {link['link_id']}",
            }
        )
        if pd.notna(link["unlinked_at"]):
            rows.append(
                {
                    "at": link["unlinked_at"],
                    "kind": "unlinked",
                    "shop_id": link["shop_id"],
                    "username": link["username"],
                    "role": link["role"],
                    "detail": f"link {link['link_id']}",
                }
            )
    frame = sources.events_frame(rows)
    return frame.sort_values(["shop_id", "at"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Generated Seller Center exports
# --------------------------------------------------------------------------------------------------

_HEADER = [
    "Order ID",
    "Order Status",
    "Order Substatus",
    "Cancelation/Return Type",
    "Normal or Pre-order",
    "SKU ID",
    "Seller SKU",
    "Product Name",
    "Variation",
    "Quantity",
    "Sku Quantity of return",
    "SKU Unit Original Price",
    "SKU Subtotal Before Discount",
    "SKU Platform Discount",
    "SKU Seller Discount",
    "SKU Subtotal After Discount",
    "Shipping Fee After Discount",
    "Original Shipping Fee",
    "Shipping Fee Seller Discount",
    "Shipping Fee Platform Discount",
    "Payment platform discount",
    "Taxes",
    "Order Amount",
    "Order Refund Amount",
    "Created Time",
    "Paid Time",
    "RTS Time",
    "Shipped Time",
    "Delivered Time",
    "Cancelled Time",
    "Cancel By",
    "Cancel Reason",
    "Fulfillment Type",
    "Warehouse Name",
    "Tracking ID",
    "Delivery Option",
    "Shipping Provider Name",
    "Buyer Message",
    "Buyer Username",
    "Recipient",
    "Phone #",
    "Country",
]
_ADDRESS = {
    "US": ["State", "County", "City", "Zipcode"],
    "GB": ["County", "Post Town", "Postcode"],
    "ID": ["Province", "Regency and City", "Districts", "Villages", "Zipcode"],
    "MX": ["State", "Municipality", "Colony", "Zipcode"],
}
_TAIL = [
    "Detail Address",
    "Additional address information",
    "Payment Method",
    "Weight(kg)",
    "Product Category",
    "Package ID",
    "Seller Note",
    "Checked Status",
    "Checked Marked by",
]
_STATUS_TEXT = {
    "US": {"COMPLETED": "Completed", "CANCELLED": "Cancelled", "IN_TRANSIT": "Shipped", "DELIVERED": "Delivered"},
    "GB": {"COMPLETED": "Completed", "CANCELLED": "Cancelled", "IN_TRANSIT": "Shipped", "DELIVERED": "Delivered"},
    "ID": {"COMPLETED": "Selesai", "CANCELLED": "Dibatalkan", "IN_TRANSIT": "Dikirim", "DELIVERED": "Terkirim"},
    "MX": {"COMPLETED": "Completado", "CANCELLED": "Cancelado", "IN_TRANSIT": "Enviado", "DELIVERED": "Entregado"},
}
_COUNTRY = {"US": "United States", "GB": "United Kingdom", "ID": "Indonesia", "MX": "Mexico"}
_CURRENCY = {"US": "USD", "GB": "GBP", "ID": "IDR", "MX": "MXN"}
_TZ = {"US": "America/Los_Angeles", "GB": "Europe/London", "ID": "Asia/Jakarta", "MX": "America/Mexico_City"}


def _fmt_time(ts: pd.Timestamp, region: str) -> str:
    local = ts.tz_convert(_TZ[region])
    if region in ("US", "MX"):
        return local.strftime("%m/%d/%Y %I:%M:%S %p")
    return local.strftime("%d/%m/%Y %H:%M:%S")


def _fmt_money(value: float, region: str, prefix: bool) -> str:
    if region == "ID":
        text = f"{value:,.0f}".replace(",", ".") if prefix else f"{value:.0f}"
        return f"Rp{text}" if prefix else text
    text = f"{value:.2f}"
    return f"{_CURRENCY[region]} {text}" if prefix else text


def sample_export(
    region: Literal["US", "GB", "ID", "MX"] = "US",
    *,
    orders: int = 40,
    seed: int = 1,
    description_row: bool = False,
    tabs: bool = False,
    currency_prefix: bool = False,
    extra_columns: Sequence[str] = (),
    fmt: Literal["csv", "xlsx"] = "csv",
) -> bytes:
    """Generate a Seller Center order export in ``region``'s format.

    Args:
        region: ``US``/``MX`` (month-first dates with AM/PM), ``GB``/``ID`` (day-first, 24 h).
        orders: Number of orders (each has 1-3 SKU lines; order-level amounts repeat on every line, as
            in real exports).
        seed: Random seed.
        description_row: Add the description row some exports carry under the header.
        tabs: Put tab characters in ID and time cells, as some exports do.
        currency_prefix: Write amounts as ``MXN 123.45`` / ``Rp150.000``.
        extra_columns: Extra columns (filled with ``x``) to show unknown columns are kept.
        fmt: ``csv`` or ``xlsx``.

    Returns:
        The file's bytes (UTF-8 CSV or XLSX).
    """
    rng = np.random.default_rng(seed)
    header = [*_HEADER, *_ADDRESS[region], *_TAIL, *extra_columns]
    rows: list[list[str]] = []
    base = pd.Timestamp("2025-03-01T00:00:00Z")
    scale = {"US": 1.0, "GB": 0.8, "ID": 15_000.0, "MX": 17.0}[region]
    for n in range(orders):
        order_id = str(577_000_000_000_000_000 + n * 7919)
        status = str(rng.choice(["COMPLETED", "DELIVERED", "IN_TRANSIT", "CANCELLED"], p=[0.6, 0.2, 0.1, 0.1]))
        created = base + pd.Timedelta(minutes=float(rng.uniform(0, 60 * 24 * 28)))
        paid = created + pd.Timedelta(minutes=float(rng.uniform(1, 30)))
        lines = int(rng.integers(1, 4))
        amounts = []
        for _ in range(lines):
            qty = int(rng.integers(1, 4))
            unit = round(float(rng.uniform(5, 60)) * scale, 0 if region == "ID" else 2)
            amounts.append((qty, unit))
        shipping = round(4.99 * scale, 0 if region == "ID" else 2)
        total = sum(q * u for q, u in amounts) + shipping
        for k, (qty, unit) in enumerate(amounts):
            sub = qty * unit
            cells: dict[str, str] = {h: "" for h in header}
            cells.update(
                {
                    "Order ID": order_id + ("\t" if tabs else ""),
                    "Order Status": _STATUS_TEXT[region][status],
                    "Cancelation/Return Type": "Cancel" if status == "CANCELLED" else "",
                    "Normal or Pre-order": "Normal",
                    "SKU ID": str(1_729_000_000_000 + k),
                    "Seller SKU": f"SKU-{k}",
                    "Product Name": "Glow serum, 30ml",
                    "Variation": "Default",
                    "Quantity": str(qty),
                    "Sku Quantity of return": "0",
                    "SKU Unit Original Price": _fmt_money(unit, region, currency_prefix),
                    "SKU Subtotal Before Discount": _fmt_money(sub, region, currency_prefix),
                    "SKU Platform Discount": _fmt_money(0, region, currency_prefix),
                    "SKU Seller Discount": _fmt_money(0, region, currency_prefix),
                    "SKU Subtotal After Discount": _fmt_money(sub, region, currency_prefix),
                    "Shipping Fee After Discount": _fmt_money(shipping, region, currency_prefix),
                    "Order Amount": _fmt_money(total, region, currency_prefix),
                    "Order Refund Amount": _fmt_money(0, region, currency_prefix),
                    "Created Time": _fmt_time(created, region) + ("\t" if tabs else ""),
                    "Paid Time": _fmt_time(paid, region),
                    "Cancelled Time": _fmt_time(paid + pd.Timedelta(hours=3), region) if status == "CANCELLED" else "",
                    "Buyer Username": f"buyer{int(rng.integers(0, orders // 2 + 1))}",
                    "Recipient": "A. Buyer",
                    "Phone #": "(+1)555*****12",
                    "Country": _COUNTRY[region],
                    "Detail Address": "1 Main St",
                    "Weight(kg)": "0.2",
                    "Payment Method": "Card",
                }
            )
            for col in extra_columns:
                cells[col] = "x"
            rows.append([cells[h] for h in header])
    if description_row:
        rows.insert(0, ["Platform unique order ID." if h == "Order ID" else f"Description of {h}." for h in header])
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "OrderSKUList"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")
