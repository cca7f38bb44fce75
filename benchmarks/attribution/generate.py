"""Deterministic data for the attribution and dashboard benchmarks, with overlapping links.

``n_orders`` orders over ``n_shops`` shops (Zipf-like popularity, one year of timestamps) and about 4.5 link
intervals per shop that **overlap the way TikTok's rules allow**: per shop one Official series (one or two
Official accounts one after the other, sometimes with a gap between them) and one to three Marketing
accounts, each linked once or twice, open at the same time as the Official account and as each other.
Orders carry ``currency`` (per shop: USD, GBP or IDR), ``units``, ``buyer`` and ``channel``; none carries
its source content (like real exports), so every engine credits overlaps by role precedence (Official
first, then the Marketing link opened earliest).

Files are written once under ``benchmarks/.cache/`` in 10M-row chunks (bounded memory even at 100M) and
reused by later runs.

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
DAY_US = 86_400 * 1_000_000
CHANNELS = ["LIVE", "VIDEO", "PRODUCT_CARD"]
CURRENCIES = ["USD", "GBP", "IDR"]
_CHUNK = 10_000_000
VERSION = 2  # bump when the data changes shape


def paths(n_orders: int, n_shops: int) -> tuple[Path, Path]:
    """Where the orders and links files for one size live."""
    stem = f"attr{VERSION}_{n_orders}_{n_shops}"
    return CACHE / f"{stem}_orders.parquet", CACHE / f"{stem}_links.parquet"


def _links(n_shops: int, rng: np.random.Generator) -> pa.Table:
    rows: dict[str, list[object]] = {k: [] for k in ("shop_id", "account_id", "role", "a", "b")}

    def add(shop: int, account: int, role: str, a: int, b: int | None) -> None:
        rows["shop_id"].append(shop)
        rows["account_id"].append(account)
        rows["role"].append(role)
        rows["a"].append(a)
        rows["b"].append(b)

    for shop in range(n_shops):
        # Official: one account from before the year, replaced once in 40 % of shops (0-3 days' gap)
        start = int(rng.integers(-60, 30)) * DAY_US + int(rng.integers(0, DAY_US))
        if rng.random() < 0.4:
            end = start + int(rng.integers(60, 250)) * DAY_US
            add(shop, shop * 10, "official", start, end)
            add(shop, shop * 10 + 1, "official", end + int(rng.integers(0, 3 * DAY_US)), None)
        else:
            add(shop, shop * 10, "official", start, None)
        # Marketing: 1-3 accounts, each linked once or twice, overlapping the Official link and each other
        for k in range(int(rng.integers(1, 4))):
            a = int(rng.integers(-30, 300)) * DAY_US + int(rng.integers(0, DAY_US))
            b = a + int(rng.integers(10, 120)) * DAY_US
            add(shop, shop * 10 + 2 + k, "marketing", a, b)
            if rng.random() < 0.5:
                a2 = b + int(rng.integers(1, 60)) * DAY_US
                add(shop, shop * 10 + 2 + k, "marketing", a2, None if rng.random() < 0.5 else a2 + 90 * DAY_US)
    utc = pa.timestamp("us", tz="UTC")
    a = np.array(rows["a"], dtype=np.int64)
    b_mask = np.array([x is None for x in rows["b"]])
    b = np.array([0 if x is None else x for x in rows["b"]], dtype=np.int64)
    return pa.table(
        {
            "link_id": pa.array(np.arange(len(a), dtype=np.int64)),
            "shop_id": pa.array(np.array(rows["shop_id"], dtype=np.int32)),
            "account_id": pa.array(np.array(rows["account_id"], dtype=np.int64)),
            "role": pa.array(rows["role"], type=pa.string()).dictionary_encode(),
            "linked_at": pa.array((YEAR_START + a.astype("timedelta64[us]")), type=pa.timestamp("us")).cast(utc),
            "unlinked_at": pa.array(
                (YEAR_START + b.astype("timedelta64[us]")), mask=b_mask, type=pa.timestamp("us")
            ).cast(utc),
        }
    )


def generate(n_orders: int = 10_000_000, n_shops: int = 5_000, *, seed: int = 20250101) -> tuple[Path, Path]:
    """Write (or reuse) the benchmark's orders and links Parquet files and return their paths."""
    orders_path, links_path = paths(n_orders, n_shops)
    if orders_path.exists() and links_path.exists():
        return orders_path, links_path
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")  # generated data never lands in git
    rng = np.random.default_rng(seed)
    pq.write_table(_links(n_shops, rng), links_path)

    weights = 1.0 / np.arange(1, n_shops + 1) ** 0.8
    weights /= weights.sum()
    shop_currency = np.array([0] * 8 + [1, 2], dtype=np.int8)[np.arange(n_shops) % 10]
    utc = pa.timestamp("us", tz="UTC")
    tmp = orders_path.with_suffix(".tmp")
    writer: pq.ParquetWriter | None = None
    try:
        done = 0
        while done < n_orders:
            n = min(_CHUNK, n_orders - done)
            shop = rng.choice(n_shops, size=n, p=weights).astype(np.int32)
            t = rng.integers(0, YEAR_US, n)
            created = (YEAR_START + t.astype("timedelta64[us]")).astype("datetime64[us]")
            amount = np.round(rng.lognormal(3.0, 0.8, n), 2)
            table = pa.table(
                {
                    "order_id": pa.array(np.arange(done, done + n, dtype=np.int64) + 576_000_000_000_000_000),
                    "shop_id": pa.array(shop),
                    "created_time": pa.array(created, type=pa.timestamp("us")).cast(utc),
                    "amount": pa.array(amount),
                    "channel": pa.DictionaryArray.from_arrays(
                        pa.array(rng.integers(0, 3, n).astype(np.int8)), pa.array(CHANNELS)
                    ),
                    "currency": pa.DictionaryArray.from_arrays(pa.array(shop_currency[shop]), pa.array(CURRENCIES)),
                    "units": pa.array(rng.integers(1, 4, n).astype(np.int16)),
                    "buyer": pa.array(rng.integers(0, max(1000, n_orders // 5), n).astype(np.int64)),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=1_000_000)
            done += n
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(orders_path)
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
