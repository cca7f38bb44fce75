"""The deterministic demo world the sandbox starts from.

Everything here is a pure function of ``(seed, start_day)``: the apps and their credentials, the sellers,
shops and TikTok accounts, the seeded Seller Center link history, and, per shop, months of content
(videos, LIVEs) and orders. Two worlds built from the same seed and start day are equal, which the tests
check. Nothing here talks HTTP or mutates after it is built; ``models.SandboxModel`` copies what it needs.

Example:
    >>> import datetime
    >>> w = build_world(seed=7, start_day=datetime.date(2025, 1, 1))
    >>> w.shops["7494100000000000101"].name
    'Maple & Co'
    >>> len(w.shop_activity("7494100000000000101").orders) > 1000
    True
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import random
from dataclasses import dataclass, field
from functools import cached_property

from .world_data import (  # the seed's tables
    ACCOUNT_ROWS,
    DESKTOP_REDIRECTS,
    ORDERS_PER_DAY,
    SELLER_ROWS,
    SHOP_ROWS,
    SHOP_SCOPES,
)

DAY = 86400
HISTORY_DAYS = 215
DEFAULT_SEED = 7
DEMO_PASSWORD = "pass_good"  # one password for every demo login, like Plaid's sandbox "pass_good"

# Fixed conversion rates used when an analytics call asks for currency=USD. Illustrative, not live rates.
USD_RATES = {"USD": 1.0, "GBP": 1.27, "MXN": 0.058, "IDR": 0.000063}
# Minor units per major unit (IDR has no minor unit in TikTok Shop's order amounts).
MINOR = {"USD": 100, "GBP": 100, "MXN": 100, "IDR": 1}


@dataclass(frozen=True)
class LoginApp:
    """A TikTok for Developers app with Login Kit."""

    name: str
    kind: str  # "desktop" | "web"
    client_key: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    developer_id: str

    @property
    def pkce(self) -> str:
        # TT-LK-DESKTOP: desktop apps must send a challenge, hex-encoded SHA-256 of the verifier.
        # Web: optional; when sent we verify RFC 7636 S256 (base64url, no padding). See COVERAGE.md.
        return "required_hex" if self.kind == "desktop" else "optional_s256"


@dataclass(frozen=True)
class ShopApp:
    """A TikTok Shop Partner Center app (seller authorization)."""

    name: str
    app_key: str
    app_secret: str
    service_id: str
    redirect_url: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Seller:
    username: str
    password: str
    name: str
    seller_type: str  # LOCAL | CROSS_BORDER
    base_region: str
    shop_ids: tuple[str, ...]


@dataclass(frozen=True)
class Product:
    id: str
    sku_id: str
    name: str
    seller_sku: str
    price_minor: int


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    region: str
    seller_type: str
    cipher: str
    code: str
    currency: str
    seller: str
    products: tuple[Product, ...]


@dataclass(frozen=True)
class Account:
    """A TikTok account (Login Kit user)."""

    username: str
    password: str
    display_name: str
    region: str
    account_type: str  # "business" | "personal"
    identity_verified: bool
    is_verified: bool
    bio: str
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int
    hint: str  # for the demo login list, e.g. "personal account — ineligible"
    affiliate: bool = False


@dataclass(frozen=True)
class SeedLink:
    shop_id: str
    username: str
    role: str  # "official" | "marketing"
    linked_at: int
    unlinked_at: int | None


@dataclass(frozen=True)
class Video:
    id: str
    shop_id: str
    username: str
    title: str
    post_time: int
    views: int
    click_through_rate: str
    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class Live:
    id: str
    shop_id: str
    username: str
    title: str
    start_time: int
    end_time: int
    viewers: int
    views: int
    pcu: int
    acu: int
    comments: int
    shares: int
    likes: int
    new_followers: int
    products_added: int


@dataclass(frozen=True)
class LineItem:
    id: str
    product: Product
    sale_minor: int
    original_minor: int


@dataclass(frozen=True)
class Order:
    id: str
    shop_id: str
    user_id: str
    create_time: int
    update_time: int
    paid_time: int | None
    status: str
    currency: str
    items: tuple[LineItem, ...]
    shipping_minor: int
    platform_discount_minor: int
    tax_minor: int
    channel: str  # LIVE | VIDEO | PRODUCT_CARD (not a TikTok order field; drives analytics)
    content_id: str | None
    cancel_reason: str
    refunded: bool

    @property
    def original_minor(self) -> int:
        return sum(i.original_minor for i in self.items)

    @property
    def seller_discount_minor(self) -> int:
        return sum(i.original_minor - i.sale_minor for i in self.items)

    @property
    def sub_total_minor(self) -> int:
        return self.original_minor - self.seller_discount_minor - self.platform_discount_minor

    @property
    def total_minor(self) -> int:
        return self.sub_total_minor + self.shipping_minor + self.tax_minor


@dataclass(frozen=True)
class ShopActivity:
    """Seeded content and orders for one shop, all before the world's start instant."""

    videos: tuple[Video, ...]
    lives: tuple[Live, ...]
    orders: tuple[Order, ...]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def _cipher(shop_id: str, region: str) -> str:
    # Real ciphers look like GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3 / ROW_RHkDDABBAAB8tKAVoAqsMTjsQZFLyNfY.
    raw = hashlib.sha256(f"cipher:{shop_id}".encode()).digest()[:24]
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")[:32]
    return ("GCP_" if region == "US" else "ROW_") + body


