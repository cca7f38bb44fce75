"""Where analytics data comes from: Seller Center exports, Shop API pages, the registry, Parquet.

Every loader returns a tidy pandas DataFrame with linkkit's column names (TikTok's own names where TikTok
has one), instants as tz-aware UTC and money as ``float`` next to a ``currency`` column. Bad input raises
:class:`~linkkit.errors.DataFormatError` naming the file, row and column; nothing is half-loaded.

The frames:

- **order lines** (:func:`read_seller_center_orders`, :func:`orders_from_api_pages`): one row per SKU line;
  ``order_id, line_no, status, status_raw, created_time, paid_time, quantity, line_amount, order_amount,
  currency, buyer, …``. Order-level amounts (``order_amount``, shipping, taxes, refunds) sit on the first
  line of each order only, so summing a column never double counts.
- **channel performance** (:func:`shop_performance_frame`): one row per shop, day and channel
  (``ALL``, ``LIVE``, ``VIDEO``, ``PRODUCT_CARD``) with GMV, buyers, impressions and page views.
- **content** (:func:`content_frame`): one row per video or LIVE with ``username``, ``time`` and GMV.
- **links / events** (:func:`links_from_registry`, :func:`events_from_registry`): the registry's link
  intervals and audit events.

Example:
    >>> from importlib.resources import files
    >>> from linkkit.analytics.sources import read_seller_center_orders
    >>> lines = read_seller_center_orders(files("linkkit.analytics") / "data" / "sample_orders_us.csv")
    >>> sorted(set(lines["currency"]))
    ['USD']
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import numpy as np
import pandas as pd

from linkkit.analytics.progress import ProgressCallback, resolve_progress
from linkkit.errors import DataFormatError

__all__ = [
    "CHANNELS",
    "EVENT_COLUMNS",
    "LINK_COLUMNS",
    "REQUIRED_EXPORT_COLUMNS",
    "STATUS_MAP",
    "ShopAnalyticsClient",
    "content_frame",
    "events_from_registry",
    "links_from_registry",
    "load_api_orders",
    "load_shop_content",
    "load_shop_performance",
    "orders_from_api_pages",
    "read_parquet",
    "read_seller_center_orders",
    "save_parquet",
    "shop_performance_frame",
]

log = logging.getLogger(__name__)

#: The content channels TikTok breaks shop GMV into (``gmv_breakdowns[].type``).
CHANNELS: tuple[str, ...] = ("LIVE", "VIDEO", "PRODUCT_CARD")

#: Columns of the link-interval frame (one row per link, as the registry keeps them).
LINK_COLUMNS: tuple[str, ...] = (
    "link_id",
    "shop_id",
    "shop_name",
    "region",
    "account_open_id",
    "username",
    "display_name",
    "role",
    "linked_at",
    "unlinked_at",
)
#: Columns of the event frame.
EVENT_COLUMNS: tuple[str, ...] = ("at", "kind", "shop_id", "username", "role", "detail")

# --------------------------------------------------------------------------------------------------
# Seller Center export: header names, statuses, regions
# --------------------------------------------------------------------------------------------------

#: Export header (normalised: lower case, single spaces) -> linkkit column.
_HEADER_ALIASES: dict[str, str] = {
    "order id": "order_id",
    "order status": "status_raw",
    "order substatus": "substatus",
    "cancelation/return type": "cancel_return_type",
    "cancellation/return type": "cancel_return_type",
    "normal or pre-order": "order_kind",
    "sku id": "sku_id",
    "seller sku": "seller_sku",
    "product name": "product_name",
    "variation": "variation",
    "quantity": "quantity",
    "sku quantity of return": "quantity_returned",
    "sku unit original price": "unit_original_price",
    "sku subtotal before discount": "subtotal_before_discount",
    "sku platform discount": "platform_discount",
    "sku seller discount": "seller_discount",
    "sku subtotal after discount": "line_amount",
    "shipping fee after discount": "shipping_fee",
    "original shipping fee": "original_shipping_fee",
    "shipping fee seller discount": "shipping_fee_seller_discount",
    "shipping fee platform discount": "shipping_fee_platform_discount",
    "payment platform discount": "payment_platform_discount",
    "taxes": "taxes",
    "order amount": "order_amount",
    "order refund amount": "order_refund_amount",
    "created time": "created_time",
    "paid time": "paid_time",
    "rts time": "rts_time",
    "shipped time": "shipped_time",
    "delivered time": "delivered_time",
    "cancelled time": "cancelled_time",
    "buyer username": "buyer",
    "country": "country",
    "phone #": "phone",
}

#: Export headers that must be present (as Seller Center spells them).
REQUIRED_EXPORT_COLUMNS: tuple[str, ...] = (
    "Order ID",
    "Order Status",
    "Quantity",
    "SKU Subtotal After Discount",
    "Order Amount",
    "Created Time",
    "Paid Time",
)

_LINE_AMOUNTS = (
    "unit_original_price",
    "subtotal_before_discount",
    "platform_discount",
    "seller_discount",
    "line_amount",
)
_ORDER_AMOUNTS = (
    "shipping_fee",
    "original_shipping_fee",
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "payment_platform_discount",
    "taxes",
    "order_amount",
    "order_refund_amount",
)
_TIME_COLUMNS = ("created_time", "paid_time", "rts_time", "shipped_time", "delivered_time", "cancelled_time")
_INT_COLUMNS = ("quantity", "quantity_returned")
_LEADING = (
    "shop_id",
    "order_id",
    "line_no",
    "status",
    "status_raw",
    "substatus",
    "cancel_return_type",
    "created_time",
    "paid_time",
    "sku_id",
    "seller_sku",
    "product_name",
    "variation",
    "quantity",
    "line_amount",
    "order_amount",
    "currency",
    "buyer",
    "region",
)

#: Localised order status text (lower case) -> TikTok's API status. Unknown text keeps ``status`` empty.
STATUS_MAP: dict[str, str] = {
    # English (US, GB, SG, MY, PH)
    "unpaid": "UNPAID",
    "on hold": "ON_HOLD",
    "to ship": "AWAITING_SHIPMENT",
    "awaiting shipment": "AWAITING_SHIPMENT",
    "awaiting collection": "AWAITING_COLLECTION",
    "partially shipped": "PARTIALLY_SHIPPING",
    "shipped": "IN_TRANSIT",
    "in transit": "IN_TRANSIT",
    "delivered": "DELIVERED",
    "completed": "COMPLETED",
    "cancelled": "CANCELLED",
    "canceled": "CANCELLED",
    # Spanish (MX, ES)
    "no pagado": "UNPAID",
    "pendiente de pago": "UNPAID",
    "por enviar": "AWAITING_SHIPMENT",
    "enviado": "IN_TRANSIT",
    "en tránsito": "IN_TRANSIT",
    "entregado": "DELIVERED",
    "completado": "COMPLETED",
    "cancelado": "CANCELLED",
    # Indonesian
    "belum dibayar": "UNPAID",
    "perlu dikirim": "AWAITING_SHIPMENT",
    "dikirim": "IN_TRANSIT",
    "dalam pengiriman": "IN_TRANSIT",
    "terkirim": "DELIVERED",
    "selesai": "COMPLETED",
    "dibatalkan": "CANCELLED",
    # Vietnamese
    "chưa thanh toán": "UNPAID",
    "chờ giao hàng": "AWAITING_SHIPMENT",
    "đang giao": "IN_TRANSIT",
    "đã giao": "DELIVERED",
    "đã hoàn thành": "COMPLETED",
    "đã hủy": "CANCELLED",
}

_COUNTRY_REGION = {
    "united states": "US",
    "usa": "US",
    "us": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "gb": "GB",
    "indonesia": "ID",
    "id": "ID",
    "mexico": "MX",
    "méxico": "MX",
    "mx": "MX",
    "vietnam": "VN",
    "viet nam": "VN",
    "philippines": "PH",
    "thailand": "TH",
    "malaysia": "MY",
    "singapore": "SG",
    "spain": "ES",
    "españa": "ES",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "italy": "IT",
    "ireland": "IE",
    "japan": "JP",
    "brazil": "BR",
}
#: Region -> (currency, shop time zone used for export timestamps, month-first dates?).
_REGION_FACTS: dict[str, tuple[str, str, bool]] = {
    "US": ("USD", "America/Los_Angeles", True),
    "MX": ("MXN", "America/Mexico_City", True),
    "GB": ("GBP", "Europe/London", False),
    "ID": ("IDR", "Asia/Jakarta", False),
    "VN": ("VND", "Asia/Ho_Chi_Minh", False),
    "PH": ("PHP", "Asia/Manila", False),
    "TH": ("THB", "Asia/Bangkok", False),
    "MY": ("MYR", "Asia/Kuala_Lumpur", False),
    "SG": ("SGD", "Asia/Singapore", False),
    "ES": ("EUR", "Europe/Madrid", False),
    "DE": ("EUR", "Europe/Berlin", False),
    "FR": ("EUR", "Europe/Paris", False),
    "IT": ("EUR", "Europe/Rome", False),
    "IE": ("EUR", "Europe/Dublin", False),
    "JP": ("JPY", "Asia/Tokyo", False),
    "BR": ("BRL", "America/Sao_Paulo", False),
}
_ZERO_DECIMAL = {"IDR", "VND", "JPY", "KRW", "CLP"}
_SYMBOLS = {
    "£": "GBP",
    "€": "EUR",
    "rp": "IDR",
    "₫": "VND",
    "rm": "MYR",
    "₱": "PHP",
    "฿": "THB",
    "¥": "JPY",
    "s$": "SGD",
    "us$": "USD",
    "mx$": "MXN",
    "r$": "BRL",
}

_ID_RE = re.compile(r"^[0-9A-Za-z_-]+$")
_AMOUNT_RE = re.compile(r"^(?P<pre>[^\d\-+.,]*?)\s*(?P<num>[-+]?[\d.,]*\d[\d.,]*)\s*(?P<post>[^\d.,]*)$")
_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_FORMATS = {
    "MDY": ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    "DMY": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "ISO": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"),
}
_CHUNK_ROWS = 100_000


def _norm_header(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").replace("\t", " ").split()).lower()


def _snake(text: str) -> str:
    out = re.sub(r"[^0-9a-z]+", "_", _norm_header(text)).strip("_")
    return out or "column"


# --------------------------------------------------------------------------------------------------
# Reading bytes: encoding, CSV vs XLSX, chunks
# --------------------------------------------------------------------------------------------------


def _source_name(path_or_file: Any) -> str:
    if isinstance(path_or_file, str | os.PathLike):
        return Path(path_or_file).name
    name = getattr(path_or_file, "name", None)
    return Path(name).name if isinstance(name, str) else "<upload>"


def _open_binary(path_or_file: Any, file: str) -> IO[bytes]:
    if isinstance(path_or_file, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(path_or_file))
    if isinstance(path_or_file, str | os.PathLike):
        try:
            return open(path_or_file, "rb")
        except OSError as exc:
            raise DataFormatError(f"Cannot open the file: {exc.strerror}", file=file) from exc
    if hasattr(path_or_file, "read"):
        data = path_or_file.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return io.BytesIO(data)
    if hasattr(path_or_file, "read_bytes"):  # importlib.resources Traversable
        return io.BytesIO(path_or_file.read_bytes())
    raise DataFormatError("Not a file, path or bytes", file=file, expected="a CSV or XLSX order export")


def _detect_encoding(fh: IO[bytes], file: str) -> str:
    """Check the whole file decodes; return the codec. Wrong encodings name the row of the first bad byte."""
    head = fh.read(4)
    fh.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 1
    while True:
        block = fh.read(1 << 22)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            bad = block[: exc.start]
            row = lines + bad.count(b"\n")
            raise DataFormatError(
                "The file is not UTF-8 text",
                file=file,
                row=row,
                expected="a CSV saved as UTF-8 (Seller Center's export, or 'CSV UTF-8' in Excel)",
            ) from exc
        if "\x00" in text:
            raise DataFormatError(
                "The file holds binary data, not text",
                file=file,
                row=lines + text[: text.index("\x00")].count("\n"),
                expected="a CSV or XLSX order export from Seller Center",
            )
        lines += text.count("\n")
        if not block:
            break
    fh.seek(0)
    return encoding


def _csv_chunks(fh: IO[bytes], file: str, progress: ProgressCallback) -> Iterator[pd.DataFrame]:
    encoding = _detect_encoding(fh, file)
    total = fh.seek(0, io.SEEK_END)
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    first = text.readline()
    if not first.strip():
        if not text.read().strip():
            raise DataFormatError(
                "The file is empty", file=file, expected="a Seller Center order export with a header row"
            )
        raise DataFormatError("The first row is blank", file=file, row=1, expected="the export's header row")
    counts = {sep: first.count(sep) for sep in (",", "\t", ";")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    text.seek(0)
    try:
        with pd.read_csv(
            text,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            chunksize=_CHUNK_ROWS,
            header=None,
            skip_blank_lines=True,
            engine="c",
        ) as reader:
            for chunk in reader:
                progress(min(fh.tell(), total), total, "reading the export")
                yield chunk
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        row = _row_from_parser_message(str(exc))
        raise DataFormatError(
            f"The file is not a well-formed CSV: {exc}",
            file=file,
            row=row,
            expected="one record per row with as many cells as the header",
        ) from exc
    finally:
        if not text.closed:
            text.detach()  # the caller closes the binary file


def _row_from_parser_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _xlsx_chunks(fh: IO[bytes], file: str, progress: ProgressCallback) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataFormatError(
            "The file is not a readable XLSX workbook", file=file, expected="a Seller Center order export (CSV or XLSX)"
        ) from exc
    try:
        sheet = book.active if book.active is not None else book.worksheets[0]
        total = sheet.max_row or None
        rows: list[list[str]] = []
        done = 0
        for raw in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in raw])
            if len(rows) >= _CHUNK_ROWS:
                done += len(rows)
                progress(done, total, "reading the export")
                yield pd.DataFrame(rows, dtype=str)
                rows = []
        if rows:
            done += len(rows)
            progress(done, total, "reading the export")
            yield pd.DataFrame(rows, dtype=str)
    finally:
        book.close()


# --------------------------------------------------------------------------------------------------
# Parsing cells: times, amounts, integers
# --------------------------------------------------------------------------------------------------


def _date_style(samples: Sequence[str], region: str | None) -> str:
    month_first_votes = day_first_votes = 0
    ampm = False
    for value in samples:
        match = _SLASH_DATE_RE.match(value)
        if not match:
            continue
        a, b = int(match.group(1)), int(match.group(2))
        if a > 12:
            day_first_votes += 1
        elif b > 12:
            month_first_votes += 1
        if value.rstrip().upper().endswith(("AM", "PM")):
            ampm = True
    if day_first_votes and not month_first_votes:
        return "DMY"
    if month_first_votes and not day_first_votes:
        return "MDY"
    if ampm:
        return "MDY"
    if region in _REGION_FACTS:
        return "MDY" if _REGION_FACTS[region][2] else "DMY"
    return "DMY"


def _parse_times(values: pd.Series, style: str) -> pd.Series:
    """Parse local wall-clock strings (no zone) into naive datetimes; unparseable become NaT."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    todo = values != ""
    for fmt in _FORMATS[style] + _FORMATS["ISO"]:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            out.loc[ok[ok].index] = parsed[ok].astype("datetime64[us]")
            todo.loc[ok[ok].index] = False
    return out


