"""linkkit.analytics: what linked TikTok accounts sell, from exports, the Shop API and the registry.

Layers, each usable alone: :mod:`~linkkit.analytics.sources` (loaders) → :mod:`~linkkit.analytics.attribution`
(put sales on links) → :mod:`~linkkit.analytics.metrics` (GMV, funnel, disruption) →
:mod:`~linkkit.analytics.charts` (plotly figures) → :mod:`~linkkit.analytics.dashboard` (the filter model
behind :class:`linkkit.ui.analytics_view.AnalyticsView`). Heavy joins run in DuckDB; pandas is the interface.

Example:
    >>> from linkkit import analytics
    >>> data = analytics.demo_data()
    >>> changes = analytics.link_changes(data.links)
    >>> sorted(changes["kind"].unique())
    ['link', 'relink', 'replace', 'unlink']
"""

from __future__ import annotations

from linkkit.analytics.attribution import (
    ATTRIBUTION_RULE,
    CHANGE_KINDS,
    DEFAULT_PRECEDENCE,
    attribute_content,
    attribute_orders,
    channel_gmv_by_link_state,
    daily_gmv_by_link,
    link_changes,
    validate_links,
)
from linkkit.analytics.dataset import AnalyticsData, ShopSource, load_analytics_data
from linkkit.analytics.demo import demo_data, sample_export
from linkkit.analytics.metrics import (
    DISRUPTION_CAVEAT,
    FUNNEL_DEFINITION,
    GMV_DEFINITION,
    channel_split,
    convert_currency,
    disruption,
    funnel,
    gmv_metrics,
    gmv_share,
    order_table,
)
from linkkit.analytics.sources import (
    content_frame,
    events_from_registry,
    links_from_registry,
    load_api_orders,
    load_shop_content,
    load_shop_performance,
    orders_from_api_pages,
    read_parquet,
    read_seller_center_orders,
    save_parquet,
    shop_performance_frame,
)

__all__ = [
    "ATTRIBUTION_RULE",
    "CHANGE_KINDS",
    "DEFAULT_PRECEDENCE",
    "DISRUPTION_CAVEAT",
    "FUNNEL_DEFINITION",
    "GMV_DEFINITION",
    "AnalyticsData",
    "ShopSource",
    "attribute_content",
    "attribute_orders",
    "channel_gmv_by_link_state",
    "channel_split",
    "content_frame",
    "convert_currency",
    "daily_gmv_by_link",
    "demo_data",
    "disruption",
    "events_from_registry",
    "funnel",
    "gmv_metrics",
    "gmv_share",
    "link_changes",
    "links_from_registry",
    "load_analytics_data",
    "load_api_orders",
    "load_shop_content",
    "load_shop_performance",
    "order_table",
    "orders_from_api_pages",
    "read_parquet",
    "read_seller_center_orders",
    "sample_export",
    "save_parquet",
    "shop_performance_frame",
    "validate_links",
]
