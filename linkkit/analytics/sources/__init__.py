"""Where analytics data comes from: Seller Center exports, Shop API pages, the registry, Parquet.

One module per source: :mod:`.export_format` (the export's headers, statuses and regions),
:mod:`.export_io` (bytes, encodings, CSV/XLSX chunks), :mod:`.export` (cells to order lines),
:mod:`.shop_api`, :mod:`.registry` and :mod:`.parquet`. Everything is re-exported here.

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

from linkkit.analytics.sources._common import CHANNELS, EVENT_COLUMNS, LINK_COLUMNS
from linkkit.analytics.sources.export import read_seller_center_orders
from linkkit.analytics.sources.export_format import REQUIRED_EXPORT_COLUMNS, STATUS_MAP
from linkkit.analytics.sources.parquet import read_parquet, save_parquet
from linkkit.analytics.sources.registry import events_frame, events_from_registry, links_frame, links_from_registry
from linkkit.analytics.sources.shop_api import (
    _CONTENT_COLUMNS as _CONTENT_COLUMNS,
)
from linkkit.analytics.sources.shop_api import (
    _ORDER_LINE_COLUMNS as _ORDER_LINE_COLUMNS,
)
from linkkit.analytics.sources.shop_api import (
    _PERF_COLUMNS as _PERF_COLUMNS,
)
from linkkit.analytics.sources.shop_api import (
    ShopAnalyticsClient,
    content_frame,
    load_api_orders,
    load_shop_content,
    load_shop_performance,
    orders_from_api_pages,
    shop_performance_frame,
)
from linkkit.analytics.sources.shop_api import (
    _typed as _typed,
)

__all__ = [
    "CHANNELS",
    "EVENT_COLUMNS",
    "LINK_COLUMNS",
    "REQUIRED_EXPORT_COLUMNS",
    "STATUS_MAP",
    "ShopAnalyticsClient",
    "content_frame",
    "events_frame",
    "events_from_registry",
    "links_frame",
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
