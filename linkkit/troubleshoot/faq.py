"""Sellers' common questions about linking, answered in linkkit's words.

The seller guide's FAQ points, common mistakes and troubleshooting advice each have an item here; an item
names the reason codes of the troubleshooting entries it relates to.

Example:
    >>> FAQ[0].question
    'What is the difference between an Official and a Marketing account?'
"""

from __future__ import annotations

from dataclasses import dataclass

from linkkit.troubleshoot.catalogue import LINKED_ACCOUNTS_PAGE

__all__ = ["FAQ", "FaqItem"]

_PAGE = LINKED_ACCOUNTS_PAGE


@dataclass(frozen=True)
class FaqItem:
    """A question sellers ask, answered in linkkit's words.

    Attributes:
        question: The question as a seller would put it.
        answer: The answer, plain and short.
        codes: Reason codes of related troubleshooting entries (may be empty).
    """

    question: str
    answer: str
    codes: tuple[str, ...] = ()


#: Sellers' common questions, the seller guide's common mistakes and troubleshooting advice, answered.
FAQ: tuple[FaqItem, ...] = (
    # ---- accounts and rules
    FaqItem(
        question="What is the difference between an Official and a Marketing account?",
        answer=(
            "The Official account is the brand's own account, tied to the shop: products show on its profile "
            "and it is the main place for orders and talking with customers. A Marketing account is for ads "
            "and promotion; it need not be the brand's main account, so you can try new ideas without "
            "touching the Official account's content. Marketing accounts can also promote affiliate products."
        ),
        codes=("official_limit_reached", "marketing_limit_reached", "both_roles"),
    ),
    FaqItem(
        question="How many accounts can I link to my shop?",
        answer=(
            "One Official account and at most four Marketing accounts, five in all. Several Marketing "
            "accounts are allowed, but TikTok's documented limit is four, not unlimited."
        ),
        codes=("official_limit_reached", "marketing_limit_reached"),
    ),
    FaqItem(
        question="Can the same TikTok account be both Official and Marketing?",
        answer=(
            "No. One account can hold only one role in a shop. To move it to the other role, unlink it (24 "
            "hours after linking) and link it again."
        ),
        codes=("both_roles",),
    ),
    FaqItem(
        question="I chose the wrong link type. How do I fix it?",
        answer=(
            "Choosing Official when you meant Marketing (or the other way round) is a common slip. Once 24 "
            "hours have passed since linking, unlink the account and link it again with the right type. "
            "Before you authorize, the wizard's step 2 shows what each type is for and what the shop already "
            "has."
        ),
        codes=("both_roles", "official_limit_reached", "unlink_too_early"),
    ),
    FaqItem(
        question="Can I change or replace my Official account?",
        answer=(
            "Yes: unlink the current Official account and link the new one. Use 'Replace' in linkkit's "
            "Linked accounts panel, which walks you through both steps. Unlinking is only allowed 24 hours "
            "after the account was linked, and TikTok's US pages also mention a limit on how often the "
            "Official account may be unlinked, so plan the change."
        ),
        codes=("official_limit_reached", "unlink_too_early"),
    ),
    FaqItem(
        question="What happens to my shop if I unlink the Official account?",
        answer=(
            "Products disappear from that account's profile and selling through it stops until another "
            "Official account is linked. Customers who follow the old profile no longer see your products "
            "there."
        ),
        codes=("official_limit_reached", "unlink_too_early"),
    ),
    FaqItem(
        question="When can I unlink an account?",
        answer=(
            "Only once 24 hours have passed since it was linked. Before that, Seller Center refuses and "
            "linkkit tells you when it becomes possible."
        ),
        codes=("unlink_too_early",),
    ),
    FaqItem(
        question="Can I link an account to more than one shop?",
        answer=(
            "An Official account belongs to one shop at a time. A Marketing account may be linked at most 10 "
            "times within 180 days across shops."
        ),
        codes=("already_linked_elsewhere", "relink_limit_reached"),
    ),
    FaqItem(
        question="Can I link a TikTok account from another country?",
        answer=(
            "No. The account must be registered in the same region as the shop. Link a local account instead."
        ),
        codes=("region_mismatch",),
    ),
    FaqItem(
        question="Do I need a Business account?",
        answer=(
            "You don't need to convert it yourself: TikTok turns every linked Official or Marketing account "
            "into a Business account automatically. The account must still meet TikTok's requirements (same "
            "region as the shop, identity verified, no restrictions)."
        ),
        codes=("account_ineligible",),
    ),
    FaqItem(
        question="Is there a minimum number of followers?",
        answer=(
            "TikTok documents no follower minimum for Official or Marketing accounts (it is 0). Linking "
            "works without an audience, but sales after linking depend on people seeing your content, so "
            "building followers still matters."
        ),
        codes=("account_ineligible",),
    ),
    FaqItem(
        question="Does linking cost anything?",
        answer="No. Linking a TikTok account to your shop is free.",
        codes=(),
    ),
    FaqItem(
        question="Does linking change my account's privacy settings?",
        answer=(
            "No. Linking does not change who can see your videos or profile; you keep managing privacy in "
            "the TikTok app. What does change is the account type: TikTok makes a linked account a Business "
            "account."
        ),
        codes=("account_ineligible",),
    ),
    FaqItem(
        question="What permissions does linking ask for, and why?",
        answer=(
            "TikTok asks you to share your profile information (name, picture, username), your public videos "
            "and possibly audience figures such as follower counts. Seller Center uses them for product "
            "showcases and ads; linkkit uses them to check the account is the right one and to chart how it "
            "sells. The wizard's step 3 explains each permission in plain words."
        ),
        codes=("scopes_missing", "shop_scope_missing"),
    ),
    FaqItem(
        question="What does linking give my shop?",
        answer=(
            "Products on the account's profile, purchases without leaving the TikTok app, targeted ads with "
            "performance tracking, direct contact with customers, insights into your audience and sales, and "
            "a wider reach. linkkit's Analytics page shows how each linked account sells."
        ),
        codes=(),
    ),
    FaqItem(
        question="Where is the linked accounts page in Seller Center?",
        answer=(
            f"Sign in to Seller Center and open {_PAGE} (the menu may call it account settings in some "
            f"regions); the TikTok Seller app has the same path. There you choose Official account or "
            f"Marketing accounts."
        ),
        codes=("binding_not_visible", "shop_not_connected"),
    ),
    FaqItem(
        question="Why can't linkkit finish the link by itself?",
        answer=(
            f"TikTok offers no way for an app to bind an account to a shop. The link is an invitation you "
            f"send in Seller Center ({_PAGE}) and accept in the TikTok app. linkkit shows you exactly what "
            f"to click and then checks the result."
        ),
        codes=("binding_not_visible",),
    ),
    # ---- after linking
    FaqItem(
        question="How long does linking take to show?",
        answer=(
            "Usually it is immediate, but it can take a few minutes to show everywhere. If it still does not "
            "show after that, check the invitation was accepted in the TikTok app, then press 'Verify now'."
        ),
        codes=("binding_not_visible",),
    ),
    FaqItem(
        question="How do I know the link worked?",
        answer=(
            f"In Seller Center, {_PAGE} lists the account as 'Connected'. linkkit's Verify step checks the "
            f"same and more (access works, right account, permissions, region, limits) and only then shows "
            f"Connected."
        ),
        codes=("binding_not_visible", "link_not_found"),
    ),
    FaqItem(
        question="I didn't check afterwards that the link shows as linked. Does it matter?",
        answer=(
            "Yes: skipping that check is a common mistake. A successful sign-in on TikTok does not mean the "
            "shop holds the link. Always finish with the wizard's Verify step, or press 'Verify now' in the "
            "Linked accounts panel, and look for 'Connected'."
        ),
        codes=("binding_not_visible", "link_not_found"),
    ),
    # ---- common mistakes
    FaqItem(
        question="I signed in to the wrong TikTok account. What now?",
        answer=(
            "It happens often: TikTok uses whichever account is already open in the browser or app. Log out "
            "of TikTok (or switch accounts), start again, and check the username TikTok shows before "
            "pressing Authorize. If the wrong account was linked, unlink it once 24 hours have passed."
        ),
        codes=("wrong_account", "unlink_too_early"),
    ),
    FaqItem(
        question="I didn't grant all the permissions. What happens?",
        answer=(
            "Leaving out permissions is a common mistake: linkkit cannot check the link without them and "
            "shows 'Some permissions were not granted'. Press 'Repair' and authorize again with every "
            "permission ticked."
        ),
        codes=("scopes_missing", "shop_scope_missing"),
    ),
    FaqItem(
        question="What should I do with an error message?",
        answer=(
            "Don't ignore it or just click past it. Every linkkit error names a problem and a reason code; "
            "open it in the Troubleshooter for what it means and the steps to fix it. Note the reason code "
            "and the time if you contact support."
        ),
        codes=("provider_error",),
    ),
    # ---- troubleshooting advice
    FaqItem(
        question="Which credentials should I check when linking fails?",
        answer=(
            "Check three logins: the Seller Center login (it must see the shop), the TikTok account you sign "
            "in with (it must be the one you want to link), and, for whoever runs linkkit, the app key and "
            "secret in its settings."
        ),
        codes=("wrong_account", "shop_not_connected", "app_credentials_invalid"),
    ),
    FaqItem(
        question="How do I make sure every permission was granted?",
        answer=(
            "Leave every box ticked on TikTok's permissions page. linkkit's Verify step lists any permission "
            "that is missing; press 'Repair' to grant it. If a permission was removed in the TikTok app "
            "(Settings and privacy › Security › Apps and services), authorize again."
        ),
        codes=("scopes_missing", "shop_scope_missing"),
    ),
    FaqItem(
        question="Should I just try again?",
        answer=(
            "Trying again helps when the cause is temporary: TikTok busy or unavailable, an expired or stale "
            "sign-in page, a link still appearing. Each Troubleshooter entry says whether retrying can help; "
            "when it says no, follow the steps instead of retrying."
        ),
        codes=("rate_limited", "provider_unavailable", "authorization_expired", "state_mismatch"),
    ),
    FaqItem(
        question="Does clearing the browser cache or restarting the app help?",
        answer=(
            "Sometimes. Clearing the cache (or using a private window) helps when the browser keeps signing "
            "you in to the wrong TikTok account or reopens an old sign-in page. Restarting the TikTok app "
            "helps when an invitation does not appear. It does not fix rule or set-up problems."
        ),
        codes=("wrong_account", "state_mismatch", "binding_not_visible"),
    ),
    FaqItem(
        question="When should I contact TikTok Shop support?",
        answer=(
            "When a problem persists after following the steps, when an account is refused as ineligible and "
            "you don't know why, or when Seller Center and linkkit disagree for more than an hour. Contact "
            "them from Seller Center and give the reason code and the time; never share passwords or "
            "tokens."
        ),
        codes=("provider_error", "account_ineligible", "binding_not_visible"),
    ),
)
