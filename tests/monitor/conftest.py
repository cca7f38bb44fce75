"""Monitor fixtures: the integration harness (in-process sandbox, temp registry) plus monitors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from linkkit.monitor import Monitor, MonitorConfig, MonitorRegistry
from tests.integration.conftest import MAPLE, Harness, h, make_harness  # noqa: F401  (fixtures reused)


@pytest.fixture
def make_monitor(h: Harness) -> Iterator[Callable[..., Monitor]]:  # noqa: F811
    """Monitors on the harness's registry; ``harness=`` gives one its own LinkService (another machine)."""

    def make(harness: Harness | None = None, **config: Any) -> Monitor:
        service = (harness or h).service
        settings: dict[str, Any] = {"interval_seconds": 60, "rate_limit_backoff_seconds": 0.0}
        settings.update(config)
        monitor = Monitor(service, MonitorRegistry(service.store), MonitorConfig.from_mapping(settings),
                       holder=f"test-{len(made)}")
        made.append(monitor)
        return monitor

    made: list[Monitor] = []
    yield make


def connected_link(h: Harness, username: str = "maple.unbox", role: str = "marketing") -> Any:  # noqa: F811
    """Maple connected, one link authorized and bound in the emulated Seller Center: Connected.

    ``maple.unbox`` posts no content in the demo world, so Seller Center is the only evidence of its binding
    (the Official account's videos would keep showing it as linked after an unlink there).
    """
    from linkkit.models import LinkStatus, Role

    h.connect()
    link = h.bind(h.authorize(MAPLE, Role(role), username))
    assert link.status is LinkStatus.CONNECTED
    return link


def unbind_in_seller_center(h: Harness, link: Any) -> None:  # noqa: F811
    """A day later, the seller removes the account in (the emulated) Seller Center, outside linkkit."""
    h.control("POST", "/clock", {"advance_seconds": 25 * 3600})  # Seller Center's 24 h unlink rule
    from linkkit.models import Provider
    from linkkit.seller_center.emulated import SellerCenterClient

    shop = h.service.shop(link.shop_id)
    token = h.service.store.token(Provider.SHOP, shop.seller_open_id)
    assert token is not None and h.service.settings.endpoints.seller_center_api is not None
    SellerCenterClient(h.service.settings.endpoints.seller_center_api, access_token=token.access_token).unlink(
        link.shop_id, link.account.username)
    # verify() also accepts the shop's analytics as evidence, looking back 30 days: content the account posted
    # while linked keeps it "visible" for a month. Move past that window so only Seller Center's list counts.
    h.control("POST", "/clock", {"advance_seconds": 31 * 86400})


def rebind(h: Harness, link: Any) -> None:  # noqa: F811
    """The seller links the account again in Seller Center (invitation sent and accepted)."""
    assert h.service.sandbox is not None
    h.service.sandbox.send_invitation(link.id)
    h.service.sandbox.accept_invitation(link.id)


def app_credentials(h: Harness) -> dict[str, str]:  # noqa: F811
    """The sandbox world's apps' keys and secrets (what the service signs and verifies with in sandbox mode)."""
    world = h.control("GET", "/world")
    login = world["login_kit"]
    kits = login.values() if isinstance(login, dict) else login
    return {"app_key": world["shop_app"]["app_key"], "app_secret": world["shop_app"]["app_secret"],
            **{f"client_secret_{i}": kit["client_secret"] for i, kit in enumerate(kits)}}


def secrets_in(h: Harness) -> list[str]:  # noqa: F811
    """Every secret a leak would show: the stored tokens and the apps' secrets (canaries for alert text)."""
    from linkkit.models import Provider

    store = h.service.store
    found = [v for k, v in app_credentials(h).items() if k != "app_key"]
    for link in store.links(include_unlinked=True):
        token = store.token(Provider.LOGIN_KIT, link.account.open_id)
        if token:
            found += [token.access_token, token.refresh_token]
    for shop in store.shops():
        token = store.token(Provider.SHOP, shop.seller_open_id)
        if token:
            found += [token.access_token, token.refresh_token]
    return [s for s in found if s]
