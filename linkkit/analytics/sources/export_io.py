"""Reading Seller Center export bytes: encoding, CSV vs XLSX, chunks."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from linkkit.analytics.progress import ProgressCallback
from linkkit.errors import DataFormatError

log = logging.getLogger(__name__)

#: Rows per chunk read from a CSV or XLSX export.
_CHUNK_ROWS = 100_000


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

    def unreadable(exc: BaseException) -> DataFormatError:
        log.debug("openpyxl refused %s: %s", file, type(exc).__name__)
        return DataFormatError(
            f"The file is not a readable XLSX workbook ({type(exc).__name__})",
            file=file,
            expected="a Seller Center order export (CSV or XLSX)",
        )

    # A malformed workbook can fail deep inside openpyxl, zipfile or the XML parser with almost any error
    # type (BadZipFile, KeyError, ParseError, zlib.error, EOFError, TypeError ...), at open or while rows
    # are read lazily. This is the boundary where untrusted bytes meet that parser: every such failure is
    # the file's fault and becomes one DataFormatError naming the file.
    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:
        raise unreadable(exc) from exc
    try:
        try:
            sheet = book.active if book.active is not None else book.worksheets[0]
            total = sheet.max_row or None
            cells = sheet.iter_rows(values_only=True)
        except Exception as exc:
            raise unreadable(exc) from exc
        rows: list[list[str]] = []
        done = 0
        while True:
            try:
                raw = next(cells, None)
            except Exception as exc:
                raise unreadable(exc) from exc
            if raw is None:
                break
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
        try:
            book.close()
        except Exception:  # closing a broken archive must not hide the real error
            log.debug("closing %s failed", file, exc_info=True)
