"""The wizard's HTML, rendered from Jinja2 templates with autoescape (``linkkit/ui/templates``).

Display names, shop names and messages are whatever a person or TikTok typed: the templates escape every value,
so no caller places ``esc()`` by hand.

Example:
    >>> 'aria-current="step"' in step_indicator_html(["current", "locked", "locked", "locked", "locked"])
    True
    >>> from types import SimpleNamespace as NS
    >>> "&lt;img" in account_html(NS(display_name="<img src=x>", username="x", avatar_url=""))
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from linkkit import guide
from linkkit.ui.components import render
from linkkit.ui.steps import Step

if TYPE_CHECKING:
    from linkkit.models import Shop, TikTokAccount

__all__ = [
    "SANDBOX_ACCOUNTS",
    "account_html",
    "avatar_url",
    "card_title_html",
    "header_html",
    "info_panel_html",
    "intro_html",
    "safe",
    "shop_label",
    "step_indicator_html",
]

_SELLER_TYPES = {"LOCAL": "Local seller", "CROSS_BORDER": "Cross-border seller"}

#: Demo logins the sandbox ships, so a newcomer can try every path without reading the docs.
SANDBOX_ACCOUNTS = (
    ("maple.official", "the Official account of Maple & Co"),
    ("maple.deals, maple.studio, maple.live, maple.unbox", "Marketing accounts"),
    ("jo.personal", "a personal account — refused, to see what happens"),
    ("london.creator", "a UK account — wrong region for a US shop"),
)


def safe(html: str) -> Markup:
    """Mark HTML that one of our own helpers built (already escaped) as safe to place in a template."""
    return Markup(html)  # noqa: S704 - only ever called on the output of an escaping helper


def shop_label(shop: Shop) -> str:
    """Plain text (widgets escape it): ``Maple & Co — US · Local seller``."""
    kind = _SELLER_TYPES.get(shop.seller_type, shop.seller_type)
    return f"{shop.name} — {shop.region} · {kind}"


def header_html(mode: str, shop: Shop | None, title: str = "Link your TikTok accounts") -> str:
    return render("header.html", mode=mode, shop=shop, title=title)


_STEP_CLASS = {"current": "lk-current", "done": "lk-done", "failed": "lk-current"}
_STEP_STATUS = {"done": "done", "current": "current step", "failed": "needs attention"}


def step_indicator_html(states: list[str]) -> str:
    items = [
        {"cls": _STEP_CLASS.get(state, ""), "mark": "✓" if state == "done" else str(step.value + 1),
         "current": state in ("current", "failed"), "title": step.title,
         "status": _STEP_STATUS.get(state, "not started")}
        for step, state in zip(Step, states, strict=True)
    ]
    return render("step_indicator.html", items=items)


def avatar_url(account: TikTokAccount, *, loopback_only: bool) -> str:
    """The avatar URL we may show ("" for none): loopback in sandbox mode, https otherwise."""
    url = getattr(account, "avatar_url", "") or ""
    allowed = url.startswith(("http://127.", "http://localhost")) if loopback_only else url.startswith("https://")
    return url if url and allowed else ""


def account_html(account: TikTokAccount, *, loopback_only: bool = True) -> str:
    """Avatar, display name and @username (display names are whatever the TikTok user typed)."""
    initial = (account.display_name or account.username or "?").strip()[:1].upper() or "?"
    return render("account.html", avatar_url=avatar_url(account, loopback_only=loopback_only), initial=initial,
                  display_name=account.display_name,
                  username=f"@{account.username}" if account.username else "username not shared")


def card_title_html(step: Step, *, done: bool) -> str:
    return render("card_title.html", number=step.value + 1, title=step.title, done=done)


def info_panel_html(text: str, *, busy: bool = False, tone: str = "info") -> str:
    """A status panel ("" when there is nothing to say); ``busy`` adds a spinner and a live region."""
    return render("panel.html", text=text, busy=busy, tone=tone) if text else ""


def intro_html(step: Step) -> str:
    return render("intro.html", text=guide.JOURNEY[step.value].explanation)
