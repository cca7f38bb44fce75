"""Deterministic data for the attribution benchmark.

10,000,000 orders over 5,000 shops (Zipf-like popularity, one year of timestamps) and 20,000 link
intervals (4 per shop, non-overlapping, 0-14-day gaps between them, ~70 % still linked at year end),
written once as Parquet under ``benchmarks/.cache/`` and reused by every later run.

Example:
    $ .venv/bin/python -m benchmarks.attribution.generate --orders 100000
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

CACHE = Path(__file__).resolve().parents[1] / ".cache"
YEAR_START = np.datetime64("2025-01-01T00:00:00", "us")
YEAR_US = 365 * 86_400 * 1_000_000
CHANNELS = ["LIVE", "VIDEO", "PRODUCT_CARD"]


def paths(n_orders: int, n_shops: int) -> tuple[Path, Path]:
    """Where the orders and links files for one size live."""
    stem = f"attr_{n_orders}_{n_shops}"
    return CACHE / f"{stem}_orders.parquet", CACHE / f"{stem}_links.parquet"


def generate(n_orders: int = 10_000_000, n_shops: int = 5_000, *, seed: int = 20250101) -> tuple[Path, Path]:
    """Write (or reuse) the benchmark's orders and links Parquet files and return their paths."""
    orders_path, links_path = paths(n_orders, n_shops)
    if orders_path.exists() and links_path.exists():
        return orders_path, links_path
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")  # generated data never lands in git
    rng = np.random.default_rng(seed)

    # Links: 4 per shop, non-overlapping, laid end to end with 0-14-day gaps.
    day_us = 86_400 * 1_000_000
    shop_ids = np.repeat(np.arange(n_shops, dtype=np.int32), 4)
    seq = np.tile(np.arange(4), n_shops)
    first_start = rng.integers(-60 * day_us, 30 * day_us, n_shops)
    durations = rng.integers(20 * day_us, 110 * day_us, (n_shops, 4))
    gaps = rng.integers(0, 14 * day_us, (n_shops, 4))
    starts = np.empty((n_shops, 4), dtype=np.int64)
    ends = np.empty((n_shops, 4), dtype=np.int64)
    cur = first_start.copy()
    for k in range(4):
        starts[:, k] = cur
        ends[:, k] = cur + durations[:, k]
        cur = ends[:, k] + gaps[:, k]
    still_linked = rng.random(n_shops) < 0.7
    ends[still_linked, 3] = np.iinfo(np.int64).max // 4  # open interval, far future (NULL below)
    linked_at = (YEAR_START + starts.ravel().astype("timedelta64[us]")).astype("datetime64[us]")
    unlinked_raw = ends.ravel()
    open_mask = unlinked_raw == np.iinfo(np.int64).max // 4
    unlinked_at = (YEAR_START + np.where(open_mask, 0, unlinked_raw).astype("timedelta64[us]")).astype("datetime64[us]")
    utc = pa.timestamp("us", tz="UTC")
    links = pa.table(
        {
            "link_id": pa.array(np.arange(n_shops * 4, dtype=np.int64)),
            "shop_id": pa.array(shop_ids),
            "account_id": pa.array((shop_ids.astype(np.int64) * 10 + seq).astype(np.int64)),
            "linked_at": pa.array(linked_at, type=pa.timestamp("us")).cast(utc),
            "unlinked_at": pa.array(unlinked_at, mask=open_mask, type=pa.timestamp("us")).cast(utc),
        }
    )
    pq.write_table(links, links_path)

    # Orders: Zipf-like shop popularity, uniform over the year.
    weights = 1.0 / np.arange(1, n_shops + 1) ** 0.8
    weights /= weights.sum()
    shop = rng.choice(n_shops, size=n_orders, p=weights).astype(np.int32)
    t = rng.integers(0, YEAR_US, n_orders)
    created = (YEAR_START + t.astype("timedelta64[us]")).astype("datetime64[us]")
    amount = np.round(rng.lognormal(3.0, 0.8, n_orders), 2)
    channel = rng.integers(0, 3, n_orders).astype(np.int8)
    orders = pa.table(
        {
            "order_id": pa.array(np.arange(n_orders, dtype=np.int64) + 576_000_000_000_000_000),
            "shop_id": pa.array(shop),
            "created_time": pa.array(created, type=pa.timestamp("us")).cast(utc),
            "amount": pa.array(amount),
            "channel": pa.DictionaryArray.from_arrays(pa.array(channel), pa.array(CHANNELS)),
        }
    )
    pq.write_table(orders, orders_path, row_group_size=1_000_000)
    log.info("wrote %s and %s", orders_path, links_path)
    return orders_path, links_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--shops", type=int, default=5_000)
    args = parser.parse_args()
    for p in generate(args.orders, args.shops):
        print(p)


if __name__ == "__main__":
    main()
