"""TikTok Shop signed-API routes, as data; ``meta`` carries the scope key and the ``shop_cipher`` rule from
the API reference specs."""

from __future__ import annotations

from ..wire import Route
from . import responses


def _signed(scope: str, shop_cipher: str) -> dict[str, str]:
    return {"scope": scope, "shop_cipher": shop_cipher}


ROUTES: tuple[Route, ...] = (
    Route(
        "/authorization/202309/shops",
        {"GET": responses.authorized_shops},
        "shop_api",
        _signed("seller.authorization.info", "forbidden"),
    ),
    Route(
        "/order/202309/orders/search",
        {"POST": responses.orders_search},
        "shop_api",
        _signed("seller.order.info", "required"),
    ),
    Route(
        "/analytics/202405/shop/performance",
        {"GET": responses.performance},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
    Route(
        "/analytics/202409/shop_videos/performance",
        {"GET": responses.videos},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
    Route(
        "/analytics/202508/shop_lives/performance",
        {"GET": responses.lives},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
)
