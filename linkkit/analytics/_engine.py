"""The one place analytics talks to DuckDB: register frames, run SQL, hand back pandas.

Every join and aggregation in :mod:`linkkit.analytics` is a DuckDB query over Arrow data (a pandas
DataFrame, a ``pyarrow.Table`` or a Parquet file). Results come back as pandas DataFrames with predictable
dtypes: integers as nullable ``Int64``, strings as pandas' string dtype, instants as ``datetime64[us, UTC]``
and calendar days as tz-naive ``datetime64[us]``.

Example:
    >>> import pandas as pd
    >>> from linkkit.analytics._engine import query
    >>> query("SELECT sum(x) AS s FROM t", t=pd.DataFrame({"x": [1, 2]}))["s"].tolist()
    [3]
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa

__all__ = ["FrameLike", "columns_of", "connect", "query", "row_count"]

log = logging.getLogger(__name__)

#: Anything the analytics functions accept as a table: a DataFrame, an Arrow table or a Parquet path.
FrameLike: TypeAlias = pd.DataFrame | pa.Table | str | os.PathLike[str]

_INT_TYPES = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}


def connect() -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection that reports instants in UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the library never prints; callers show progress
    return con


def columns_of(table: FrameLike) -> list[str]:
    """The column names of a frame-like without loading its rows."""
    if isinstance(table, pd.DataFrame):
        return [str(c) for c in table.columns]
    if isinstance(table, pa.Table):
        return list(table.column_names)
    import pyarrow.parquet as pq

    return list(pq.read_schema(str(Path(table))).names)


def row_count(table: FrameLike) -> int:
    """The number of rows of a frame-like (a Parquet file's from its footer, without reading rows)."""
    if isinstance(table, pd.DataFrame):
        return len(table)
    if isinstance(table, pa.Table):
        return table.num_rows
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(str(Path(table))).metadata.num_rows)


def _mapper(dtype: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    if dtype in _INT_TYPES:
        return pd.Int64Dtype()
    return None


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas with linkkit's dtype conventions (see the module docstring)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):  # DuckDB sums integers into HUGEINT
            target = pa.int64() if field.type.scale == 0 else pa.float64()
            table = table.set_column(i, field.name, table.column(i).cast(target))
    return table.to_pandas(types_mapper=_mapper)


_local = threading.local()


def _shared() -> duckdb.DuckDBPyConnection:
    """One connection per thread, reused: opening a connection costs more than a small query."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = connect()
    return con


def query(sql: str, /, **tables: FrameLike) -> pd.DataFrame:
    """Run ``sql`` with each keyword registered as a table of that name; return a pandas DataFrame.

    Args:
        sql: A DuckDB query that refers to the keyword names as tables.
        **tables: DataFrames, Arrow tables or Parquet paths.

    Returns:
        The result, converted through Arrow (see :func:`to_pandas`).
    """
    con = _shared()
    views = []
    try:
        for name, table in tables.items():
            if isinstance(table, str | os.PathLike):
                con.read_parquet(str(Path(table))).create_view(name, replace=True)
                views.append(name)
            else:
                con.register(name, table)
        return to_pandas(con.sql(sql).to_arrow_table())
    finally:
        for name in tables:
            if name in views:
                con.execute(f'DROP VIEW IF EXISTS "{name}"')
            else:
                con.unregister(name)