def _shop_code(shop_id: str, region: str) -> str:
    h = hashlib.sha256(f"code:{shop_id}".encode()).hexdigest().upper()
    return f"{region}LC{h[:8]}"


def _products(shop_id: str, rows: list[tuple[str, str, float]], currency: str) -> tuple[Product, ...]:
    out = []
    for n, (sku, name, price) in enumerate(rows, start=1):
        out.append(
            Product(
                id=f"17{shop_id[-6:]}{n:011d}",
                sku_id=f"27{shop_id[-6:]}{n:011d}",
                name=name,
                seller_sku=sku,
                price_minor=round(price * MINOR[currency]),
            )
        )
    return tuple(out)


@dataclass
class World:
    """The seed: immutable facts plus lazily generated, cached per-shop activity."""

    seed: int
    start_day: _dt.date
    login_apps: dict[str, LoginApp]
    shop_app: ShopApp
    sellers: dict[str, Seller]
    shops: dict[str, Shop]
    accounts: dict[str, Account]
    seed_links: tuple[SeedLink, ...]
    _activity: dict[str, ShopActivity] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def start_ts(self) -> int:
        return int(
            _dt.datetime(self.start_day.year, self.start_day.month, self.start_day.day, tzinfo=_dt.UTC).timestamp()
        )

    def shop_activity(self, shop_id: str) -> ShopActivity:
        """The seeded videos, LIVEs and orders of one shop (generated on first use, then cached)."""
        if shop_id not in self._activity:
            self._activity[shop_id] = _generate_activity(self, self.shops[shop_id])
        return self._activity[shop_id]

    def snapshot(self) -> dict[str, object]:
        """Everything the seed determines, for equality checks."""
        return {
            "seed": self.seed,
            "start_day": self.start_day.isoformat(),
            "apps": [self.login_apps, self.shop_app],
            "sellers": self.sellers,
            "shops": self.shops,
            "accounts": self.accounts,
            "links": self.seed_links,
            "activity": {sid: self.shop_activity(sid) for sid in sorted(self.shops)},
        }


def _seed_links(start_ts: int, cedar: str, nova_uk: str) -> tuple[SeedLink, ...]:
    d = DAY
    links = [
        # Cedar Goods: an Official replacement ~200 days ago, Marketing accounts coming and going.
        SeedLink(cedar, "cedar.founder", "official", start_ts - 212 * d + 9 * 3600, start_ts - 201 * d + 15 * 3600),
        SeedLink(cedar, "cedar.official", "official", start_ts - 200 * d + 10 * 3600, None),
        SeedLink(cedar, "cedar.promo1", "marketing", start_ts - 190 * d + 11 * 3600, None),
        SeedLink(cedar, "cedar.promo2", "marketing", start_ts - 150 * d + 13 * 3600, start_ts - 90 * d + 9 * 3600),
        SeedLink(cedar, "cedar.promo2", "marketing", start_ts - 60 * d + 16 * 3600, None),
        SeedLink(cedar, "cedar.promo3", "marketing", start_ts - 120 * d + 10 * 3600, start_ts - 30 * d + 12 * 3600),
        # Nova Outdoor UK: nova.uk is the Official account.
        SeedLink(nova_uk, "nova.uk", "official", start_ts - 180 * d + 14 * 3600, None),
    ]
    # cedar.hopper: ten short Marketing links within the last 180 days -> marketing_relink_limit.
    for i in range(10):
        begin = start_ts - (170 - 15 * i) * d + 10 * 3600
        links.append(SeedLink(cedar, "cedar.hopper", "marketing", begin, begin + 3 * d))
    return tuple(sorted(links, key=lambda link: (link.shop_id, link.linked_at)))


