"""``SandboxBackend``: every service's backend over one world, one clock and one id counter.

moto keeps one backend per service; ours share state the way TikTok's services do (a Shop access token
opens the Shop API and the emulated Seller Center; Seller Center's link state decides analytics account
types), so the services are wired together here, and effects that cross services (a seller deauthorizing
emits a webhook; the clock passing an expiry notice does too) are coordinated here too.

Example:
    >>> import datetime
    >>> b = SandboxBackend(7, datetime.date(2025, 1, 1), Clock())
    >>> b.deauthorize_seller("maple_seller")
    0
"""

from __future__ import annotations

import datetime as _dt

from .common import Clock, Ids
from .control.models import ControlBackend
from .login_kit.models import LoginKitBackend
from .seller_center.models import SellerCenterBackend
from .shop_api.models import ShopApiBackend
from .shop_auth.models import ShopAuthBackend
from .webhooks.models import Delivery, WebhookBackend
from .world import World, build_world


class SandboxBackend:
    """All sandbox state. ``reset`` rebuilds the world and every service (webhook settings included)."""

    def __init__(self, seed: int, start_day: _dt.date, clock: Clock) -> None:
        self.seed = seed
        self.start_day = start_day
        self.clock = clock
        self._initial_offset = clock.offset
        self._build(build_world(seed, start_day))

    def _build(self, world: World) -> None:
        previous: ControlBackend | None = getattr(self, "control", None)
        if previous is not None:
            previous.release_all()  # a request held across a reset goes on, instead of waiting out its timeout
        self.world = world
        self.ids = Ids()
        self.login_kit = LoginKitBackend(world, self.clock, self.ids)
        self.shop_auth = ShopAuthBackend(world, self.clock, self.ids)
        self.seller_center = SellerCenterBackend(world, self.clock, self.ids, self.shop_auth)
        self.shop_api = ShopApiBackend(world, self.clock, self.shop_auth, self.seller_center)
        self.control = ControlBackend(self.ids)
        self.webhooks = WebhookBackend()

    def reset(self, seed: int | None = None) -> None:
        """Re-seed: the world as built at start (same start day), fresh state, clock back to its start offset."""
        if seed is not None:
            self.seed = seed
        self.clock.offset = self._initial_offset
        self._build(build_world(self.seed, self.start_day))

    def now(self) -> float:
        return self.clock.now()

    def deauthorize_seller(self, seller: str) -> int:
        """The seller removes the app: revoke their grants and emit type-6 webhooks; returns grants revoked."""
        revoked = self.shop_auth.deauthorize_seller(seller)
        if revoked:
            self.webhooks.seller_deauthorized(list(self.world.sellers[seller].shop_ids), self.now())
        return len(revoked)

    def check_expirations(self) -> list[Delivery]:
        """Emit type-7 webhooks for authorizations the sandbox clock has brought within 30 days of expiry."""
        out: list[Delivery] = []
        now = self.now()
        for grant in self.shop_auth.current_grants():
            shop_ids = list(self.world.sellers[grant.seller].shop_ids)
            out += self.webhooks.check_expiry(grant.id, grant.refresh_expires_at, shop_ids, now)
        return out


__all__ = ["Clock", "SandboxBackend"]
