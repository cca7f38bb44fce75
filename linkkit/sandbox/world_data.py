"""The demo world's tables: shops and their products, sellers, TikTok accounts, scopes and desktop redirects.

Pure data, read by :func:`linkkit.sandbox.world.build_world`; the scope tables' plain words are what the
sandbox's consent pages show.
"""

from __future__ import annotations

__all__ = ["ACCOUNT_ROWS", "DESKTOP_REDIRECTS", "LOGIN_SCOPES", "ORDERS_PER_DAY", "SELLER_ROWS", "SHOP_ROWS",
           "SHOP_SCOPES"]

SHOP_ROWS: list[tuple[str, str, str, str, str, str, list[tuple[str, str, float]]]] = [
    # id, name, region, seller_type, currency, seller, products
    (
        "7494100000000000101",
        "Maple & Co",
        "US",
        "LOCAL",
        "USD",
        "maple_seller",
        [
            ("MPL-SYR-500", "Maple Syrup Grade A 500ml", 14.99),
            ("MPL-CND-01", "Maple Soy Candle", 19.50),
            ("MPL-SPN-SET", "Wooden Spoon Set", 24.00),
            ("MPL-PNC-MIX", "Buttermilk Pancake Mix", 8.99),
            ("MPL-GFT-BOX", "Maple Gift Box", 39.00),
            ("MPL-GRD-CI", "Cast Iron Griddle", 45.00),
        ],
    ),
    (
        "7494100000000000201",
        "Nova Outdoor UK",
        "GB",
        "CROSS_BORDER",
        "GBP",
        "nova_seller",
        [
            ("NV-BPK-30", "Trail Backpack 30L", 49.99),
            ("NV-BNE-MR", "Merino Beanie", 14.50),
            ("NV-MUG-CP", "Enamel Camp Mug", 9.99),
            ("NV-HDL-300", "Headlamp 300lm", 19.99),
            ("NV-SHL-RN", "Packable Rain Shell", 79.00),
        ],
    ),
    (
        "7494100000000000202",
        "Nova Outdoor MX",
        "MX",
        "CROSS_BORDER",
        "MXN",
        "nova_seller",
        [
            ("NV-BPK-30", "Mochila Trail 30L", 899.00),
            ("NV-BNE-MR", "Gorro de Merino", 249.00),
            ("NV-MUG-CP", "Taza de Camping", 179.00),
            ("NV-HDL-300", "Linterna Frontal 300lm", 349.00),
        ],
    ),
    (
        "7494100000000000301",
        "Batik Lestari",
        "ID",
        "LOCAL",
        "IDR",
        "batik_seller",
        [
            ("BTK-KTL-01", "Kain Batik Tulis", 450000),
            ("BTK-KMJ-02", "Kemeja Batik Pria", 275000),
            ("BTK-SLD-03", "Selendang Batik", 150000),
            ("BTK-TAS-04", "Tas Batik", 189000),
        ],
    ),
    (
        "7494100000000000401",
        "Cedar Goods",
        "US",
        "LOCAL",
        "USD",
        "cedar_seller",
        [
            ("CDR-BRD-01", "Cedar Cutting Board", 34.00),
            ("CDR-SCH-6", "Cedar Sachets 6pk", 12.99),
            ("CDR-SHT-01", "Cedar Shoe Trees", 29.00),
            ("CDR-PLN-01", "Cedar Planter", 42.00),
            ("CDR-HNG-10", "Cedar Hangers 10pk", 21.50),
        ],
    ),
]

ORDERS_PER_DAY = {
    "7494100000000000101": 15,
    "7494100000000000201": 11,
    "7494100000000000202": 7,
    "7494100000000000301": 18,
    "7494100000000000401": 16,
}

SELLER_ROWS = [
    ("maple_seller", "Maple & Co", "LOCAL", "US", ("7494100000000000101",)),
    ("nova_seller", "Nova Outdoor", "CROSS_BORDER", "CN", ("7494100000000000201", "7494100000000000202")),
    ("batik_seller", "Batik Lestari", "LOCAL", "ID", ("7494100000000000301",)),
    ("cedar_seller", "Cedar Goods", "LOCAL", "US", ("7494100000000000401",)),
]

