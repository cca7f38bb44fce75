"""Parquet in and out, atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from linkkit.errors import DataFormatError

log = logging.getLogger(__name__)


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
