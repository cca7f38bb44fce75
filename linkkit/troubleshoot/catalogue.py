"""What every linkkit failure means to a seller, and what to do about it: the catalogue.

Every :class:`~linkkit.errors.LinkkitError` carries a stable ``reason`` code. This module turns a code into
words a person can act on, in the manner of Plaid's error pages: a short title, what happened, likely causes,
concrete steps in order, whether trying again can help, and whether only a new authorization on TikTok
(the seller signing in and pressing Authorize again) can fix it.

Entries name only controls and identifiers linkkit's own pages show (a test checks every quoted label and
every identifier against the UI source). Where a widely read seller's guide and TikTok's documented Seller
Center rules disagree, the documented rule wins (one Official account, at most four Marketing accounts, same
region as the shop, unlink only 24 hours after linking, a Marketing account may be linked at most 10 times in
180 days, linked accounts become Business accounts) and the guide's point appears as a clarification.

Example:
    >>> e = entry("wrong_account")
    >>> e.category, e.retryable, e.needs_reauthorization
    ('authorization', True, True)
    >>> needs_reauthorization("rate_limited")
    False
    >>> entry("no_such_code").code  # unknown codes fall back to the generic entry
    'provider_error'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from linkkit.errors import REASON_CODES, LinkkitError

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "GENERIC_CODE",
    "LINKED_ACCOUNTS_PAGE",
    "Category",
    "Entry",
    "entry",
    "explain",
    "needs_reauthorization",
]

Category = Literal["authorization", "rules", "tokens", "tiktok", "linking", "local"]

#: The categories, in the order the Troubleshooter lists them.
CATEGORIES: tuple[Category, ...] = ("authorization", "rules", "tokens", "tiktok", "linking", "local")

#: The reason code whose entry stands in for any code the catalogue does not know.
GENERIC_CODE = "provider_error"

#: Where linked accounts live in Seller Center (the TikTok Seller app has the same path).
LINKED_ACCOUNTS_PAGE = "My account › Linked TikTok accounts"

_PAGE = LINKED_ACCOUNTS_PAGE


@dataclass(frozen=True)
class Entry:
    """One troubleshooting entry: what a reason code means to a seller and what to do.

    Attributes:
        code: The stable reason code (one of :data:`linkkit.errors.REASON_CODES`).
        title: A short, plain title (at most 60 characters).
        meaning: What happened, in one or two sentences, in the second person.
        causes: The likely causes, most likely first.
        steps: What to do, in order.
        retryable: Whether simply trying again (possibly after a wait) can succeed.
        needs_reauthorization: Whether the grant linkkit holds for the account is unusable, so that only the
            seller authorizing the same account again on TikTok (the panel's 'Repair', the wizard's
            'Authorize again') fixes it.
        symptoms: Phrases a seller might type when this happens, for :func:`linkkit.troubleshoot.search`.
        category: Where the failure happened: ``authorization``, ``rules``, ``tokens``, ``tiktok``,
            ``linking`` or ``local``.
    """

    code: str
    title: str
    meaning: str
    causes: tuple[str, ...]
    steps: tuple[str, ...]
    retryable: bool
    needs_reauthorization: bool
    symptoms: tuple[str, ...]
    category: Category


_SUPPORT = (
    "If it still fails, contact TikTok Shop support through Seller Center's help centre and give them the "
    "reason code linkkit shows under the problem ('Reason code') and the time it happened. Never share "
    "passwords or tokens."
)

_ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------------------ authorization round trip
    Entry(
        code="consent_denied",
        title="You declined the permissions on TikTok",
        meaning=(
            "TikTok reports that you pressed Cancel (or closed the page) instead of Authorize, so linkkit "
            "received no access to the account. Nothing was linked or stored."
        ),
        causes=(
            "You pressed Cancel or Deny on TikTok's permissions page.",
            "You closed the TikTok window before pressing Authorize.",
            "Someone else approved the request on a shared device and declined it.",
        ),
        steps=(
            "Go back to the wizard's step 3, 'Review permissions & authorize', and read what each permission "
            "is for.",
            "Press 'Authorize with TikTok' again.",
            "On TikTok's page, sign in with the account you want to link, leave every permission ticked and "
            "press Authorize.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "pressed cancel",
            "clicked deny",
            "declined permissions",
            "access denied",
            "auth denied",
            "I said no by mistake",
            "closed the tiktok window",
        ),
        category="authorization",
    ),
    Entry(
        code="state_mismatch",
        title="This sign-in page is out of date",
        meaning=(
            "The page TikTok sent you back to does not match an authorization linkkit started, or it was "
            "started in another tab. For your safety linkkit ignored it."
        ),
        causes=(
            "You used an old or bookmarked TikTok page, or pressed Back after authorizing.",
            "You started the authorization in two tabs and finished it in the older one.",
            "The browser restored an old tab after a restart.",
            "The link was opened on a different computer or browser than the one that started it.",
        ),
        steps=(
            "Close every other linkkit and TikTok tab.",
            "In linkkit, press 'Start over' on the wizard's step 3, then 'Authorize with TikTok'.",
            "Finish the whole sign-in in the same browser window without pressing Back.",
            "If the problem repeats, clear the browser's cache and cookies for tiktok.com (or use a private "
            "window) and try once more.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "stale tab",
            "old tab",
            "invalid state",
            "state mismatch",
            "nothing happens after authorize",
            "authorize page loops back",
            "pressed back button",
            "opened link in another browser",
        ),
        category="authorization",
    ),
    Entry(
        code="authorization_expired",
        title="The authorization took too long",
        meaning=(
            "You started linking more than 10 minutes ago, so this authorization has expired. Nothing was "
            "linked; start again and finish within a few minutes."
        ),
        causes=(
            "The TikTok page was left open for more than 10 minutes before you pressed Authorize.",
            "Signing in to TikTok took long (forgotten password, verification code by SMS).",
            "The computer went to sleep mid-way.",
        ),
        steps=(
            "In linkkit, press 'Start over' on the wizard's step 3.",
            "Make sure you know the login of the TikTok account you want to link before you begin.",
            "Press 'Authorize with TikTok' and finish within 10 minutes.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "link expired",
            "session expired",
            "took too long",
            "timed out during sign in",
            "authorization expired",
        ),
        category="authorization",
    ),
    Entry(
        code="authorization_abandoned",
        title="The authorization was interrupted",
        meaning=(
            "linkkit was finishing this authorization when it stopped (the dashboard or its server was "
            "restarted, or the computer shut down). Nothing was linked, and the access TikTok granted for this "
            "attempt has been given back."
        ),
        causes=(
            "The dashboard's kernel or server was restarted while TikTok sent you back.",
            "The computer running linkkit shut down or went to sleep mid-way.",
        ),
        steps=(
            "In linkkit, press 'Start over' on the wizard's step 3.",
            "Press 'Authorize with TikTok' again; the account is not linked yet.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "linking stopped half way",
            "kernel restarted while linking",
            "authorization interrupted",
        ),
        category="authorization",
    ),
    Entry(
        code="authorization_reused",
        title="This authorization was already used",
        meaning=(
            "The page you came back to belongs to an authorization that has already been completed. Each "
            "authorization works only once; your earlier attempt may already have succeeded."
        ),
        causes=(
            "You refreshed the page TikTok sent you back to.",
            "You opened the same return link twice, or in two tabs.",
            "You pressed Back and then Forward after authorizing.",
        ),
        steps=(
            "Open linkkit's Linked accounts panel: if the account is listed, the earlier attempt worked and "
            "there is nothing to redo.",
            "If it is not listed, press 'Start over' on the wizard's step 3 and authorize once more.",
            "Do not refresh the page after TikTok sends you back.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "refreshed the page",
            "already used",
            "used twice",
            "replayed",
            "opened the link twice",
        ),
        category="authorization",
    ),
    Entry(
        code="code_invalid",
        title="TikTok did not accept the sign-in code",
        meaning=(
            "TikTok gives linkkit a one-time code when you authorize, and it refused that code: it had "
            "expired or had already been used. Nothing was linked."
        ),
        causes=(
            "Too much time passed between authorizing and returning to linkkit.",
            "The return page was refreshed or opened twice, so the code was used already.",
            "The code was copied from an old address bar or email.",
        ),
        steps=(
            "In linkkit, press 'Start over' on the wizard's step 3.",
            "Press 'Authorize with TikTok', sign in, press Authorize, and let the page return by itself.",
            "If you paste the address you landed on, paste it straight away and only once.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "invalid grant",
            "authorization code expired",
            "code expired",
            "code already used",
            "invalid code",
            "sign in code rejected",
        ),
        category="authorization",
    ),
    Entry(
        code="pkce_mismatch",
        title="The security check on the sign-in failed",
        meaning=(
            "TikTok checks that the sign-in finished in the same place it started, and that check failed. "
            "Nothing was linked."
        ),
        causes=(
            "The authorization was finished in a different browser or linkkit session from the one that "
            "began it.",
            "linkkit's data was reset (for example the database was replaced) between starting and "
            "finishing.",
            "An app set-up or software problem: the code challenge was encoded in a way TikTok does not "
            "accept.",
        ),
        steps=(
            "Press 'Start over' on the wizard's step 3 and finish the sign-in in the same browser window.",
            "If it fails again, ask whoever runs your linkkit to check the app set-up; give them the reason "
            "code and the message shown with the error.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "code verifier or code challenge is invalid",
            "code_challenge error",
            "pkce",
            "code verifier invalid",
        ),
        category="authorization",
    ),
    Entry(
        code="redirect_uri_mismatch",
        title="The return address is not registered with TikTok",
        meaning=(
            "TikTok refused to send you back to linkkit because linkkit's address does not exactly match the "
            "one registered for the app. This is a set-up problem, not something you did."
        ),
        causes=(
            "linkkit is served from an address (host, port or path) that is not registered as a Redirect "
            "URI.",
            "The address differs slightly: http instead of https, a missing or extra slash, another "
            "subdomain.",
            "The app was changed on TikTok for Developers and the change is not approved yet.",
        ),
        steps=(
            "Tell whoever runs your linkkit: they should compare linkkit's public URL with the Redirect URI "
            "on the app's page in TikTok for Developers (Login Kit) and make them identical.",
            "After the change is saved (and approved, if TikTok asks), press 'Start over' and authorize "
            "again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "redirect_uri",
            "redirect uri mismatch",
            "we couldn't log in with tiktok",
            "correct the following redirect_uri",
            "tiktok error page after authorize",
        ),
        category="authorization",
    ),
    Entry(
        code="scopes_missing",
        title="Some permissions were not granted",
        meaning=(
            "You authorized the account but left out permissions linkkit needs to check the link (for "
            "example profile or video access). The link cannot be verified until every one is granted."
        ),
        causes=(
            "You unticked one or more permissions on TikTok's page before pressing Authorize.",
            "You later removed a permission in the TikTok app (Settings and privacy › Security › Apps and "
            "services).",
            "The app is not yet allowed by TikTok to ask for that permission.",
        ),
        steps=(
            "In linkkit, open Linked accounts and press 'Repair' on the account (or restart the wizard's "
            "step 3).",
            "On TikTok's page, leave every permission ticked and press Authorize.",
            "If TikTok never shows the permission, ask whoever runs your linkkit to enable it for the app in "
            "TikTok for Developers.",
        ),
        retryable=True,
        needs_reauthorization=True,
        symptoms=(
            "permissions not granted",
            "didn't grant permissions",
            "unticked a permission",
            "scope not authorized",
            "scope permission missed",
            "missing permission",
            "invalid scope",
        ),
        category="authorization",
    ),
    Entry(
        code="wrong_account",
        title="You signed in to a different TikTok account",
        meaning=(
            "The TikTok account you authorized is not the one this link is for. TikTok signs you in with "
            "whichever account is already open in the browser or app, which is often not the shop's account."
        ),
        causes=(
            "The browser was still signed in to your personal TikTok account.",
            "You have several TikTok accounts and the app switched to another one.",
            "You are repairing a link and signed in to an account other than the linked one.",
        ),
        steps=(
            "Open tiktok.com in the same browser and log out (or switch accounts in the TikTok app: Profile "
            "› your name at the top).",
            "In linkkit, press 'Start over' on the wizard's step 3 and 'Authorize with TikTok'.",
            "Sign in with the exact account you want to link; check the username TikTok shows before "
            "pressing Authorize.",
            "If the browser keeps choosing the old account, use a private window or clear the browser cache.",
        ),
        retryable=True,
        needs_reauthorization=True,
        symptoms=(
            "wrong account",
            "signed in with the wrong tiktok account",
            "logged in as someone else",
            "personal account instead of brand",
            "linked the wrong username",
            "different account",
        ),
        category="authorization",
    ),
    Entry(
        code="app_credentials_invalid",
        title="linkkit's TikTok app keys are not accepted",
        meaning=(
            "TikTok did not recognise the app key or secret linkkit uses, so no account can be linked right "
            "now. This is a set-up problem, not something about your account."
        ),
        causes=(
            "The app key or app secret in linkkit's settings is mistyped, old or from another app.",
            "The app secret was reset on TikTok for Developers or Partner Center.",
            "The app is still a draft or has not been approved for this product.",
        ),
        steps=(
            "Tell whoever runs your linkkit: they should copy the client key / app key and secret again from "
            "TikTok for Developers or TikTok Shop Partner Center into linkkit's settings.",
            "Restart the dashboard after changing the settings, then try again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "invalid client",
            "app key invalid",
            "client key invalid",
            "unauthorized client",
            "check the credentials",
            "app secret wrong",
        ),
        category="authorization",
    ),
    # ------------------------------------------------------------------ Seller Center rules
    Entry(
        code="account_ineligible",
        title="This TikTok account cannot be linked to a shop",
        meaning=(
            "The account does not meet TikTok's requirements for a shop's linked accounts, so Seller Center "
            "would refuse it. linkkit stopped before anything was linked."
        ),
        causes=(
            "Identity verification for the account or the shop is not finished.",
            "The account holder is under 18, or the account has restrictions or past e-commerce violations.",
            "The shop is still in its probation period, which blocks Marketing accounts.",
            "The account is a development/test account, or an account type Seller Center does not accept.",
        ),
        steps=(
            "In the TikTok app, check the account for warnings (Profile › menu › Settings and privacy › "
            "Account status).",
            "In Seller Center, finish any identity verification the shop asks for.",
            f"In Seller Center open {_PAGE} and try adding the account there: its eligibility check names "
            f"the exact requirement that is missing.",
            "You don't need to switch to a Business account first: TikTok converts linked accounts to "
            "Business accounts itself.",
            _SUPPORT,
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "account not eligible",
            "ineligible",
            "personal account",
            "need a business account",
            "not enough followers",
            "probation period",
            "identity verification",
            "account restricted",
        ),
        category="rules",
    ),
    Entry(
        code="region_mismatch",
        title="The account's region differs from the shop's",
        meaning=(
            "TikTok only lets a shop link accounts registered in the shop's own region, and this account is "
            "from another one."
        ),
        causes=(
            "The TikTok account was created in (or moved to) another country.",
            "You picked a shop in another region in the wizard's step 1.",
            "The account is a global brand account rather than the local one.",
        ),
        steps=(
            "Check in the wizard's step 1 that you chose the right shop.",
            "Link a TikTok account registered in the shop's region instead.",
            "An account's region cannot be changed from linkkit; ask TikTok Shop support if you believe it "
            "is wrong.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "wrong region",
            "different country",
            "region mismatch",
            "account from another country",
            "not available in my region",
        ),
        category="rules",
    ),
    Entry(
        code="already_linked_elsewhere",
        title="The account is linked to another shop",
        meaning=(
            "This TikTok account is already the linked account of a different shop. An Official account can "
            "belong to only one shop at a time."
        ),
        causes=(
            "The account is the Official account of another shop, perhaps one you no longer use.",
            "Another seller or agency linked it to their shop.",
        ),
        steps=(
            f"Sign in to the other shop's Seller Center, open {_PAGE} and unlink the account there (allowed "
            f"24 hours after it was linked).",
            "Wait a few minutes, then start the wizard again for this shop.",
            "If you no longer have access to the other shop, contact TikTok Shop support.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "linked to another shop",
            "already used by another seller",
            "account belongs to other store",
            "already bound elsewhere",
        ),
        category="rules",
    ),
    Entry(
        code="already_linked",
        title="The account is already linked to this shop",
        meaning=(
            "This TikTok account is already linked to this shop in this role, so there is nothing to add."
        ),
        causes=(
            "An earlier attempt succeeded and you started again to be sure.",
            "Someone else on your team already linked it.",
        ),
        steps=(
            "Open linkkit's Linked accounts panel and press 'Verify now' on the account to confirm it works.",
            "If it shows a problem, press 'Repair' rather than linking it again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "already linked",
            "duplicate link",
            "linked it twice",
            "account already connected",
        ),
        category="rules",
    ),
    Entry(
        code="official_limit_reached",
        title="The shop already has an Official account",
        meaning=(
            "A shop can have exactly one Official account and yours already has one. To use another account "
            "as Official you replace the current one, which interrupts selling on its profile."
        ),
        causes=(
            "An Official account was linked earlier, perhaps by a colleague.",
            "You meant to add a Marketing account but chose Official in the wizard's step 2.",
        ),
        steps=(
            "If you wanted a Marketing account, go back to the wizard's step 2 and choose Marketing.",
            f"To change the Official account, use 'Replace' on it in linkkit's Linked accounts panel: it "
            f"guides you to unlink it in Seller Center ({_PAGE} › Official account) and link the new one.",
            "Plan the change for a quiet moment: until the new account is linked, products disappear from "
            "the old profile and selling there stops.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "already has an official account",
            "change official account",
            "one official account",
            "replace official account",
            "chose the wrong link type",
            "official limit",
        ),
        category="rules",
    ),
    Entry(
        code="marketing_limit_reached",
        title="The shop already has four Marketing accounts",
        meaning=(
            "A shop can link at most four Marketing accounts and all four places are taken. One has to be "
            "unlinked before another can be added."
        ),
        causes=(
            "Four Marketing accounts are already linked.",
            "An account you stopped using is still linked.",
        ),
        steps=(
            "In linkkit's Linked accounts panel, see which Marketing accounts are linked and which one you "
            "can do without.",
            f"Unlink it in Seller Center ({_PAGE} › Marketing accounts); this is allowed 24 hours after it "
            f"was linked.",
            "Start the wizard again and choose Marketing.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "too many marketing accounts",
            "marketing limit",
            "can't add a fifth account",
            "how many marketing accounts",
            "maximum accounts reached",
        ),
        category="rules",
    ),
    Entry(
        code="both_roles",
        title="One account cannot be both Official and Marketing",
        meaning=(
            "This TikTok account is already linked to the shop in the other role. The same account cannot be "
            "the shop's Official account and one of its Marketing accounts at once."
        ),
        causes=(
            "You chose the wrong link type in the wizard's step 2.",
            "You are trying to move the account from one role to the other without unlinking it first.",
        ),
        steps=(
            "Decide which role the account should have (the wizard's step 2 explains both).",
            f"To move it, unlink it from its current role in Seller Center ({_PAGE}), 24 hours after it was "
            f"linked, then link it again in the other role.",
            "Otherwise link a different account for the second role.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "both official and marketing",
            "same account in both roles",
            "switch from marketing to official",
            "wrong link type",
        ),
        category="rules",
    ),
    Entry(
        code="unlink_too_early",
        title="Unlinking is allowed only 24 hours after linking",
        meaning=(
            "TikTok lets you unlink an account only once 24 hours have passed since it was linked, and that "
            "time is not up yet."
        ),
        causes=(
            "The account was linked less than 24 hours ago.",
            "You linked the wrong account or role and want to undo it straight away.",
        ),
        steps=(
            "Wait until 24 hours after the link was made; linkkit's Linked accounts panel shows when it was "
            "linked.",
            f"Then unlink it from linkkit or in Seller Center ({_PAGE}).",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "can't unlink",
            "unlink button greyed out",
            "unlink not allowed",
            "remove account just linked",
            "undo link",
        ),
        category="rules",
    ),
    Entry(
        code="relink_limit_reached",
        title="This Marketing account was linked too often",
        meaning=(
            "A Marketing account can be linked at most 10 times within 180 days, across all shops, and this "
            "account has reached that limit."
        ),
        causes=(
            "The account was linked and unlinked many times while testing.",
            "The account moves often between shops (for example an agency account).",
        ),
        steps=(
            "Link a different TikTok account as the Marketing account for now.",
            "Use this account again once its oldest link in the last 180 days falls out of the window.",
            "If you think the count is wrong, contact TikTok Shop support.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "linked too many times",
            "relink limit",
            "10 times in 180 days",
            "can't link again",
            "link to more than one shop",
            "marketing account for several shops",
        ),
        category="rules",
    ),
    # ------------------------------------------------------------------ tokens
    Entry(
        code="token_expired",
        title="The account's access has expired",
        meaning=(
            "linkkit's access to this account ran out, as it does regularly. linkkit normally renews it on "
            "its own; this time it could not, so the account needs a quick check."
        ),
        causes=(
            "The dashboard was not opened for a long time, so the renewal window passed.",
            "A renewal was interrupted (network loss, the computer slept).",
        ),
        steps=(
            "Open linkkit's Linked accounts panel and press 'Verify now' on the account; linkkit renews "
            "access if it can.",
            "If it still shows this message, press 'Repair' and authorize the same account again.",
        ),
        retryable=True,
        needs_reauthorization=True,
        symptoms=(
            "token expired",
            "access token is expired",
            "105002",
            "session ran out",
            "needs attention after a week",
        ),
        category="tokens",
    ),
    Entry(
        code="token_revoked",
        title="Access to the account was withdrawn",
        meaning=(
            "The account's owner (or TikTok) removed linkkit's access, so linkkit can no longer check this "
            "link. The link in Seller Center itself may be fine."
        ),
        causes=(
            "linkkit was removed in the TikTok app (Settings and privacy › Security › Apps and services).",
            "The shop's authorization for linkkit was cancelled in Seller Center.",
            "The account's password was changed or the account was restricted.",
        ),
        steps=(
            "In linkkit's Linked accounts panel, press 'Repair' on the account.",
            "Sign in with the same TikTok account and authorize again.",
            "If you removed access on purpose, unlink the account instead.",
        ),
        retryable=False,
        needs_reauthorization=True,
        symptoms=(
            "access revoked",
            "deauthorized",
            "removed app access",
            "105001",
            "access token invalid",
        ),
        category="tokens",
    ),
    Entry(
        code="refresh_token_invalid",
        title="linkkit can no longer renew access to the account",
        meaning=(
            "linkkit's key for renewing access was refused: it was replaced by a newer one or withdrawn. The "
            "account needs to be authorized again."
        ),
        causes=(
            "Another window or copy of linkkit renewed the access at the same moment and kept the newer key.",
            "Access was withdrawn in the TikTok app (Settings and privacy › Security › Apps and services).",
            "The renewal key reached the end of its life after a long time without use.",
        ),
        steps=(
            "Close other linkkit windows for this shop.",
            "In linkkit's Linked accounts panel, press 'Repair' on the account and authorize the same TikTok "
            "account again.",
            "If it happens repeatedly, tell whoever runs your linkkit: two copies may be sharing one "
            "registry badly.",
        ),
        retryable=False,
        needs_reauthorization=True,
        symptoms=(
            "refresh token invalid",
            "refresh token revoked",
            "another window refreshed",
            "keeps asking to sign in again",
            "invalid grant on refresh",
        ),
        category="tokens",
    ),
    # ------------------------------------------------------------------ TikTok answered badly
    Entry(
        code="rate_limited",
        title="TikTok asked linkkit to slow down",
        meaning=(
            "linkkit sent TikTok too many requests in a short time and TikTok paused them. Nothing is wrong "
            "with your account; it will work again shortly."
        ),
        causes=(
            "Many accounts or shops were verified at once.",
            "Another tool using the same app is busy at the same time.",
        ),
        steps=(
            "Wait a minute, then press 'Verify now' or try the step again.",
            "Avoid verifying all accounts repeatedly in a row.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "too many requests",
            "rate limit exceeded",
            "429",
            "slow down",
            "36009002",
        ),
        category="tiktok",
    ),
    Entry(
        code="provider_unavailable",
        title="TikTok is not responding right now",
        meaning=(
            "TikTok's service did not answer or reported a temporary problem. Your link is not affected; try "
            "again in a few minutes."
        ),
        causes=(
            "A temporary outage or maintenance at TikTok.",
            "Your internet connection dropped or is very slow.",
            "A firewall or proxy blocks TikTok's addresses.",
        ),
        steps=(
            "Check your internet connection.",
            "Wait a few minutes and try again.",
            "If it lasts more than an hour, check TikTok Shop's announcements in Seller Center.",
            _SUPPORT,
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "tiktok down",
            "server error",
            "temporarily unavailable",
            "timeout",
            "connection failed",
            "500 error",
        ),
        category="tiktok",
    ),
    Entry(
        code="provider_bad_response",
        title="TikTok sent an answer linkkit could not read",
        meaning=(
            "TikTok answered, but not in the form linkkit expects, so linkkit did not act on it. This is "
            "usually temporary."
        ),
        causes=(
            "A temporary fault at TikTok returned a broken or empty page.",
            "A proxy, captive portal or firewall replaced TikTok's answer.",
            "TikTok changed its service and linkkit needs an update.",
        ),
        steps=(
            "Try again in a few minutes.",
            "If you are on public or hotel Wi-Fi, sign in to the network first or use another connection.",
            "If it keeps happening, tell whoever runs your linkkit (linkkit may need updating) and give them "
            "the reason code and time.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "unable to parse response",
            "unexpected response",
            "garbled answer",
            "invalid json",
        ),
        category="tiktok",
    ),
    Entry(
        code="signature_invalid",
        title="TikTok rejected linkkit's request signature",
        meaning=(
            "Every request linkkit sends to TikTok Shop is signed with the app secret, and TikTok said the "
            "signature is wrong. This is a set-up problem, not something about your shop."
        ),
        causes=(
            "The app secret in linkkit's settings does not belong to the app key.",
            "The app secret was reset in TikTok Shop Partner Center.",
            "A proxy altered the request on its way to TikTok.",
        ),
        steps=(
            "Tell whoever runs your linkkit: they should copy the app key and secret again from Partner "
            "Center and restart the dashboard.",
            "Then press 'Verify now' again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "invalid sign",
            "signature invalid",
            "106001",
            "36009004",
            "wrong signature",
        ),
        category="tiktok",
    ),
    Entry(
        code="clock_skew",
        title="This computer's clock is wrong",
        meaning=(
            "TikTok refuses requests whose time is more than a few minutes off, and the clock of the "
            "computer running linkkit is off by more than that."
        ),
        causes=(
            "The computer's clock is not set automatically.",
            "The time zone or date is set wrongly.",
            "A virtual machine or laptop resumed from sleep with an old time.",
        ),
        steps=(
            "Turn on automatic date and time in the system settings of the computer running linkkit.",
            "Check the date and time zone.",
            "Try again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "timestamp out of range",
            "clock wrong",
            "time is off",
            "request expired timestamp",
        ),
        category="tiktok",
    ),
    Entry(
        code="shop_scope_missing",
        title="linkkit lacks a permission on the shop",
        meaning=(
            "TikTok Shop refused because the shop's authorization for linkkit does not include the "
            "permission this action needs (for example reading orders or shop analytics)."
        ),
        causes=(
            "The seller did not grant every permission when authorizing linkkit on the shop.",
            "The app has not been given this permission package in TikTok Shop Partner Center.",
            "The permission was added to the app after the shop authorized it.",
        ),
        steps=(
            "In linkkit, go back to the wizard's step 1, 'Connect Seller Center', and authorize the shop "
            "again granting every permission.",
            "If TikTok does not offer the permission, ask whoever runs your linkkit to add it to the app in "
            "Partner Center (Manage API scopes).",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "you should apply auth pkg for this api",
            "105005",
            "shop permission missing",
            "cannot read orders",
            "analytics not allowed",
        ),
        category="tiktok",
    ),
    Entry(
        code="provider_error",
        title="TikTok reported an error",
        meaning=(
            "TikTok answered with an error linkkit has no specific advice for. The message shown with it "
            "says more."
        ),
        causes=(
            "A temporary problem at TikTok.",
            "A situation new to linkkit, such as a rule or error TikTok recently added.",
        ),
        steps=(
            "Read the message shown with the error; it often names the problem.",
            "Try once more in a few minutes.",
            "Search this Troubleshooter for the words in the message.",
            _SUPPORT,
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "unknown error",
            "something went wrong",
            "error message",
            "generic error",
            "it doesn't work",
        ),
        category="tiktok",
    ),
    # ------------------------------------------------------------------ linking state
    Entry(
        code="binding_not_visible",
        title="The link does not show in Seller Center yet",
        meaning=(
            "You authorized the account, but the shop's own data does not show it as linked yet. The link is "
            "finished in Seller Center and accepted in the TikTok app, and it can take a few minutes to show "
            "everywhere."
        ),
        causes=(
            "The invitation was not sent yet in Seller Center.",
            "The invitation was sent but not accepted in the TikTok app.",
            "The link was made moments ago and has not reached everywhere yet.",
            "The invitation went to another account, or lapsed without an answer.",
        ),
        steps=(
            f"In Seller Center open {_PAGE}, choose Official account or Marketing accounts, and check the "
            f"account shows 'Connected'.",
            "If it is not there, add it there and send the invitation to the same username you authorized.",
            "Open the TikTok app signed in to that account and accept the invitation from your inbox "
            "notifications.",
            "Wait a few minutes, then press 'Verify now' in linkkit.",
            "If Seller Center shows 'Connected' but linkkit still does not after an hour, press 'Verify now' "
            "once more and, if it still disagrees, contact support as below.",
            _SUPPORT,
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "not showing as linked",
            "doesn't show connected",
            "link not visible",
            "waiting for seller center",
            "didn't get the invitation",
            "nothing happens after authorize",
            "takes a few minutes",
        ),
        category="linking",
    ),
    Entry(
        code="shop_not_connected",
        title="No shop is connected to linkkit yet",
        meaning=(
            "linkkit cannot read this shop because it has not been authorized in Seller Center, or that "
            "authorization has ended. Accounts are always linked to a shop, so this comes first."
        ),
        causes=(
            "The wizard's step 1, 'Connect Seller Center', was skipped or not finished.",
            "The shop's authorization for linkkit expired or was cancelled in Seller Center.",
            "You signed in to Seller Center with a login that cannot see this shop.",
        ),
        steps=(
            "Open the wizard's step 1, 'Connect Seller Center'.",
            "Sign in with the shop's main Seller Center login and authorize linkkit.",
            "Pick the shop from the list linkkit shows.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "shop not connected",
            "no shop found",
            "shop missing from list",
            "can't find my shop",
            "seller center not connected",
        ),
        category="linking",
    ),
    Entry(
        code="not_your_shop",
        title="This shop belongs to someone else",
        meaning=(
            "You are signed in to linkkit as someone who is not an owner or member of this shop, so linkkit "
            "did not show or change anything of it."
        ),
        causes=(
            "The shop was connected by a colleague, and they have not given you access.",
            "The address you opened names another seller's shop.",
            "You are signed in to linkkit under another name than usual.",
        ),
        steps=(
            "Ask the person who connected the shop to give you access.",
            "Or connect the shop yourself in the wizard's step 1, 'Connect Seller Center', with its Seller Center "
            "login.",
            "Open the dashboard again without an address you were sent.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "not your shop",
            "someone else's shop",
            "no access to shop",
            "shop belongs to colleague",
            "permission to see shop",
        ),
        category="linking",
    ),
    Entry(
        code="link_not_found",
        title="linkkit has no record of this link",
        meaning=(
            "The link you asked about is not in linkkit's records, for example because it was already "
            "unlinked or was made directly in Seller Center."
        ),
        causes=(
            "The link was already unlinked, perhaps by a colleague.",
            "The account was linked in Seller Center without linkkit.",
            "The page shows an outdated list.",
        ),
        steps=(
            "Reload linkkit's Linked accounts panel.",
            f"Compare it with Seller Center's {_PAGE} page.",
            "To track an account linked outside linkkit, run the wizard for it; it will recognise the "
            "existing link.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "link not found",
            "account missing from list",
            "linked account disappeared",
            "no such link",
        ),
        category="linking",
    ),
    # ------------------------------------------------------------------ local problems
    Entry(
        code="config_invalid",
        title="linkkit's settings are missing or invalid",
        meaning=(
            "linkkit cannot start this action because one of its settings is missing or not valid. This is a "
            "set-up problem, not something about your shop or account."
        ),
        causes=(
            "The app key, secret, database location or public address is not set.",
            "A setting in linkkit.toml or the environment has a typo.",
        ),
        steps=(
            "Tell whoever runs your linkkit; the message names the setting.",
            "After they fix it, restart the dashboard and try again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "settings missing",
            "configuration error",
            "linkkit.toml",
            "missing app key",
        ),
        category="local",
    ),
    Entry(
        code="data_format_invalid",
        title="A data file is not in the expected format",
        meaning=(
            "A file you gave linkkit (for example a Seller Center order export) has a column, row or value "
            "linkkit could not read. The message names the file, row and column."
        ),
        causes=(
            "The file was edited in a spreadsheet, which changed dates or numbers.",
            "It is a different export from the one expected, or from another region's format.",
            "The file is incomplete or was cut short while downloading.",
        ),
        steps=(
            "Download the export again from Seller Center without editing it.",
            "Check that it is the export type the analytics page asks for.",
            "Load it again; if it still fails, send the message (file, row, column) to whoever runs your "
            "linkkit.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "csv error",
            "export won't load",
            "bad file",
            "column missing",
            "can't read file",
        ),
        category="local",
    ),
    Entry(
        code="invalid_input",
        title="linkkit was given a value it cannot use",
        meaning=(
            "A program or notebook called linkkit with a value of the wrong kind, such as a link number below 1, a "
            "missing address, or a role other than Official or Marketing. Nothing was saved."
        ),
        causes=(
            "A notebook or script passed the wrong value.",
            "An address was edited by hand.",
        ),
        steps=(
            "Check the value the message names and call again with a correct one.",
            "If it happened on the dashboard, reload the page and try again.",
        ),
        retryable=False,
        needs_reauthorization=False,
        symptoms=(
            "invalid input",
            "wrong value",
            "bad number",
            "invalid role",
        ),
        category="local",
    ),
    Entry(
        code="registry_error",
        title="linkkit could not read or save its records",
        meaning=(
            "linkkit's own database, where it keeps links and their history, failed or holds inconsistent "
            "data. Nothing on TikTok was changed by this."
        ),
        causes=(
            "Another program is holding the database busy.",
            "The disk is full or the database file cannot be written.",
            "The database was edited or restored by hand.",
        ),
        steps=(
            "Try again in a moment.",
            "If it repeats, tell whoever runs your linkkit; they should check the disk space and the "
            "database.",
        ),
        retryable=True,
        needs_reauthorization=False,
        symptoms=(
            "database error",
            "database locked",
            "could not save",
            "records missing",
        ),
        category="local",
    ),
)

#: Each reason code's entry: exactly one per code in :data:`linkkit.errors.REASON_CODES`.
CATALOGUE: Mapping[str, Entry] = MappingProxyType({e.code: e for e in _ENTRIES})

if set(CATALOGUE) != REASON_CODES:  # tests/test_troubleshoot.py fails too; the UI must still start
    logging.getLogger(__name__).error(
        "troubleshoot catalogue out of step with REASON_CODES: missing %s, unknown %s",
        sorted(REASON_CODES - set(CATALOGUE)),
        sorted(set(CATALOGUE) - REASON_CODES),
    )


def entry(code: str | None) -> Entry:
    """Return the entry for a reason code.

    Args:
        code: A reason code, usually ``error.reason``.

    Returns:
        The code's entry, or the generic ``provider_error`` entry when the code is unknown or ``None``
        (this function never raises).
    """
    return CATALOGUE.get(code or "", CATALOGUE[GENERIC_CODE])


def explain(error: LinkkitError) -> Entry:
    """Return the troubleshooting entry for an error linkkit raised.

    Args:
        error: Any :class:`~linkkit.errors.LinkkitError`.

    Returns:
        The entry for ``error.reason`` (the generic entry if the reason is unknown).
    """
    return entry(getattr(error, "reason", None))


def needs_reauthorization(reason: str | None) -> bool:
    """Whether a failure with ``reason`` needs the seller to authorize the account again.

    Args:
        reason: A reason code (unknown codes and ``None`` give ``False``: the generic entry does not).

    Returns:
        The entry's :attr:`Entry.needs_reauthorization`.
    """
    return entry(reason).needs_reauthorization
