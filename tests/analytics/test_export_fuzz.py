"""Every malformed export gets an answer: the reader returns order lines or raises DataFormatError, nothing else.

Hypothesis drives three kinds of damage over a real (small) Seller Center export, as CSV and as XLSX:
cell values (huge and non-finite numbers, odd text, quotes, newlines, formulas, impossible dates), raw bytes
(flips, insertions, truncation) and, for XLSX, malformed worksheet XML inside a valid zip. Runtime is
bounded by ``max_examples`` (under a minute on a 2-core machine). The outcome counts are printed at the
end of the module (``pytest -s``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkkit.analytics import demo
from linkkit.analytics.sources import read_seller_center_orders
from linkkit.analytics.sources.export import MAX_AMOUNT, MAX_QUANTITY
from linkkit.errors import DataFormatError

OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_outcomes() -> Any:
    yield
    print("\nexport fuzz outcomes:", dict(sorted(OUTCOMES.items())), "total", sum(OUTCOMES.values()))


def _base_rows() -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(demo.sample_export("US").decode("utf-8-sig"))))
    return rows[:9]  # header + 8 lines keeps each example fast


BASE = _base_rows()
HEADER = BASE[0]
NASTY = [
    str(2**63),
    str(2**64 + 1),
    "-" + str(2**63),
    "9" * 400,
    "1e400",
    "-1e400",
    "1e13",
    "inf",
    "-Infinity",
    "nan",
    "NaN",
    "USD nan",
    "$1e999",
    "MXN 1e308",
    "٣",
    "1,2,3",
    "0x10",
    "2.5",
    "-3",
    "",
    '"',
    "\n",
    "\t",
    "\x00",
    '=HYPERLINK("http://x")',
    "12/31/9999 11:59:59 PM",
    "00/00/0000 00:00:00",
    "31/02/2025 25:61:61",
    "\ufeff",
    "𝟙𝟚𝟛",
]
cell_values = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


BASE_XLSX = xlsx_bytes(BASE)


def check(payload: bytes, name: str, kind: str) -> None:
    """The property: lines or DataFormatError naming the file; sane values when lines come back."""
    stream = io.BytesIO(payload)
    stream.name = name
    try:
        lines = read_seller_center_orders(stream, shop_id="s")
    except DataFormatError as exc:
        OUTCOMES[f"{kind}: DataFormatError"] += 1
        assert exc.file == name
        assert exc.reason == "data_format_invalid"
        return
    OUTCOMES[f"{kind}: read"] += 1
    for column in ("line_amount", "order_amount"):
        if column in lines:
            values = lines[column].dropna().to_numpy(dtype="float64")
            assert np.isfinite(values).all() and (np.abs(values) <= MAX_AMOUNT).all()
    if "quantity" in lines:
        q = lines["quantity"].dropna()
        assert ((q >= 0) & (q <= MAX_QUANTITY)).all()


def damaged(rows: list[list[str]], edits: list[tuple[int, int, str]]) -> list[list[str]]:
    out = [list(r) for r in rows]
    for r, c, value in edits:
        row = out[r % len(out)]
        row[c % len(row)] = value
    return out


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@FUZZ
@given(st.lists(st.tuples(st.integers(1, 50), st.integers(0, 80), cell_values), min_size=1, max_size=4))
def test_csv_cells(edits: list[tuple[int, int, str]]) -> None:
    check(csv_bytes(damaged(BASE, edits)), "cells.csv", "csv cells")


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(csv_bytes(BASE))), st.binary(max_size=4)), min_size=1, max_size=6),
    st.integers(0, 30_000),
)
def test_csv_bytes(edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(csv_bytes(BASE))
    for pos, blob in edits:
        data[pos : pos + 1] = blob
    check(bytes(data[:cut]), "bytes.csv", "csv bytes")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 50),
            st.integers(0, 80),
            st.one_of(
                cell_values.filter(
                    lambda v: "\x00" not in v and not any(ord(ch) < 32 for ch in v if ch not in "\t\n\r")
                ),
                st.integers(min_value=-(2**70), max_value=2**70),
                st.floats(allow_nan=False, allow_infinity=False),
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_xlsx_cells(edits: list[tuple[int, int, Any]]) -> None:
    try:
        payload = xlsx_bytes(damaged(BASE, edits))  # type: ignore[arg-type]
    except (ValueError, TypeError):  # openpyxl refuses to write some values at all: nothing to read
        OUTCOMES["xlsx cells: not writable"] += 1
        return
    check(payload, "cells.xlsx", "xlsx cells")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    st.lists(st.tuples(st.integers(0, len(BASE_XLSX)), st.binary(min_size=1, max_size=4)), min_size=1, max_size=4),
    st.integers(0, len(BASE_XLSX)),
)
def test_xlsx_bytes(edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(BASE_XLSX)
    for pos, blob in edits:
        data[pos : pos + 1] = blob
    check(bytes(data[: max(cut, len(data) // 2)]), "bytes.xlsx", "xlsx bytes")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    st.sampled_from(
        [
            "xl/worksheets/sheet1.xml",
            "xl/workbook.xml",
            "xl/sharedStrings.xml",
            "[Content_Types].xml",
            "xl/styles.xml",
            "xl/_rels/workbook.xml.rels",
        ]
    ),
    st.integers(0, 4000),
    st.binary(max_size=8),
)
def test_xlsx_malformed_xml(member: str, pos: int, blob: bytes) -> None:
    source = zipfile.ZipFile(io.BytesIO(BASE_XLSX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == member:
                body = body[:pos] + blob + body[pos + len(blob) + 1 :]
            target.writestr(info, body)
    check(out.getvalue(), "xml.xlsx", "xlsx xml")


def test_known_bad_inputs_from_the_issue() -> None:
    # quantities >= 2**63 raised TypeError; a workbook with broken XML raised ParseError
    rows = damaged(BASE, [(1, HEADER.index("Quantity"), str(2**63))])
    with pytest.raises(DataFormatError) as info:
        read_seller_center_orders(csv_bytes(rows), shop_id="s")
    assert info.value.column == "Quantity" and info.value.row == 2
    for value in ("inf", "1e400", "NaN", str(10**13)):
        rows = damaged(BASE, [(2, HEADER.index("SKU Subtotal After Discount"), value)])
        with pytest.raises(DataFormatError) as info2:
            read_seller_center_orders(csv_bytes(rows), shop_id="s")
        assert info2.value.column == "SKU Subtotal After Discount" and info2.value.row == 3
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(BASE_XLSX)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            target.writestr(item, body[:-20] if item.filename == "xl/worksheets/sheet1.xml" else body)
    stream = io.BytesIO(broken.getvalue())
    stream.name = "broken.xlsx"
    with pytest.raises(DataFormatError) as info3:
        read_seller_center_orders(stream, shop_id="s")
    assert info3.value.file == "broken.xlsx"


@pytest.mark.parametrize("when", ["12/31/9999 11:59:59 PM", "9999-12-31 23:59:59", "01/01/1900 00:00:00"])
def test_a_date_no_export_can_hold_is_a_data_format_error(when: str) -> None:
    """Found by the cell fuzz: a year-9999 time in a zone east of UTC overflowed pandas' localisation."""
    rows = damaged(BASE, [(1, column, when) for column, name in enumerate(BASE[0]) if "time" in name.lower()])
    with pytest.raises(DataFormatError) as caught:
        read_seller_center_orders(io.BytesIO(csv_bytes(rows)), shop_id="s", tz="Asia/Tokyo")
    assert caught.value.row == 2