def build_world(seed: int = DEFAULT_SEED, start_day: _dt.date | None = None) -> World:
    """Build the demo world for ``start_day`` (default: today in UTC)."""
    if start_day is None:
        start_day = _dt.datetime.now(_dt.UTC).date()
    login_apps = {
        app.client_key: app
        for app in (
            LoginApp(
                "linkkit desktop (sandbox)",
                "desktop",
                "sbawlinkkitdesktop",
                "lk_sandbox_desktop_secret_9f3c2a",
                DESKTOP_REDIRECTS,
                "dev_linkkit",
            ),
            LoginApp(
                "linkkit web (sandbox)",
                "web",
                "sbawlinkkitweb01",
                "lk_sandbox_web_secret_41d8b7",
                ("https://linkkit.example/callback/",),
                "dev_linkkit",
            ),
        )
    }
    shop_app = ShopApp(
        name="linkkit (sandbox)",
        app_key="6lksandbox01",
        app_secret="lksandboxshopsecret0c1d2e3f4a5b6c7d8e9f",
        service_id="7400000000000000001",
        redirect_url="http://127.0.0.1:8866/voila/render/01_link_accounts.ipynb",
        scopes=tuple(SHOP_SCOPES),
    )
    shops = {}
    for sid, name, region, stype, cur, seller, rows in SHOP_ROWS:
        shops[sid] = Shop(
            sid,
            name,
            region,
            stype,
            _cipher(sid, region),
            _shop_code(sid, region),
            cur,
            seller,
            _products(sid, rows, cur),
        )
    sellers = {u: Seller(u, DEMO_PASSWORD, n, t, r, ids) for u, n, t, r, ids in SELLER_ROWS}
    accounts = {}
    for username, display, region, kind, idv, hint, affiliate in ACCOUNT_ROWS:
        rng = random.Random(f"{seed}:account:{username}")
        followers = rng.randint(800, 250_000)
        accounts[username] = Account(
            username=username,
            password=DEMO_PASSWORD,
            display_name=display,
            region=region,
            account_type=kind,
            identity_verified=idv,
            is_verified=followers > 200_000,
            bio=f"{display} on TikTok",
            follower_count=followers,
            following_count=rng.randint(10, 900),
            likes_count=followers * rng.randint(3, 12),
            video_count=rng.randint(12, 480),
            hint=hint,
            affiliate=affiliate,
        )
    w = World(seed, start_day, login_apps, shop_app, sellers, shops, accounts, ())
    w.seed_links = _seed_links(w.start_ts, "7494100000000000401", "7494100000000000201")
    return w


def _active(links: tuple[SeedLink, ...], shop_id: str, username: str, t: int) -> bool:
    return any(
        link.shop_id == shop_id
        and link.username == username
        and link.linked_at <= t
        and (link.unlinked_at is None or t < link.unlinked_at)
        for link in links
    )