# username, display_name, region, type, identity_verified, hint, affiliate
ACCOUNT_ROWS = [
    ("maple.official", "Maple & Co", "US", "business", True, "Maple's intended Official account", False),
    ("maple.deals", "Maple Deals", "US", "business", True, "Marketing candidate for Maple", False),
    ("maple.studio", "Maple Studio", "US", "business", True, "Marketing candidate for Maple", False),
    ("maple.live", "Maple LIVE", "US", "business", True, "Marketing candidate for Maple", False),
    ("maple.unbox", "Maple Unboxing", "US", "business", True, "Marketing candidate for Maple", False),
    (
        "maple.extra",
        "Maple Extra",
        "US",
        "business",
        True,
        "fifth Marketing candidate — hits the four-Marketing limit",
        False,
    ),
    ("jo.personal", "Jo", "US", "personal", False, "personal account, not identity-verified — ineligible", False),
    ("london.creator", "London Creator", "GB", "business", True, "GB account — wrong region for a US shop", False),
    (
        "cedar.official",
        "Cedar Goods",
        "US",
        "business",
        True,
        "Official account of Cedar Goods — linked elsewhere",
        False,
    ),
    ("cedar.founder", "Cedar Founder", "US", "business", True, "Cedar's previous Official account (history)", False),
    ("cedar.promo1", "Cedar Promo", "US", "business", True, "Marketing account of Cedar Goods", False),
    ("cedar.promo2", "Cedar Home", "US", "business", True, "Marketing account of Cedar Goods (relinked once)", False),
    ("cedar.promo3", "Cedar Outlet", "US", "business", True, "former Marketing account of Cedar Goods", False),
    (
        "cedar.hopper",
        "Cedar Hopper",
        "US",
        "business",
        True,
        "linked as Marketing 10 times in 180 days — relink limit reached",
        False,
    ),
    (
        "html.name",
        "<b>Bold</b><img src=x onerror=alert(1)>",
        "US",
        "business",
        True,
        "display name is HTML — escaping test",
        False,
    ),
    ("nova.uk", "Nova Outdoor UK", "GB", "business", True, "Official account of Nova Outdoor UK", False),
    ("nova.uk.promo", "Nova Trail Team", "GB", "business", True, "Marketing candidate for Nova UK", False),
    ("nova.mx", "Nova Outdoor MX", "MX", "business", True, "Official candidate for Nova MX", False),
    ("batik.official", "Batik Lestari", "ID", "business", True, "Official candidate for Batik Lestari", False),
    ("batik.promo", "Batik Lestari Promo", "ID", "business", True, "Marketing candidate for Batik Lestari", False),
    ("sunny.picks", "Sunny Picks", "US", "business", True, "affiliate creator (US)", True),
    ("dad.reviews", "Dad Reviews Stuff", "US", "personal", True, "affiliate creator (US)", True),
    ("glow.with.kim", "Glow with Kim", "US", "business", True, "affiliate creator (US)", True),
    ("tea.and.tech", "Tea & Tech", "GB", "business", True, "affiliate creator (GB)", True),
    ("brit.finds", "Brit Finds", "GB", "personal", True, "affiliate creator (GB)", True),
    ("casa.ofertas", "Casa Ofertas", "MX", "business", True, "affiliate creator (MX)", True),
    ("mx.unboxing", "MX Unboxing", "MX", "personal", True, "affiliate creator (MX)", True),
    ("diskon.harian", "Diskon Harian", "ID", "business", True, "affiliate creator (ID)", True),
    ("rina.review", "Rina Review", "ID", "personal", True, "affiliate creator (ID)", True),
]

LOGIN_SCOPES = {
    # scope key -> plain words shown on the consent page (TT-SCOPES-OVERVIEW, TT-SCOPE-MIG)
    "user.info.basic": "See your avatar and display name (always shared)",
    "user.info.profile": "See your profile details: username, bio, profile link and verified badge",
    "user.info.stats": "See your follower, following, like and video counts",
    "video.list": "See the public videos on your account",
    "video.upload": "Upload videos to your inbox as drafts",
    "video.publish": "Post videos to your account directly",
}

SHOP_SCOPES = {
    # scope_key from the API reference specs (TTS-SHOPS-REF, TTS-ORDERS-REF, TTS-ANALYTICS)
    "seller.authorization.info": "Shop Authorized Information: your TikTok shop ID(s)",
    "seller.order.info": "Order Information: your order status and order details",
    "data.shop_analytics.public.read": "TikTok Shop Analytics: sales and traffic data by shop, product and "
    "content type (video, LIVE, product card)",
}

DESKTOP_REDIRECTS = (
    "http://127.0.0.1:*/voila/render/01_link_accounts.ipynb",
    "http://localhost:*/voila/render/01_link_accounts.ipynb",
    "http://127.0.0.1:*/callback/",
)
