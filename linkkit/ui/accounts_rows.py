"""Pieces of the linked-accounts page (:mod:`linkkit.ui.accounts`): a link's row, the event history and the
Troubleshooter's answers, their HTML from autoescaped Jinja2 templates (``linkkit/ui/templates``).

Example:
    >>> "unlinked" in EVENT_KINDS
    True
    >>> trouble_html("consent_denied", "")[0].count('class="lk-problem"')
    1
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import ipywidgets as W
from markupsafe import Markup

from linkkit import troubleshoot
from linkkit.models import Link, LinkEvent, LinkStatus, Role
from linkkit.ui.components import (
    AuthorizeLink,
    button,
    check_note_html,
    expiry_text,
    format_time,
    html_block,
    relative_time,
    render,
    status_badge,
)
from linkkit.ui.errors import Problem
from linkkit.ui.markup import account_html

if TYPE_CHECKING:
    from linkkit.ui.accounts import AccountsPanel, AccountsView

__all__ = ["EVENT_KINDS", "LinkRow", "events_html", "symptom_options", "trouble_html"]

#: Event kinds the history filter offers, with the words shown for them.
EVENT_KINDS: dict[str, str] = {
    "shop_connected": "Shop connected",
    "authorization_started": "Authorization started",
    "authorized": "Authorized on TikTok",
    "authorization_failed": "Authorization failed",
    "invitation_sent": "Invitation sent",
    "invitation_accepted": "Invitation accepted",
    "binding_confirmed": "Seller says it is linked (awaiting evidence)",
    "linked": "Linked",
    "verified": "Verified",
    "check_failed": "Check failed",
    "check_unavailable": "Could not check (TikTok unavailable)",
    "refreshed": "Token refreshed",
    "repaired": "Repaired",
    "replaced": "Replaced",
    "unlinked": "Unlinked",
    "found_in_seller_center": "Found in Seller Center",
}


def _cell(label: str, text: str, *, title: str | None = None, cls: str | None = None) -> str:
    return render("cell.html", label=label, text=text, title=title, cls=cls)


class LinkRow:
    """One link in the accounts table: its cells and its Verify / Repair / Unlink / Replace actions."""

    def __init__(self, view: AccountsView) -> None:
        self.view = view
        self.link_id = 0
        self.account = html_block("")
        self.role = html_block("")
        self.status = html_block("")
        self.verified = html_block("")
        self.expiry = html_block("")
        self.verify = button("Verify now")
        self.repair = button("Repair")
        self.unlink = button("Unlink", style="")
        self.replace = AuthorizeLink(label="Replace", kind="secondary",
                                     hint="Opens the wizard to replace the Official account")
        self.verify.on_click(lambda _b: view.on_verify(self.link_id))
        self.repair.on_click(lambda _b: view.on_repair(self.link_id))
        self.unlink.on_click(lambda _b: view.on_unlink(self.link_id))
        self.actions = W.HBox([self.verify, self.repair, self.unlink, self.replace])
        self.actions.add_class("lk-actions")
        self.box = W.HBox([self.account, self.role, self.status, self.verified, self.expiry, self.actions])
        self.box.add_class("lk-trow")

    def show(self, link: Link, panel: AccountsPanel) -> None:
        self.link_id = link.id
        name = link.account.username or link.account.display_name
        self.account.value = account_html(link.account,
                                          loopback_only=getattr(panel.service, "sandbox", None) is not None)
        self.role.value = _cell("Role", link.role.label)
        self.status.value = _cell("Status", Markup(status_badge(link.status) + check_note_html(link)))  # noqa: S704
        self.verified.value = _cell("Last verified", relative_time(link.last_verified_at, panel.service.now()),
                                    title=format_time(link.last_verified_at))
        text, cls = expiry_text(link.token_expires_at, panel.service.now())
        self.expiry.value = _cell("Token", text, title=format_time(link.token_expires_at), cls=cls)
        active = link.active
        busy = bool(panel.busy)
        for btn, what in ((self.verify, "Verify"), (self.repair, "Repair"), (self.unlink, "Unlink")):
            btn.disabled = busy or not active
            btn.tooltip = f"{what} @{name}"
            btn.layout.display = "" if active else "none"
        found = link.status is LinkStatus.FOUND_IN_SELLER_CENTER  # linked in Seller Center, not authorized here
        if found:  # nothing of linkkit's to check until it is authorized here: Authorize is the way on
            self.verify.layout.display = "none"
        self.repair.description = "Authorize" if found else "Repair"
        self.repair.tooltip = (f"Authorize @{name} in linkkit (it is linked in Seller Center)" if found else
                               f"Authorize @{name} again, keeping this link's record and history")
        is_official = link.role is Role.OFFICIAL and active
        self.replace.layout.display = "" if is_official else "none"
        self.replace.href = panel.wizard_url(shop_id=link.shop_id, role="official") if is_official else ""


def events_html(events: Iterable[LinkEvent]) -> str:
    """The event history table (``history.html``)."""
    rows = [{
        "when": format_time(e.at),
        "kind": EVENT_KINDS.get(e.kind, e.kind.replace("_", " ").capitalize()),
        "tone": "bad" if e.kind in ("check_failed", "authorization_failed") else (
            "ok" if e.kind in ("verified", "linked") else "muted"),
        "who": f"@{e.username}" if e.username else "",
        "role": e.role.capitalize() if e.role else "",
        "detail": e.detail,
        "actor": e.actor,
    } for e in events]
    if not rows:
        return "<p class='lk-muted'>No events match.</p>"
    return render("history.html", events=rows)


def symptom_options() -> list[tuple[str, str]]:
    """The Troubleshooter's "What happened?" choices: every catalogue entry, by title."""
    return sorted((f"{entry.title} ({entry.code})", entry.code) for entry in troubleshoot.CATALOGUE.values())


def trouble_html(code: str, text: str) -> tuple[str, str]:
    """The Troubleshooter's answer to a picked ``code`` or typed ``text``: (matching entries, questions)."""
    entries = [troubleshoot.entry(code)] if code else (troubleshoot.search(text)[:3] if text else [])
    problems = [Problem(code=entry.code, title=entry.title, message="", meaning=entry.meaning, causes=entry.causes,
                        steps=entry.steps, retryable=entry.retryable) for entry in entries]
    entries_html = render("trouble.html", problems=problems, no_match=bool(text and not entries))
    faq = troubleshoot.search_faq(text) if text else list(troubleshoot.FAQ)
    return entries_html, render("faq.html", faq=faq)