def _generate_activity(world: World, shop: Shop) -> ShopActivity:
    rng = random.Random(f"{world.seed}:activity:{shop.id}")
    start = world.start_ts
    linked_names = sorted({link.username for link in world.seed_links if link.shop_id == shop.id})
    official_names = {link.username for link in world.seed_links if link.shop_id == shop.id and link.role == "official"}
    affiliates = sorted(a.username for a in world.accounts.values() if a.affiliate and a.region == shop.region)
    buyers = [f"7{_digits(rng, 18)}" for _ in range(max(200, ORDERS_PER_DAY[shop.id] * 60))]
    videos: list[Video] = []
    lives: list[Live] = []
    orders: list[Order] = []
    minor = MINOR[shop.currency]
    for back in range(HISTORY_DAYS, 0, -1):
        day = start - back * DAY
        # --- content: linked accounts only inside their link intervals, affiliates any time
        posters = [
            (u, 0.55 if u in official_names else 0.35, 0.18 if u in official_names else 0.06) for u in linked_names
        ] + [(u, 0.25, 0.03) for u in affiliates]
        for username, p_video, p_live in posters:
            if rng.random() < p_video:
                t = day + rng.randint(8 * 3600, 22 * 3600)
                if username in linked_names and not _active(world.seed_links, shop.id, username, t):
                    continue
                picked = rng.sample(shop.products, rng.randint(1, 2))
                prods = tuple(p.id for p in picked)
                videos.append(
                    Video(
                        id=f"7{_digits(rng, 18)}",
                        shop_id=shop.id,
                        username=username,
                        title=f"{picked[0].name} · {world.accounts[username].display_name}",
                        post_time=t,
                        views=rng.randint(300, 90_000),
                        click_through_rate=f"{rng.uniform(0.005, 0.09):.4f}",
                        product_ids=prods,
                    )
                )
            if rng.random() < p_live:
                t = day + rng.randint(12 * 3600, 20 * 3600)
                if username in linked_names and not _active(world.seed_links, shop.id, username, t):
                    continue
                viewers = rng.randint(200, 20_000)
                lives.append(
                    Live(
                        id=f"75{_digits(rng, 17)}",
                        shop_id=shop.id,
                        username=username,
                        title=f"LIVE with {world.accounts[username].display_name}",
                        start_time=t,
                        end_time=t + rng.randint(40, 180) * 60,
                        viewers=viewers,
                        views=viewers * rng.randint(2, 6),
                        pcu=max(5, viewers // rng.randint(8, 15)),
                        acu=max(2, viewers // rng.randint(20, 40)),
                        comments=rng.randint(10, 2000),
                        shares=rng.randint(0, 400),
                        likes=rng.randint(50, 9000),
                        new_followers=rng.randint(0, 300),
                        products_added=rng.randint(2, len(shop.products)),
                    )
                )
        # --- orders
        weekday_boost = 1.25 if _dt.datetime.fromtimestamp(day, _dt.UTC).weekday() >= 5 else 1.0
        count = max(1, round(ORDERS_PER_DAY[shop.id] * weekday_boost * rng.uniform(0.7, 1.3)))
        for _ in range(count):
            created = day + rng.randint(0, DAY - 1)
            channel, content_id = "PRODUCT_CARD", None
            roll = rng.random()
            if roll < 0.35:
                recent = [v for v in videos[-60:] if created - 14 * DAY <= v.post_time <= created]
                if recent:
                    channel, content_id = "VIDEO", rng.choice(recent).id
            elif roll < 0.55:
                on_air = [x for x in lives[-20:] if x.start_time <= created <= x.end_time + 6 * 3600]
                if on_air:
                    channel, content_id = "LIVE", rng.choice(on_air).id
            items = []
            for _n in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
                product = rng.choice(shop.products)
                sale = product.price_minor
                if rng.random() < 0.2:
                    sale = int(product.price_minor * 0.9)
                items.append(LineItem(f"57708{_digits(rng, 13)}", product, sale, product.price_minor))
            original = sum(i.original_minor for i in items)
            shipping = (
                0
                if original >= 35 * minor and shop.currency in ("USD", "GBP")
                else {"USD": 599, "GBP": 299, "MXN": 9900, "IDR": 15000}[shop.currency]
            )
            platform_discount = int(original * 0.05) if rng.random() < 0.1 else 0
            sub_total = original - sum(i.original_minor - i.sale_minor for i in items) - platform_discount
            tax = round(sub_total * 0.07) if shop.region == "US" else 0
            age = start - created
            fate = rng.random()
            refunded = False
            cancel_reason = ""
            paid: int | None = created + rng.randint(5, 600)
            if fate < 0.03:
                paid = None
                status = "UNPAID" if age < DAY else "CANCELLED"
                cancel_reason = "" if status == "UNPAID" else "Payment overdue"
            elif fate < 0.08:
                status, cancel_reason = "CANCELLED", "No longer needed"
            elif fate < 0.11:
                status, cancel_reason, refunded = "CANCELLED", "Refund: item not as described", True
            elif age < 2 * DAY:
                status = "AWAITING_SHIPMENT"
            elif age < 5 * DAY:
                status = "IN_TRANSIT"
            elif age < 10 * DAY:
                status = "DELIVERED"
            else:
                status = "COMPLETED"
            updated = min(start - 60, created + rng.randint(600, 9 * DAY))
            orders.append(
                Order(
                    id=f"576{_digits(rng, 15)}",
                    shop_id=shop.id,
                    user_id=rng.choice(buyers),
                    create_time=created,
                    update_time=max(updated, created),
                    paid_time=paid,
                    status=status,
                    currency=shop.currency,
                    items=tuple(items),
                    shipping_minor=shipping,
                    platform_discount_minor=platform_discount,
                    tax_minor=tax,
                    channel=channel,
                    content_id=content_id,
                    cancel_reason=cancel_reason,
                    refunded=refunded,
                )
            )
    return ShopActivity(tuple(videos), tuple(lives), tuple(orders))