def _localise(naive: pd.Series, tz: str) -> pd.Series:
    if naive.empty:
        return naive.dt.tz_localize("UTC")
    local = naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _number(text: str, currency: str | None) -> float | None:
    num = text.replace(" ", "").replace("\u00a0", "")
    if "." in num and "," in num:
        if num.rfind(",") > num.rfind("."):
            num = num.replace(".", "").replace(",", ".")
        else:
            num = num.replace(",", "")
    elif "," in num:
        if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", num):
            num = num.replace(",", "")
        else:
            num = num.replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", num) and (currency in _ZERO_DECIMAL or num.count(".") > 1):
        num = num.replace(".", "")
    try:
        value = float(num)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _currency_token(token: str) -> str | None:
    token = token.strip()
    if not token:
        return None
    if re.fullmatch(r"[A-Za-z]{3}", token):
        return token.upper()
    return _SYMBOLS.get(token.lower(), "$" if token == "$" else None) or None


def _parse_amounts(values: pd.Series, default_currency: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (amount, currency seen in the cell, bad-cell mask)."""
    cleaned = values.str.replace("\u00a0", " ", regex=False).str.strip()
    amount = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").astype("float64")
    currency = pd.Series(None, index=values.index, dtype=object)
    rest = cleaned[(cleaned != "") & amount.isna()]
    bad = pd.Series(False, index=values.index)
    for idx, text in rest.items():
        match = _AMOUNT_RE.match(text)
        token = None
        if match:
            token = _currency_token(match.group("pre")) if match.group("pre").strip() else None
            post = match.group("post").strip()
            if token is None and post:
                token = _currency_token(post)
            ok_tokens = (not match.group("pre").strip() or token) and (not post or _currency_token(post))
        if not match or not ok_tokens:
            bad.loc[idx] = True
            continue
        code = default_currency if token == "$" else token
        number = _number(match.group("num"), code or default_currency)
        if number is None:
            bad.loc[idx] = True
            continue
        amount.loc[idx] = number
        currency.loc[idx] = code
    return amount, currency, bad


class _Shape:
    """What we learn from the header row and the first chunk."""

    def __init__(self, header: list[str], file: str) -> None:
        self.file = file
        self.header = header
        self.names: list[str] = []
        seen: dict[str, int] = {}
        for raw in header:
            norm = _norm_header(raw)
            name = _HEADER_ALIASES.get(norm) or _snake(raw)
            if name in seen:
                seen[name] += 1
                name = f"{name}_{seen[name]}"
            else:
                seen[name] = 1
            self.names.append(name)
        present = {_norm_header(h) for h in header}
        missing = [h for h in REQUIRED_EXPORT_COLUMNS if _norm_header(h) not in present]
        if len(missing) == len(REQUIRED_EXPORT_COLUMNS) or not any(n in _HEADER_ALIASES for n in present):
            raise DataFormatError(
                "This is not a Seller Center order export: none of its headers were found",
                file=file,
                row=1,
                expected=f"a header row with {', '.join(REQUIRED_EXPORT_COLUMNS)}",
            )
        if missing:
            raise DataFormatError(
                f"The export is missing required column(s): {', '.join(missing)}",
                file=file,
                row=1,
                column=missing[0],
                expected="Seller Center's Orders > Export file with all its columns",
            )
        self.column_of = {name: raw.strip() for name, raw in zip(self.names, header, strict=True)}


def _is_description_row(row: pd.Series) -> bool:
    order_id = str(row.get("order_id", "")).replace("\t", "").strip()
    return not _ID_RE.match(order_id)


def _parse_chunk(
    chunk: pd.DataFrame,
    shape: _Shape,
    first_row: int,
    *,
    style: str,
    tz: str,
    currency: str | None,
) -> pd.DataFrame:
    """Parse one chunk of string cells; ``first_row`` is the file row number of the chunk's first row."""
    file = shape.file
    frame = chunk.copy()
    frame.columns = shape.names
    frame = frame.apply(lambda s: s.str.replace("\t", "", regex=False).str.strip())
    rows = pd.Series(np.arange(first_row, first_row + len(frame)), index=frame.index)
    problems: list[tuple[int, str, str, str]] = []  # (row, column, message, expected)

    def flag(mask: pd.Series, column: str, message: str, expected: str) -> None:
        if mask.any():
            problems.append((int(rows[mask].iloc[0]), shape.column_of[column], message, expected))

    ids = frame["order_id"]
    flag(~ids.str.match(_ID_RE), "order_id", "Order ID is empty or not an ID", "digits and letters only")
    for column in _INT_COLUMNS:
        if column in frame:
            text = frame[column]
            as_num = pd.to_numeric(text.where(text != "", None), errors="coerce")
            required = column == "quantity"
            bad = (text != "") & (as_num.isna() | (as_num % 1 != 0))
            if required:
                bad |= text == ""
            flag(bad, column, f"{shape.column_of[column]} is not a whole number", "a whole number such as 2")
            frame[column] = as_num.where(~bad).round().astype("Int64")
    seen_currency = pd.Series(None, index=frame.index, dtype=object)
    for column in (*_LINE_AMOUNTS, *_ORDER_AMOUNTS):
        if column in frame:
            amount, cell_currency, bad = _parse_amounts(frame[column], currency)
            flag(bad, column, f"{shape.column_of[column]} is not an amount", "a number such as 123.45 or MXN 123.45")
            frame[column] = amount
            seen_currency = seen_currency.fillna(cell_currency)
    for column in _TIME_COLUMNS:
        if column in frame:
            text = frame[column]
            naive = _parse_times(text, style)
            bad = (text != "") & naive.isna()
            if column == "created_time":
                bad |= text == ""
            example = "MM/DD/YYYY hh:mm:ss AM/PM" if style == "MDY" else "DD/MM/YYYY HH:MM:SS"
            flag(bad, column, f"{shape.column_of[column]} is not a date and time", f"a date like {example}")
            frame[column] = _localise(naive, tz)
    if problems:
        row, column, message, expected = min(problems)
        raise DataFormatError(message, file=file, row=row, column=column, expected=expected)
    frame["currency"] = seen_currency.fillna(currency).astype("str")
    return frame


def read_seller_center_orders(
    path_or_file: str | os.PathLike[str] | IO[bytes] | bytes | Any,
    *,
    shop_id: str | None = None,
    region: str | None = None,
    currency: str | None = None,
    tz: str | None = None,
    date_order: Literal["auto", "MDY", "DMY"] = "auto",
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Read a Seller Center order export (CSV or XLSX) into one tidy frame of order lines.

    Columns are matched by header name, never by position. The loader strips tab characters inside cells,
    skips the description row some exports carry under the header, reads US/MX ``MM/DD/YYYY hh:mm:ss AM/PM``
    and ``DD/MM/YYYY HH:MM:SS`` dates (shop-local wall time, converted to UTC), accepts currency prefixes
    such as ``MXN 123.45``, keeps unknown and region-specific columns (snake_cased), keeps the localised
    status text in ``status_raw`` and maps known text to TikTok's status in ``status``. Order-level amounts
    are kept on each order's first line only (``line_no == 1``), so sums never double count.

    Args:
        path_or_file: A path, an open binary file, or the file's bytes (e.g. from a ``FileUpload``).
        shop_id: Stored in a ``shop_id`` column when given (exports do not name the shop).
        region: The shop's region (``US``, ``GB``, ``ID`` …); inferred from the ``Country`` column if omitted.
        currency: ISO code for amounts without a prefix; defaults to the region's currency.
        tz: The time zone of the export's timestamps; defaults to the region's main zone, else UTC.
        date_order: ``MDY`` or ``DMY``; ``auto`` decides from the values, then the region.
        progress: ``True`` for a notebook/Voila progress bar, or a ``(done, total, message)`` callable.

    Returns:
        One row per SKU line; see the module docstring for the columns.

    Raises:
        DataFormatError: The file is empty, not an export, not UTF-8, misses required columns, or a cell
            cannot be parsed. The error names the file, row (header = row 1) and column.
    """
    file = _source_name(path_or_file)
    report = resolve_progress(progress, "Reading export")
    fh = _open_binary(path_or_file, file)
    chunks: Iterator[pd.DataFrame] | None = None
    try:
        head = fh.read(8)
        fh.seek(0)
        if not head:
            raise DataFormatError(
                "The file is empty", file=file, expected="a Seller Center order export with a header row"
            )
        is_xlsx = head.startswith(b"PK\x03\x04") or file.lower().endswith((".xlsx", ".xlsm"))
        chunks = _xlsx_chunks(fh, file, report) if is_xlsx else _csv_chunks(fh, file, report)
        frame = _parse_all(
            chunks, file, shop_id=shop_id, region=region, currency=currency, tz=tz, date_order=date_order
        )
    except DataFormatError:
        raise
    except (UnicodeError, zipfile.BadZipFile, EOFError, OverflowError, IndexError, KeyError) as exc:
        raise DataFormatError(f"The file cannot be read as an order export: {exc}", file=file) from exc
    finally:
        if isinstance(chunks, Generator):
            chunks.close()  # finish the reader before its file goes away
        fh.close()
    report(1, 1, f"{len(frame):,} order lines")
    log.info("read %s: %d order lines", file, len(frame))
    return frame


def _parse_all(
    chunks: Iterator[pd.DataFrame],
    file: str,
    *,
    shop_id: str | None,
    region: str | None,
    currency: str | None,
    tz: str | None,
    date_order: str,
) -> pd.DataFrame:
    shape: _Shape | None = None
    parsed: list[pd.DataFrame] = []
    next_row = 2
    style = date_order
    for chunk in chunks:
        chunk = chunk.fillna("")
        if shape is None:
            if chunk.empty:
                raise DataFormatError("The file is empty", file=file, expected="a Seller Center order export")
            shape = _Shape([str(v) for v in chunk.iloc[0].tolist()], file)
            chunk = chunk.iloc[1:]
            if not chunk.empty:
                first = chunk.iloc[0].copy()
                first.index = shape.names
                if _is_description_row(first):
                    chunk = chunk.iloc[1:]
                    next_row += 1
            if region is None and "country" in shape.names and not chunk.empty:
                col = shape.names.index("country")
                countries = chunk.iloc[:, col].str.replace("\t", "", regex=False).str.strip().str.lower()
                found = countries.map(_COUNTRY_REGION).dropna()
                region = found.mode().iloc[0] if not found.empty else None
            facts = _REGION_FACTS.get(region or "")
            currency = currency or (facts[0] if facts else None)
            tz = tz or (facts[1] if facts else "UTC")
            if style == "auto":
                samples: list[str] = []
                for name in ("created_time", "paid_time"):
                    col = shape.names.index(name)
                    samples += chunk.iloc[:2000, col].str.replace("\t", "", regex=False).str.strip().tolist()
                style = _date_style(samples, region)
        if chunk.empty:
            continue
        if chunk.shape[1] != len(shape.names):
            raise DataFormatError(
                f"Row has {chunk.shape[1]} cells but the header has {len(shape.names)}",
                file=file,
                row=next_row,
                expected="one cell per header column",
            )
        parsed.append(_parse_chunk(chunk, shape, next_row, style=style, tz=tz or "UTC", currency=currency))
        next_row += len(chunk)
    if shape is None:
        raise DataFormatError("The file is empty", file=file, expected="a Seller Center order export")
    if parsed:
        frame = pd.concat(parsed, ignore_index=True)
    else:
        frame = _parse_chunk(
            pd.DataFrame([], columns=range(len(shape.names)), dtype=str),
            shape,
            2,
            style="DMY",
            tz=tz or "UTC",
            currency=currency,
        )
    return _finish_lines(frame, shop_id=shop_id, region=region)


def _finish_lines(frame: pd.DataFrame, *, shop_id: str | None, region: str | None) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame["line_no"] = (frame.groupby("order_id", sort=False).cumcount() + 1).astype("Int64")
    later = frame["line_no"] > 1
    for column in _ORDER_AMOUNTS:
        if column in frame:
            frame.loc[later, column] = np.nan
    frame["status_raw"] = frame["status_raw"].astype("str")
    frame["status"] = frame["status_raw"].str.strip().str.lower().map(STATUS_MAP).astype("str")
    frame["region"] = pd.Series(region, index=frame.index, dtype="str")
    if shop_id is not None:
        frame["shop_id"] = pd.Series(shop_id, index=frame.index, dtype="str")
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("str")
    leading = [c for c in _LEADING if c in frame.columns]
    rest = [c for c in frame.columns if c not in leading]
    return frame[leading + rest]


# --------------------------------------------------------------------------------------------------
# Shop API
# --------------------------------------------------------------------------------------------------


class ShopAnalyticsClient(Protocol):
    """What the API loaders need from :class:`linkkit.tiktok.shop.ShopClient` (any object with these works)."""

    def search_orders(
        self,
        shop_cipher: str,
        *,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        page_size: int = 100,
    ) -> Iterator[list[dict[str, Any]]]: ...

    def shop_performance(
        self,
        shop_cipher: str,
        *,
        start_date_ge: dt.date,
        end_date_lt: dt.date,
        granularity: str = "1D",
        currency: str = "LOCAL",
    ) -> dict[str, Any]: ...

    def shop_videos(
        self, shop_cipher: str, *, start_date_ge: dt.date, end_date_lt: dt.date, account_type: str = "ALL"
    ) -> Iterator[list[dict[str, Any]]]: ...

    def shop_lives(
        self, shop_cipher: str, *, start_date_ge: dt.date, end_date_lt: dt.date, account_type: str = "ALL"
    ) -> Iterator[list[dict[str, Any]]]: ...


def _money(value: Any, where: str) -> tuple[float | None, str | None]:
    """Amounts arrive as numbers, strings (``"12.30"``, ``"USD 12.30"``) or ``{amount, currency}``."""
    if value is None or value == "":
        return None, None
    if isinstance(value, Mapping):
        amount, cur = _money(value.get("amount"), where)
        return amount, (str(value["currency"]) if value.get("currency") else cur)
    if isinstance(value, bool):
        raise DataFormatError("Amount is a boolean", file=where, expected="a number or {amount, currency}")
    if isinstance(value, int | float):
        return float(value), None
    amount, cur, bad = _parse_amounts(pd.Series([str(value)], dtype=str), None)
    if bool(bad.iloc[0]) or pd.isna(amount.iloc[0]):
        raise DataFormatError(
            f"Amount {value!r} is not a number", file=where, expected="a number or {amount, currency}"
        )
    return float(amount.iloc[0]), cur.iloc[0]


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _unix(value: Any) -> pd.Timestamp | None:
    if value is None or value == "" or value == 0:
        return None
    try:
        return pd.Timestamp(int(float(value)), unit="s", tz="UTC")
    except (TypeError, ValueError, OverflowError):
        return None


def _api_time(value: Any, tz: str) -> pd.Timestamp | None:
    """``video_post_time`` is ``YYYY-MM-DD HH:MM:SS`` (shop time) or a Unix timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return _unix(value)
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


_ORDER_LINE_COLUMNS = {
    "shop_id": "str",
    "order_id": "str",
    "line_no": "Int64",
    "status": "str",
    "status_raw": "str",
    "created_time": "datetime64[us, UTC]",
    "paid_time": "datetime64[us, UTC]",
    "sku_id": "str",
    "seller_sku": "str",
    "product_name": "str",
    "quantity": "Int64",
    "line_amount": "float64",
    "unit_original_price": "float64",
    "order_amount": "float64",
    "currency": "str",
    "buyer": "str",
    "cancel_reason": "str",
}


def orders_from_api_pages(pages: Iterable[Sequence[Mapping[str, Any]]], *, shop_id: str) -> pd.DataFrame:
    """Turn raw ``orders[]`` pages of ``/order/202309/orders/search`` into order lines.

    The API has no quantity: each ``line_items[]`` entry is one unit (``quantity`` 1). ``order_amount`` is
    ``payment.total_amount`` on the first line of each order.

    Args:
        pages: Pages of raw order dicts, exactly as TikTok returns them.
        shop_id: The shop the orders belong to.

    Returns:
        Order lines with the same column names as :func:`read_seller_center_orders`.
    """
    records: list[dict[str, Any]] = []
    for page in pages:
        for order in page:
            order_id = str(order.get("id") or "")
            if not order_id:
                raise DataFormatError("An order has no id", file="orders/search", column="id", expected="a string id")
            payment = order.get("payment") or {}
            total, total_cur = _money(payment.get("total_amount"), "orders/search")
            currency = payment.get("currency") or total_cur
            items = order.get("line_items") or [{}]
            for n, item in enumerate(items, start=1):
                price, price_cur = _money(item.get("sale_price"), "orders/search")
                original, _ = _money(item.get("original_price"), "orders/search")
                records.append(
                    {
                        "shop_id": shop_id,
                        "order_id": order_id,
                        "line_no": n,
                        "status": order.get("status"),
                        "status_raw": order.get("status"),
                        "created_time": _unix(order.get("create_time")),
                        "paid_time": _unix(order.get("paid_time")),
                        "sku_id": item.get("sku_id"),
                        "seller_sku": item.get("seller_sku"),
                        "product_name": item.get("product_name"),
                        "quantity": 1 if item else 0,
                        "line_amount": price,
                        "unit_original_price": original,
                        "order_amount": total if n == 1 else None,
                        "currency": item.get("currency") or price_cur or currency,
                        "buyer": order.get("user_id"),
                        "cancel_reason": order.get("cancel_reason") or None,
                    }
                )
    return _typed(records, _ORDER_LINE_COLUMNS)


def _typed(records: list[dict[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    for column, dtype in columns.items():
        if dtype.startswith("datetime64") and "UTC" in dtype:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(dtype)
        elif dtype.startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column]).astype(dtype)
        elif dtype == "float64":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def _epoch(day: dt.date | dt.datetime | None) -> int | None:
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        stamp = pd.Timestamp(day)
    else:
        stamp = pd.Timestamp(day.isoformat())
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.timestamp())


def load_api_orders(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Page through ``search_orders`` and return order lines (see :func:`orders_from_api_pages`).

    Args:
        client: A :class:`linkkit.tiktok.shop.ShopClient` (sandbox or live) or anything with its methods.
        shop_cipher: The shop's cipher from Get Authorized Shops.
        shop_id: Stored in the ``shop_id`` column.
        start: Orders created at or after this instant (UTC if naive).
        end: Orders created before this instant.
        progress: ``True`` for a progress bar or a ``(done, total, message)`` callable.
    """
    report = resolve_progress(progress, "Loading orders")
    pages: list[list[dict[str, Any]]] = []
    for n, page in enumerate(
        client.search_orders(shop_cipher, create_time_ge=_epoch(start), create_time_lt=_epoch(end)), start=1
    ):
        pages.append(list(page))
        report(n, None, f"{sum(len(p) for p in pages):,} orders")
    return orders_from_api_pages(pages, shop_id=shop_id)


_PERF_COLUMNS = {
    "shop_id": "str",
    "date": "datetime64[us]",
    "channel": "str",
    "gmv": "float64",
    "currency": "str",
    "orders": "Int64",
    "units_sold": "Int64",
    "buyers": "Int64",
    "product_impressions": "Int64",
    "product_page_views": "Int64",
    "avg_product_page_visitors": "Int64",
}
_BREAKDOWN_KEYS = {
    "buyers": ("buyer_breakdowns",),
    "product_impressions": ("product_impression_breakdowns", "product_impressions_breakdowns"),
    "product_page_views": ("product_page_view_breakdowns", "product_page_views_breakdowns"),
    "avg_product_page_visitors": ("avg_product_page_visitor_breakdowns", "avg_product_page_visitors_breakdowns"),
}


def _breakdown(interval: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    for key in keys:
        if key in interval and interval[key] is not None:
            return {str(b.get("type")): b.get("amount") for b in interval[key]}
    return {}


def shop_performance_frame(data: Mapping[str, Any], *, shop_id: str) -> pd.DataFrame:
    """Turn a raw ``shop/performance`` ``data`` object into one row per day and channel.

    Rows with ``channel == "ALL"`` hold the interval totals (``gmv``, ``orders``, ``units_sold``,
    ``buyers``, impressions, page views); ``LIVE`` / ``VIDEO`` / ``PRODUCT_CARD`` rows hold the breakdowns
    (orders and units are not broken down by TikTok, so they stay empty there).

    Args:
        data: The response's ``data`` (``{latest_available_date, performance: {intervals: [...]}}``).
        shop_id: The shop the numbers belong to.
    """
    performance = data.get("performance") or {}
    intervals = performance.get("intervals")
    if intervals is None:
        raise DataFormatError(
            "The shop performance response has no intervals",
            file="shop/performance",
            column="performance.intervals",
            expected="data.performance.intervals[]",
        )
    records: list[dict[str, Any]] = []
    for interval in intervals:
        try:
            day = pd.Timestamp(str(interval["start_date"]))
        except (KeyError, ValueError) as exc:
            raise DataFormatError(
                "An interval has no valid start_date",
                file="shop/performance",
                column="start_date",
                expected="YYYY-MM-DD",
            ) from exc
        gmv, currency = _money(interval.get("gmv"), "shop/performance")
        total = {
            "shop_id": shop_id,
            "date": day,
            "channel": "ALL",
            "gmv": gmv,
            "currency": currency,
            "orders": _int(interval.get("orders")),
            "units_sold": _int(interval.get("units_sold")),
            "buyers": _int(interval.get("buyers")),
            "product_impressions": _int(interval.get("product_impressions")),
            "product_page_views": _int(interval.get("product_page_views")),
            "avg_product_page_visitors": _int(interval.get("avg_product_page_visitors")),
        }
        records.append(total)
        gmv_by = {}
        for b in interval.get("gmv_breakdowns") or []:
            gmv_by[str(b.get("type"))] = _money(b, "shop/performance")
        other = {metric: _breakdown(interval, keys) for metric, keys in _BREAKDOWN_KEYS.items()}
        for channel in CHANNELS:
            amount, cur = gmv_by.get(channel, (None, None))
            records.append(
                {
                    "shop_id": shop_id,
                    "date": day,
                    "channel": channel,
                    "gmv": amount,
                    "currency": cur or currency,
                    "orders": None,
                    "units_sold": None,
                    **{metric: _int(values.get(channel)) for metric, values in other.items()},
                }
            )
    return _typed(records, _PERF_COLUMNS)


def load_shop_performance(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date,
    end: dt.date,
    currency: str = "LOCAL",
) -> pd.DataFrame:
    """Fetch daily shop performance (``granularity=1D``) and return :func:`shop_performance_frame`.

    Args:
        client: A shop client (see :class:`ShopAnalyticsClient`).
        shop_cipher: The shop's cipher.
        shop_id: Stored in the ``shop_id`` column.
        start: First day (inclusive, shop time zone).
        end: Day after the last (exclusive).
        currency: ``LOCAL`` or ``USD``.
    """
    data = client.shop_performance(
        shop_cipher, start_date_ge=start, end_date_lt=end, granularity="1D", currency=currency
    )
    return shop_performance_frame(data, shop_id=shop_id)


_CONTENT_COLUMNS = {
    "shop_id": "str",
    "content_type": "str",
    "content_id": "str",
    "title": "str",
    "username": "str",
    "account_type": "str",
    "time": "datetime64[us, UTC]",
    "end_time": "datetime64[us, UTC]",
    "gmv": "float64",
    "currency": "str",
    "sku_orders": "Int64",
    "units_sold": "Int64",
    "buyers": "Int64",
    "views": "Int64",
    "product_impressions": "Int64",
    "product_clicks": "Int64",
}


def content_frame(
    rows: Iterable[Mapping[str, Any]],
    *,
    content_type: Literal["VIDEO", "LIVE"],
    shop_id: str,
    account_type: str = "ALL",
    tz: str = "UTC",
) -> pd.DataFrame:
    """Turn raw ``shop_videos`` / ``shop_lives`` performance rows into one row per video or LIVE.

    Video rows carry ``video_post_time`` (``YYYY-MM-DD HH:MM:SS`` in the shop's time zone, ``tz``); LIVE rows
    carry ``start_time`` / ``end_time`` (Unix seconds) and nest their numbers under ``sales_performance`` and
    ``interaction_performance``.

    Args:
        rows: Raw rows as TikTok returns them.
        content_type: ``VIDEO`` or ``LIVE``.
        shop_id: The shop.
        account_type: The ``account_type`` the rows were requested with (kept as a label).
        tz: The shop's time zone, for ``video_post_time``.
    """
    where = "shop_videos" if content_type == "VIDEO" else "shop_lives"
    records = []
    for row in rows:
        if not row.get("username"):
            raise DataFormatError(
                f"A {where} row has no username", file=where, column="username", expected="a username"
            )
        if content_type == "VIDEO":
            sales: Mapping[str, Any] = row
            inter: Mapping[str, Any] = row
            when = _api_time(row.get("video_post_time") or row.get("post_time"), tz)
            end_time = None
        else:
            sales = row.get("sales_performance") or {}
            inter = row.get("interaction_performance") or {}
            when = _api_time(row.get("start_time"), tz)
            end_time = _api_time(row.get("end_time"), tz)
        if when is None:
            raise DataFormatError(
                f"A {where} row has no valid time",
                file=where,
                column="video_post_time" if content_type == "VIDEO" else "start_time",
                expected="a timestamp",
            )
        gmv, currency = _money(sales.get("gmv"), where)
        records.append(
            {
                "shop_id": shop_id,
                "content_type": content_type,
                "content_id": str(row.get("id") or ""),
                "title": row.get("title"),
                "username": row["username"],
                "account_type": account_type,
                "time": when,
                "end_time": end_time,
                "gmv": gmv,
                "currency": currency,
                "sku_orders": _int(sales.get("sku_orders")),
                "units_sold": _int(sales.get("units_sold", sales.get("unit_sold"))),
                "buyers": _int(sales.get("customers")),
                "views": _int(inter.get("views")),
                "product_impressions": _int(inter.get("product_impressions")),
                "product_clicks": _int(inter.get("product_clicks")),
            }
        )
    return _typed(records, _CONTENT_COLUMNS)


def load_shop_content(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date,
    end: dt.date,
    video_account_types: Sequence[str] = ("ALL",),
    live_account_types: Sequence[str] = ("OFFICIAL_ACCOUNTS", "MARKETING_ACCOUNTS", "AFFILIATE_ACCOUNTS"),
    tz: str = "UTC",
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Fetch the shop's video and LIVE performance lists, one request series per ``account_type``.

    Each row keeps the ``account_type`` it was requested with, so GMV by linked-account type comes straight
    from TikTok; :func:`linkkit.analytics.attribution.attribute_content` then puts rows on the exact link.

    Args:
        client: A shop client.
        shop_cipher: The shop's cipher.
        shop_id: Stored in ``shop_id``.
        start: First day (inclusive).
        end: Day after the last (exclusive).
        video_account_types: ``account_type`` values for ``shop_videos`` (TikTok's video list takes
            ``ALL``, ``LINKED_ACCOUNTS``, ``AFFILIATES``).
        live_account_types: ``account_type`` values for ``shop_lives``.
        tz: The shop's time zone (for ``video_post_time``).
        progress: ``True`` for a progress bar or a callable.
    """
    report = resolve_progress(progress, "Loading content")
    frames: list[pd.DataFrame] = []
    plan = [("VIDEO", t) for t in video_account_types] + [("LIVE", t) for t in live_account_types]
    for n, (kind, account_type) in enumerate(plan, start=1):
        fetch = client.shop_videos if kind == "VIDEO" else client.shop_lives
        rows = [
            row
            for page in fetch(shop_cipher, start_date_ge=start, end_date_lt=end, account_type=account_type)
            for row in page
        ]
        frames.append(content_frame(rows, content_type=kind, shop_id=shop_id, account_type=account_type, tz=tz))  # type: ignore[arg-type]
        report(n, len(plan), f"{kind.lower()}s ({account_type})")
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0] if frames else content_frame([], content_type="VIDEO", shop_id=shop_id)
    return pd.concat(non_empty, ignore_index=True)


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------

_LINK_DTYPES = {
    "link_id": "str",
    "shop_id": "str",
    "shop_name": "str",
    "region": "str",
    "account_open_id": "str",
    "username": "str",
    "display_name": "str",
    "role": "str",
    "linked_at": "datetime64[us, UTC]",
    "unlinked_at": "datetime64[us, UTC]",
}
_EVENT_DTYPES = {
    "at": "datetime64[us, UTC]",
    "kind": "str",
    "shop_id": "str",
    "username": "str",
    "role": "str",
    "detail": "str",
}


def links_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Link-interval records (dicts with :data:`LINK_COLUMNS`) as a typed DataFrame."""
    rows = [{k: r.get(k) for k in LINK_COLUMNS} for r in records]
    for row in rows:
        row["link_id"] = None if row["link_id"] is None else str(row["link_id"])
    return _typed(rows, _LINK_DTYPES)


def events_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Event records (dicts with :data:`EVENT_COLUMNS`) as a typed DataFrame."""
    rows = [{k: (None if r.get(k) is None else r.get(k)) for k in EVENT_COLUMNS} for r in records]
    for row in rows:
        if row["detail"] is not None and not isinstance(row["detail"], str):
            row["detail"] = str(row["detail"])
    return _typed(rows, _EVENT_DTYPES)


def links_from_registry(store: Any, shop_id: str | None = None) -> pd.DataFrame:
    """The registry's link intervals (``Store.link_intervals``) as a DataFrame with :data:`LINK_COLUMNS`."""
    return links_frame(store.link_intervals(shop_id))


def events_from_registry(store: Any, shop_id: str | None = None) -> pd.DataFrame:
    """The registry's audit events (``Store.events``) as a DataFrame with :data:`EVENT_COLUMNS`."""
    return events_frame(
        dataclasses.asdict(event) if dataclasses.is_dataclass(event) and not isinstance(event, type) else event
        for event in store.events(shop_id)
    )


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------


def save_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to Parquet atomically (a crash never leaves half a file) and return the path.

    Example:
        >>> import pandas as pd, tempfile, pathlib
        >>> p = save_parquet(pd.DataFrame({"x": [1]}), pathlib.Path(tempfile.mkdtemp()) / "x.parquet")
        >>> read_parquet(p)["x"].tolist()
        [1]
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("saved %d rows to %s", len(frame), target)
    return target


def read_parquet(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Reopen a frame saved with :func:`save_parquet` (same columns and dtypes).

    Raises:
        DataFormatError: The file is missing or not Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(str(path), columns=list(columns) if columns else None)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataFormatError(f"Cannot read Parquet: {exc}", file=Path(path).name, expected="a Parquet file") from exc
    return table.to_pandas()
