"""Base URLs of TikTok's services, live and sandbox.

The sandbox serves every contract from one origin with TikTok's own paths, so the two differ only here.

Example:
    >>> Endpoints.sandbox("http://127.0.0.1:8765").shop_token_get
    'http://127.0.0.1:8765/api/v2/token/get'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Endpoints"]


@dataclass(frozen=True)
class Endpoints:
    """Where each TikTok service lives."""

    login_authorize: str  # TikTok Login Kit v2 authorize page (www.tiktok.com)
    login_api: str  # open.tiktokapis.com: token, revoke, user info
    shop_authorize: str  # seller authorization page (services.tiktokshop.com)
    shop_auth_api: str  # auth.tiktok-shops.com: token/get, token/refresh
    shop_api: str  # open-api.tiktokglobalshop.com: signed Shop API calls
    seller_center: str  # Seller Center web UI (for deep links)
    seller_center_api: str | None = None  # emulated Seller Center JSON (sandbox only; TikTok has no such API)
    sandbox_control: str | None = None  # /_sandbox/ controls (sandbox only)

    @classmethod
    def live(cls, *, us: bool = False) -> Endpoints:
        # Hosts from docs/tiktok-contracts.md §1–§2. The US seller-authorization host changed between doc
        # versions (202309 guide: services.us.tiktokshop.com; 202407: services.tiktokshops.us); we follow the
        # 202309 guide and recommend pasting the link Partner Center generates when it differs.
        return cls(
            login_authorize="https://www.tiktok.com/v2/auth/authorize/",
            login_api="https://open.tiktokapis.com",
            shop_authorize=(
                "https://services.us.tiktokshop.com/open/authorize"
                if us
                else "https://services.tiktokshop.com/open/authorize"
            ),
            shop_auth_api="https://auth.tiktok-shops.com",
            shop_api="https://open-api.tiktokglobalshop.com",
            seller_center="https://seller-us.tiktok.com" if us else "https://seller.tiktokglobalshop.com",
        )

    @classmethod
    def sandbox(cls, base_url: str) -> Endpoints:
        base = base_url.rstrip("/")
        return cls(
            login_authorize=f"{base}/v2/auth/authorize/",
            login_api=base,
            shop_authorize=f"{base}/open/authorize",
            shop_auth_api=base,
            shop_api=base,
            seller_center=f"{base}/seller-center",
            seller_center_api=f"{base}/seller-center/api",
            sandbox_control=f"{base}/_sandbox",
        )

    @property
    def login_token(self) -> str:
        return f"{self.login_api}/v2/oauth/token/"

    @property
    def login_revoke(self) -> str:
        return f"{self.login_api}/v2/oauth/revoke/"

    @property
    def login_user_info(self) -> str:
        return f"{self.login_api}/v2/user/info/"

    @property
    def shop_token_get(self) -> str:
        return f"{self.shop_auth_api}/api/v2/token/get"

    @property
    def shop_token_refresh(self) -> str:
        return f"{self.shop_auth_api}/api/v2/token/refresh"
