"""The seller's guide to linking, as data the dashboard renders.

Everything here is plain text (no HTML): the wizard's five steps (:data:`JOURNEY`), the two account types and
the Seller Center rules that apply to them (:data:`ACCOUNT_TYPES`), what each TikTok permission means
(:data:`SCOPE_DESCRIPTIONS`) and what linking gives a shop (:data:`BENEFITS`). Failure guidance and the FAQ
live in :mod:`linkkit.troubleshoot`.

The numbers follow TikTok's documented Seller Center rules: one Official account, at most four Marketing
accounts, same region as the shop, unlink only 24 hours after linking, a Marketing account linked at most
10 times within 180 days, and linked accounts become Business accounts.

Example:
    >>> from linkkit.guide import ACCOUNT_TYPES, JOURNEY, describe_scope
    >>> [step.number for step in JOURNEY]
    [1, 2, 3, 4, 5]
    >>> ACCOUNT_TYPES["marketing"].max_per_shop
    4
    >>> describe_scope("video.list")
    'See the public videos you have posted.'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from linkkit.models import Role

__all__ = [
    "ACCOUNT_TYPES",
    "BENEFITS",
    "JOURNEY",
    "LINKED_ACCOUNTS_PAGE",
    "MARKETING_RELINK_LIMIT",
    "MARKETING_RELINK_WINDOW_DAYS",
    "MAX_MARKETING_ACCOUNTS",
    "MAX_OFFICIAL_ACCOUNTS",
    "SCOPE_DESCRIPTIONS",
    "UNLINK_AFTER_HOURS",
    "AccountType",
    "Benefit",
    "JourneyStep",
    "describe_scope",
    "seller_center_steps",
]

#: Where linked accounts live in Seller Center (the TikTok Seller app has the same path).
LINKED_ACCOUNTS_PAGE = "My account › Linked TikTok accounts"
#: Official accounts per shop.
MAX_OFFICIAL_ACCOUNTS = 1
#: Marketing accounts per shop.
MAX_MARKETING_ACCOUNTS = 4
#: Hours that must pass after linking before an account can be unlinked.
UNLINK_AFTER_HOURS = 24
#: How many times a Marketing account may be linked (across shops) within the window below.
MARKETING_RELINK_LIMIT = 10
#: The window, in days, for :data:`MARKETING_RELINK_LIMIT`.
MARKETING_RELINK_WINDOW_DAYS = 180


@dataclass(frozen=True)
class JourneyStep:
    """One step of the linking wizard.

    Attributes:
        number: 1 to 5, the wizard's order.
        key: A stable identifier for the step (``connect_seller_center`` …).
        title: The step's title as the wizard shows it.
        explanation: One plain paragraph: what happens and what the seller does.
        guide_steps: The seller guide's journey steps this wizard step covers, in linkkit's words.
    """

    number: int
    key: str
    title: str
    explanation: str
    guide_steps: tuple[str, ...]


@dataclass(frozen=True)
class AccountType:
    """A role a TikTok account can have in a shop.

    Attributes:
        key: ``official`` or ``marketing`` (the role's value in linkkit's models).
        name: The name Seller Center uses.
        purpose: What the account is for.
        shop_effects: What changes for the shop when one is linked.
        rules: The Seller Center rules that apply, with their documented numbers.
        max_per_shop: How many a shop may link.
        replacement: What replacing or removing it means for the shop.
    """

    key: str
    name: str
    purpose: str
    shop_effects: tuple[str, ...]
    rules: tuple[str, ...]
    max_per_shop: int
    replacement: str


@dataclass(frozen=True)
class Benefit:
    """Something linking gives a shop, and where linkkit's analytics makes it visible.

    Attributes:
        title: A short name.
        description: One plain sentence.
        measured_by: What in linkkit's Analytics page shows it (empty if nothing can).
    """

    title: str
    description: str
    measured_by: str


_COMMON_RULES: tuple[str, ...] = (
    "The TikTok account must be registered in the same region as the shop.",
    "The same account cannot be both the Official account and a Marketing account of one shop.",
    f"An account can be unlinked only {UNLINK_AFTER_HOURS} hours after it was linked.",
    "The account holder's identity must be verified before linking.",
    "Once linked, TikTok turns the account into a Business account; its privacy settings do not change.",
    "No follower minimum applies, although an audience helps sales.",
)

#: The wizard's five steps, each mapping the seller guide's journey onto what linkkit does.
JOURNEY: tuple[JourneyStep, ...] = (
    JourneyStep(
        number=1,
        key="connect_seller_center",
        title="Connect Seller Center",
        explanation=(
            "Sign in to Seller Center and let linkkit read your shops. You are sent to TikTok Shop, where "
            "you sign in with your Seller Center login and allow linkkit access; linkkit then lists the "
            "shops you manage, with their region, and you pick the one to link accounts to. Nothing is "
            "linked yet."
        ),
        guide_steps=("Sign in to Seller Center.",),
    ),
    JourneyStep(
        number=2,
        key="choose_link_type",
        title="Choose link type",
        explanation=(
            f"Decide whether this TikTok account will be the shop's Official account (the brand's own "
            f"account, where your products appear) or one of its Marketing accounts (for ads and promotion). "
            f"linkkit shows what the shop already has linked and the rules: one Official account, up to "
            f"{MAX_MARKETING_ACCOUNTS} Marketing accounts, same region as the shop, one role per account. If "
            f"an Official account already exists, you can replace it, and linkkit spells out the "
            f"interruption."
        ),
        guide_steps=("Pick the link type: Official account and/or Marketing account.",),
    ),
    JourneyStep(
        number=3,
        key="authorize",
        title="Review permissions & authorize",
        explanation=(
            "Read what linkkit will be able to see on the TikTok account, each permission in plain words, "
            "then press 'Authorize with TikTok'. On TikTok, sign in to the exact account you want to link "
            "(not your personal one, unless that is the one), leave every permission ticked and press "
            "Authorize. linkkit checks the account against the rules before it stores anything."
        ),
        guide_steps=(
            "Start the authorization; you are sent to TikTok and sign in to the account to be linked.",
            "Read the permissions requested, then authorize.",
        ),
    ),
    JourneyStep(
        number=4,
        key="finish_in_seller_center",
        title="Finish in Seller Center",
        explanation=(
            f"TikTok lets only Seller Center make the link itself. Open Seller Center at "
            f"{LINKED_ACCOUNTS_PAGE} (some regions call the menu account settings; the TikTok Seller app has "
            f"the same path), choose Official account or Marketing accounts, add the account you just "
            f"authorized and send the invitation. Then accept it in the TikTok app, signed in to that "
            f"account. linkkit waits and moves on when it sees the link."
        ),
        guide_steps=("Find the linked-accounts page in Seller Center and add the account there.",),
    ),
    JourneyStep(
        number=5,
        key="verify",
        title="Verify",
        explanation=(
            "linkkit checks the link for real: its access works, it is the account you meant, every "
            "permission was granted, the region matches, the shop's limits hold, and the shop's own data "
            "shows the account as linked. Only then does it show Connected, matching 'Connected' in Seller "
            "Center. Linking is usually immediate but can take a few minutes to show everywhere; if a check "
            "fails, linkkit says which one and what to do."
        ),
        guide_steps=("Back in Seller Center, confirm the account now shows as linked.",),
    ),
)

#: The two roles, keyed by ``official`` and ``marketing``.
ACCOUNT_TYPES: Mapping[str, AccountType] = MappingProxyType(
    {
        "official": AccountType(
            key="official",
            name="Official account",
            purpose=(
                "The brand's own TikTok account, tied to the shop. It is usually the main account for "
                "selling: customers buy from its profile and contact the shop through it."
            ),
            shop_effects=(
                "The shop's products appear on the account's profile.",
                "Orders and customer messages can come through the account.",
                "The account's name follows the shop's name, including later renames.",
                "The account becomes a Business account.",
            ),
            rules=(
                f"A shop has exactly {MAX_OFFICIAL_ACCOUNTS} Official account.",
                "An Official account belongs to one shop at a time.",
                "It cannot promote affiliate products from the Product Marketplace.",
                *_COMMON_RULES,
            ),
            max_per_shop=MAX_OFFICIAL_ACCOUNTS,
            replacement=(
                f"Changing the Official account means unlinking the current one and linking another. From "
                f"the moment it is unlinked, products disappear from its profile and selling there stops "
                f"until the new account is linked. Unlinking is allowed only {UNLINK_AFTER_HOURS} hours "
                f"after linking, and TikTok's US pages mention a limit on how often it may be unlinked, so "
                f"pick a quiet time and have the new account ready."
            ),
        ),
        "marketing": AccountType(
            key="marketing",
            name="Marketing account",
            purpose=(
                "An account for ads and promotion. It does not have to be the brand's main account, so you "
                "can try new content and marketing ideas without touching the Official account."
            ),
            shop_effects=(
                "The account can tag and promote the shop's products in videos and LIVEs.",
                "Its sales are tracked for the shop, so ads and content can be measured.",
                "It can also promote affiliate products from the Product Marketplace.",
                "The account becomes a Business account.",
            ),
            rules=(
                f"A shop can link at most {MAX_MARKETING_ACCOUNTS} Marketing accounts.",
                f"A Marketing account can be linked at most {MARKETING_RELINK_LIMIT} times within "
                f"{MARKETING_RELINK_WINDOW_DAYS} days, across shops.",
                "Shops still in their probation period cannot link Marketing accounts.",
                "The invitation must be accepted in the TikTok app.",
                *_COMMON_RULES,
            ),
            max_per_shop=MAX_MARKETING_ACCOUNTS,
            replacement=(
                f"Removing a Marketing account does not affect the Official account or the shop's listings; "
                f"it frees one of the four places. Unlinking is allowed only {UNLINK_AFTER_HOURS} hours "
                f"after linking."
            ),
        ),
    }
)

#: Plain words for the permissions linkkit may ask for, keyed by TikTok's scope name.
SCOPE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        # TikTok Login Kit (the TikTok account)
        "user.info.basic": "See your account's ID, display name and profile picture.",
        "user.info.profile": "See your username, bio, profile link and whether the account is verified.",
        "user.info.stats": "See your follower, following, like and video counts.",
        "video.list": "See the public videos you have posted.",
        # TikTok Shop seller authorization (the shop)
        "seller.authorization.info": "See which shops you manage, with their names and regions.",
        "seller.shop.info": "See your shop's basic details.",
        "seller.order.info": "Read your shop's orders, to chart sales.",
        "data.shop_analytics.public.read": (
            "Read your shop's performance figures, including sales from videos and LIVEs by linked accounts."
        ),
    }
)

#: What linking gives a shop, and how linkkit's Analytics page makes it visible.
BENEFITS: tuple[Benefit, ...] = (
    Benefit(
        title="Products on your profile",
        description="Your products show on the linked account's profile, in a showcase viewers can browse.",
        measured_by="Sales from the product showcase (product card) next to videos and LIVEs.",
    ),
    Benefit(
        title="Purchases inside TikTok",
        description="Viewers buy without leaving the TikTok app, so fewer of them drop off.",
        measured_by="Orders and GMV over time, per linked account.",
    ),
    Benefit(
        title="Targeted ads you can measure",
        description="Ads can promote your content to chosen audiences, and their results are tracked.",
        measured_by="GMV from videos and LIVEs of Marketing accounts, set against their link dates.",
    ),
    Benefit(
        title="Direct contact with customers",
        description="Customers can message the shop and comment on its content from the account.",
        measured_by="",
    ),
    Benefit(
        title="Audience and sales insights",
        description="You see who watches and what they buy, per account and per kind of content.",
        measured_by="Followers, views and sales per account, before and after linking.",
    ),
    Benefit(
        title="More reach",
        description="Each linked account brings its own followers to your products.",
        measured_by="Views and orders coming from each linked account's content.",
    ),
)


def describe_scope(scope: str) -> str:
    """Return the plain description of a TikTok scope.

    Args:
        scope: A scope name such as ``"user.info.profile"``.

    Returns:
        Its description, or a neutral sentence naming the scope when linkkit has none.
    """
    return SCOPE_DESCRIPTIONS.get(scope, f"A TikTok permission named '{scope}'.")


def seller_center_steps(role: Role, username: str, *, replacing: bool = False) -> list[str]:
    """The exact clicks that bind ``@username`` as ``role`` in Seller Center (TikTok has no API for it).

    Args:
        role: Official or Marketing.
        username: The TikTok account's @username.
        replacing: The shop's Official account is being replaced (unlink the current one first).
    """
    kind = "Official account" if role is Role.OFFICIAL else "Marketing accounts"
    steps = [
        "Open Seller Center and sign in with the shop's seller account.",
        "Go to My account › Linked TikTok accounts (in the TikTok Seller app: Me › Linked TikTok accounts).",
        f"Under {kind}, choose {'Link' if role is Role.MARKETING else 'Link / Change'} and search for @{username}.",
        "Send the invitation.",
        f"On the phone signed in to @{username}, open the TikTok app and accept the invitation in the inbox.",
        "Come back here and press Verify. It can take a few minutes to show everywhere.",
    ]
    if replacing:
        steps.insert(2, "Unlink the current Official account first (Seller Center allows it 24 hours after it was "
                        "linked); the shop's products leave its profile until the new link is made.")
    return steps

