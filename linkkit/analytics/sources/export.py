"""Parsing Seller Center export cells (times, amounts, integers) into order lines."""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Generator, Iterator, Sequence
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from linkkit.analytics.progress import ProgressCallback, resolve_progress
from linkkit.analytics.sources.export_format import (
    _AMOUNT_RE,
    _COUNTRY_REGION,
    _FORMATS,
    _HEADER_ALIASES,
    _ID_RE,
    _INT_COLUMNS,
    _LEADING,
    _LINE_AMOUNTS,
    _ORDER_AMOUNTS,
    _REGION_FACTS,
    _SLASH_DATE_RE,
    _SYMBOLS,
    _TIME_COLUMNS,
    _ZERO_DECIMAL,
    REQUIRED_EXPORT_COLUMNS,
    STATUS_MAP,
    _norm_header,
    _snake,
)
from linkkit.analytics.sources.export_io import _csv_chunks, _open_binary, _source_name, _xlsx_chunks
from linkkit.errors import DataFormatError

log = logging.getLogger(__name__)


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


#: The largest amount one line may carry, in any currency; larger values are refused as absurd.
MAX_AMOUNT = 1e12
#: The largest quantity one line may carry.
MAX_QUANTITY = 1_000_000
_QUANTITY_RE = r"\+?\d{1,9}(\.0*)?"


#: Order times outside this window are refused as absurd (TikTok Shop opened in 2021; the window also keeps
#: every time convertible between time zones — pandas cannot localise times in year 10000).
_EARLIEST, _LATEST = pd.Timestamp("2000-01-01"), pd.Timestamp("2100-01-01")


def _parse_times(values: pd.Series, style: str) -> pd.Series:
    """Parse local wall-clock strings (no zone) into naive datetimes; unparseable become NaT."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    todo = values != ""
    for fmt in _FORMATS[style] + _FORMATS["ISO"]:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        ok = parsed.notna() & parsed.between(_EARLIEST, _LATEST)  # a date no export can hold is unparseable
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
    """Return (amount, currency seen in the cell, bad-cell mask).

    Non-finite numbers (``inf``, ``nan``, overflowing exponents) and amounts beyond :data:`MAX_AMOUNT` are bad.
    """
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
    absurd = amount.notna() & ~(amount.abs() <= MAX_AMOUNT)  # also catches inf
    named_nan = cleaned.str.fullmatch(r"[-+]?(nan|inf(inity)?)", case=False)
    bad |= absurd | named_nan
    return amount.where(~bad), currency, bad


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
            # whole numbers from 0 to MAX_QUANTITY only: anything longer is absurd, and never reaches int64
            plain = text.str.fullmatch(_QUANTITY_RE)
            as_num = pd.to_numeric(text.where(plain, None), errors="coerce").astype("float64")
            bad = (text != "") & ~plain
            bad |= plain & (as_num > MAX_QUANTITY)
            if column == "quantity":
                bad |= text == ""
            flag(
                bad,
                column,
                f"{shape.column_of[column]} is not a whole number from 0 to {MAX_QUANTITY:,}",
                "a whole number such as 2",
            )
            frame[column] = as_num.where(~bad).round().astype("Int64")
    seen_currency = pd.Series(None, index=frame.index, dtype=object)
    for column in (*_LINE_AMOUNTS, *_ORDER_AMOUNTS):
        if column in frame:
            amount, cell_currency, bad = _parse_amounts(frame[column], currency)
            flag(
                bad,
                column,
                f"{shape.column_of[column]} is not an amount (a finite number up to {MAX_AMOUNT:,.0f})",
                "a number such as 123.45 or MXN 123.45",
            )
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
