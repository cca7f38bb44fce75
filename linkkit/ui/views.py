"""The linking wizard as widgets: a header, a step indicator and one card per step.

The view only renders :class:`~linkkit.ui.wizard.Wizard` state and forwards clicks to it; it keeps its
children private and never calls ``display()``. Every text that came from TikTok is escaped.

Example:
    >>> from linkkit.ui.views import step_indicator_html
    >>> 'aria-current="step"' in step_indicator_html(["current", "locked", "locked", "locked", "locked"])
    True
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import ipywidgets as W

from linkkit import guide
from linkkit.models import LinkStatus, Role
from linkkit.ui.components import (
    AuthorizeLink,
    FocusMover,
    LogView,
    PageUrl,
    ProblemView,
    badge,
    bullet_list,
    button,
    check_note_html,
    esc,
    html_block,
    set_html,
    status_badge,
    style_widget,
)
from linkkit.ui.errors import on_error
from linkkit.ui.wizard import Step, StepState, Wizard

__all__ = ["WizardView", "account_html", "header_html", "step_indicator_html"]

#: Wizard traits a done step's summary shows (a change re-renders the done cards too).
_SUMMARY_TRAITS = frozenset({"shop", "role", "replace", "repair_link_id", "link", "invitation", "verified", "busy"})

_SELLER_TYPES = {"LOCAL": "Local seller", "CROSS_BORDER": "Cross-border seller"}

#: Demo logins the sandbox ships, so a newcomer can try every path without reading the docs.
SANDBOX_ACCOUNTS = (
    ("maple.official", "the Official account of Maple & Co"),
    ("maple.deals, maple.studio, maple.live, maple.unbox", "Marketing accounts"),
    ("jo.personal", "a personal account — refused, to see what happens"),
    ("london.creator", "a UK account — wrong region for a US shop"),
)


def shop_label(shop: Any) -> str:
    """Plain text (widgets escape it): ``Maple & Co — US · Local seller``."""
    kind = _SELLER_TYPES.get(shop.seller_type, shop.seller_type)
    return f"{shop.name} — {shop.region} · {kind}"


def header_html(mode: str, shop: Any | None, title: str = "Link your TikTok accounts") -> str:
    mode_badge = (
        '<span class="lk-badge lk-badge-sandbox" title="Demo data from the local sandbox; nothing reaches '
        'TikTok">Sandbox</span>'
        if mode == "sandbox"
        else '<span class="lk-badge lk-badge-live" title="Connected to the real TikTok">Live</span>'
    )
    shop_part = (
        f'<span class="lk-shop-in-use">Shop: <strong>{esc(shop.name)}</strong> '
        f"({esc(shop.region)})</span>"
        if shop is not None
        else '<span class="lk-shop-in-use">No shop selected</span>'
    )
    return (
        '<header class="lk-header"><div class="lk-brand"><h1>linkkit</h1>'
        f'<span class="lk-sub">{esc(title)}</span></div>'
        f'<div class="lk-header-right">{shop_part}{mode_badge}</div></header>'
    )


def step_indicator_html(states: list[str]) -> str:
    items = []
    for step, state in zip(Step, states, strict=True):
        cls = {"current": "lk-current", "done": "lk-done", "failed": "lk-current"}.get(state, "")
        mark = "✓" if state == "done" else str(step.value + 1)
        current = ' aria-current="step"' if state in ("current", "failed") else ""
        status = {"done": "done", "current": "current step", "failed": "needs attention"}.get(state, "not started")
        items.append(
            f'<li class="{cls}"{current}><span class="lk-num" aria-hidden="true">{mark}</span>'
            f'<span class="lk-steplabel">{esc(step.title)}</span>'
            f'<span style="position:absolute;left:-9999px">({status})</span></li>'
        )
    return f'<nav aria-label="Progress"><ol class="lk-steps">{"".join(items)}</ol></nav>'


def avatar_html(account: Any, *, loopback_only: bool) -> str:
    url = getattr(account, "avatar_url", "") or ""
    allowed = url.startswith(("http://127.", "http://localhost")) if loopback_only else url.startswith("https://")
    if url and allowed:
        return f'<img class="lk-avatar" src="{esc(url)}" alt="" loading="lazy">'
    initial = (account.display_name or account.username or "?").strip()[:1].upper() or "?"
    return f'<span class="lk-avatar" aria-hidden="true">{esc(initial)}</span>'


def account_html(account: Any, *, loopback_only: bool = True) -> str:
    """Avatar, display name and @username (escaped — display names are whatever the TikTok user typed)."""
    username = f"@{account.username}" if account.username else "username not shared"
    return (
        f'<div class="lk-acct">{avatar_html(account, loopback_only=loopback_only)}<div class="lk-names">'
        f"<div><strong>{esc(account.display_name)}</strong></div>"
        f'<div class="lk-muted">{esc(username)}</div></div></div>'
    )


def _intro(step: Step) -> str:
    return f'<p class="lk-lead">{esc(guide.JOURNEY[step.value].explanation)}</p>'


# ---------------------------------------------------------------------------------------------- steps


class _StepBody:
    """A step's form: persistent widgets, refreshed from the wizard."""

    def __init__(self, wizard: Wizard) -> None:
        self.wizard = wizard
        self.reporter = wizard.reporter
        self.box = W.VBox()

    def refresh(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class ConnectBody(_StepBody):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(_intro(Step.CONNECT))
        self._shops_title = html_block("")
        self._shops = W.RadioButtons(options=[], value=None, description="", layout=W.Layout(width="auto"))
        self._shops.add_class("lk-shoplist")
        self._use = button("Use this shop", style="primary", disabled=True)
        self._use.on_click(self.on_use)
        self._shops.observe(self._on_pick, names="value")
        self._add_title = html_block("")
        self._authorize = AuthorizeLink(label="Authorize linkkit in Seller Center", disabled=True,
                                        hint="Opens TikTok Shop's authorization page in a new tab")
        self._authorize.observe(self._on_authorize_clicked, names="clicks")
        self._sync = button("Refresh the shop list")
        self._sync.on_click(self.on_sync)
        self._waiting = html_block("")
        self._waiting.layout.display = "none"
        self.box.children = [
            self._intro,
            self._shops_title,
            self._shops,
            W.HBox([self._use]),
            self._add_title,
            W.HBox([self._authorize, self._sync]),
            self._waiting,
        ]

    def refresh(self) -> None:
        wiz = self.wizard
        shops = list(wiz.shops)
        options = [(shop_label(s), s.id) for s in shops]
        if list(self._shops.options) != options:
            current = self._shops.value
            self._shops.options = options
            ids = [o[1] for o in options]
            fallback = wiz.shop.id if wiz.shop and wiz.shop.id in ids else None
            self._shops.value = current if current in ids else fallback
        self._shops.layout.display = "" if shops else "none"
        self._use.layout.display = "" if shops else "none"
        self._use.disabled = self._shops.value is None or bool(wiz.busy)
        if shops:
            self._shops_title.value = (
                "<h3>Your connected shops</h3><p class='lk-muted'>linkkit already has access to these shops. "
                "Pick one; there is no need to authorize it again.</p>"
            )
            self._add_title.value = (
                "<p class='lk-muted'>Shop missing? Authorize linkkit on it in Seller Center, then refresh.</p>"
            )
        else:
            self._shops_title.value = "<p><strong>No shop is connected yet.</strong></p>"
            self._add_title.value = (
                "<p>Start by letting linkkit read your shops: you sign in to Seller Center in a new tab and "
                "press Authorize. This page notices by itself when you are done.</p>"
            )
        href = wiz.authorize_href("shop")
        self._authorize.href = href
        self._authorize.disabled = not href
        self._authorize.label = "Authorize another shop" if shops else "Authorize linkkit in Seller Center"
        self._sync.disabled = bool(wiz.busy)

    def _on_pick(self, _change: Any) -> None:
        self._use.disabled = self._shops.value is None or bool(self.wizard.busy)

    @on_error("Opening the shop")
    def on_use(self, _button: Any) -> None:
        """Opening the shop."""
        if self._shops.value is not None:
            self.wizard.select_shop(self._shops.value)

    @on_error("Refreshing the shop list")
    def on_sync(self, _button: Any) -> None:
        """Refreshing the shop list."""
        self.wizard.sync_shops()

    def _on_authorize_clicked(self, _change: Any) -> None:
        self.wizard.went_to_tiktok("shop")
        self._waiting.layout.display = ""
        self._waiting.value = (
            '<p class="lk-panel lk-panel-info"><span class="lk-spinner" aria-hidden="true"></span>'
            "Finish in the Seller Center tab; this list updates by itself when you are done.</p>"
        )

    def summary(self) -> str:
        shop = self.wizard.shop
        return f"Shop: <strong>{esc(shop_label(shop))}</strong>" if shop else "No shop selected"


class ChooseBody(_StepBody):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(_intro(Step.CHOOSE))
        self._linked = html_block("")
        self._official_text = html_block("")
        self._confirm = W.Checkbox(value=False, description="", indent=False)
        self._confirm.observe(lambda _c: self.refresh(), names="value")
        self._official_btn = button("Link an Official account", style="primary")
        self._official_btn.on_click(self.on_official)
        self._official_box = W.VBox([self._official_text, self._confirm, self._official_btn])
        self._official_box.add_class("lk-choice")
        self._marketing_text = html_block("")
        self._marketing_btn = button("Link a Marketing account", style="primary")
        self._marketing_btn.on_click(self.on_marketing)
        self._marketing_box = W.VBox([self._marketing_text, self._marketing_btn])
        self._marketing_box.add_class("lk-choice")
        choices = W.Box([self._official_box, self._marketing_box])
        choices.add_class("lk-choices")
        self._rules = html_block("")
        self.box.children = [self._intro, self._linked, choices, self._rules]

    def refresh(self) -> None:
        wiz = self.wizard
        ov = wiz.overview
        if ov is None:
            return
        loopback = wiz.is_demo
        # what the shop has already
        rows = []
        if ov.official is not None:
            rows.append(
                f"<li><strong>Official:</strong> {esc(ov.official.account.display_name)} "
                f"<span class='lk-muted'>@{esc(ov.official.account.username)}</span> "
                f"{status_badge(ov.official.status)}</li>"
            )
        else:
            rows.append("<li><strong>Official:</strong> <span class='lk-muted'>none yet</span></li>")
        marketing = list(ov.marketing)
        names = ", ".join(
            f"{esc(m.account.display_name)} <span class='lk-muted'>@{esc(m.account.username)}</span>"
            for m in marketing
        )
        rows.append(
            f"<li><strong>Marketing:</strong> {len(marketing)} of {guide.MAX_MARKETING_ACCOUNTS}"
            + (f" — {names}" if names else "")
            + "</li>"
        )
        del loopback
        self._linked.value = (
            f"<h3>{esc(ov.shop.name)} has linked</h3><ul>{''.join(rows)}</ul>"
        )
        official = guide.ACCOUNT_TYPES["official"]
        marketing_type = guide.ACCOUNT_TYPES["marketing"]
        official_violations = wiz.violations_for(Role.OFFICIAL.value)
        marketing_violations = wiz.violations_for(Role.MARKETING.value)
        if ov.official is not None:
            old = ov.official.account
            self._official_text.value = (
                "<h3>Replace the Official account</h3>"
                f"<p>{esc(official.purpose)}</p>"
                f'<div class="lk-panel lk-panel-warn"><p><strong>What replacing means:</strong> '
                f"{esc(official.replacement)}</p><p>The current Official account is "
                f"<strong>{esc(old.display_name)}</strong> (@{esc(old.username)}).</p></div>"
                + self._violations_html(official_violations)
            )
            self._confirm.description = (
                f"I understand selling through @{old.username} stops until the new account is linked")
            self._confirm.layout.display = ""
            self._official_btn.description = "Replace the Official account"
            self._official_btn.button_style = "danger"
            self._official_btn.disabled = bool(official_violations) or not self._confirm.value or bool(wiz.busy)
        else:
            self._official_text.value = (
                "<h3>Official account</h3>"
                f"<p>{esc(official.purpose)}</p><p><strong>What changes for the shop</strong></p>"
                + bullet_list(official.shop_effects)
                + self._violations_html(official_violations)
            )
            self._confirm.layout.display = "none"
            self._official_btn.description = "Link an Official account"
            self._official_btn.button_style = "primary"
            self._official_btn.disabled = bool(official_violations) or bool(wiz.busy)
        self._marketing_text.value = (
            "<h3>Marketing account</h3>"
            f"<p>{esc(marketing_type.purpose)}</p><p><strong>What changes for the shop</strong></p>"
            + bullet_list(marketing_type.shop_effects)
            + self._violations_html(marketing_violations)
        )
        self._marketing_btn.disabled = bool(marketing_violations) or bool(wiz.busy)
        hits = {v.rule for v in official_violations + marketing_violations}
        self._rules.value = self._rules_html(hits)

    @staticmethod
    def _violations_html(violations: list[Any]) -> str:
        if not violations:
            return ""
        from linkkit import troubleshoot

        parts = []
        for v in violations:
            entry = troubleshoot.entry(v.reason)
            parts.append(
                f'<div class="lk-panel lk-panel-bad" role="note"><p><strong>Not available: '
                f"{esc(entry.title)}</strong></p><p>{esc(v.message)}</p>"
                + (f"<p><strong>What to do:</strong></p>{bullet_list(entry.steps, ordered=True)}"
                   if entry.steps else "")
                + f'<p class="lk-code lk-small">Reason code: {esc(v.reason)}</p></div>'
            )
        return "".join(parts)

    @staticmethod
    def _rules_html(hits: set[str]) -> str:
        from linkkit.rules import RULES

        items = []
        for rule in RULES:
            cls = ' class="lk-rule-hit"' if rule.id in hits else ""
            items.append(f"<li{cls}><strong>{esc(rule.title)}.</strong> {esc(rule.text)}</li>")
        return (
            '<div class="lk-rules"><h3>Seller Center rules that apply</h3>'
            "<p class='lk-muted lk-small'>linkkit checks these before you give any consent.</p>"
            f"<ul>{''.join(items)}</ul></div>"
        )

    @on_error("Choosing the Official account")
    def on_official(self, _button: Any) -> None:
        """Choosing the Official account."""
        self.wizard.choose(Role.OFFICIAL.value, replace_confirmed=self._confirm.value)

    @on_error("Choosing a Marketing account")
    def on_marketing(self, _button: Any) -> None:
        """Choosing a Marketing account."""
        self.wizard.choose(Role.MARKETING.value)

    def summary(self) -> str:
        wiz = self.wizard
        if not wiz.role:
            return "No link type chosen"
        if wiz.repair_link_id:
            return f"Repairing the {esc(Role(wiz.role).label)} account"
        if wiz.replace:
            return "Link type: <strong>Official</strong> — replacing the current Official account"
        return f"Link type: <strong>{esc(Role(wiz.role).label)}</strong>"


class AuthorizeBody(_StepBody):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(_intro(Step.AUTHORIZE))
        self._what = html_block("")
        self._scopes = html_block("")
        self._expected = W.Text(
            value="",
            placeholder="e.g. maple.official",
            description="TikTok username you will sign in with (optional)",
            style={"description_width": "initial"},
            continuous_update=False,
        )
        self._expected.observe(self._on_expected, names="value")
        self._authorize = AuthorizeLink(label="Authorize with TikTok", disabled=True,
                                        hint="Opens TikTok's permission page in a new tab")
        self._authorize.observe(self._on_clicked, names="clicks")
        self._waiting = html_block("")
        self._restart = button("Start over (new authorization)")
        self._restart.on_click(self.on_restart)
        self._demo = html_block("")
        self._paste_url = W.Text(
            value="", placeholder="http://127.0.0.1:8866/voila/render/01_link_accounts.ipynb?code=…",
            description="Address of the page TikTok sent you to", style={"description_width": "initial"},
        )
        self._paste_go = button("Continue with this address")
        self._paste_go.on_click(self.on_paste)
        paste_box = W.VBox([
            html_block(
                "<p>If TikTok sent you to a page that did not load (for example because this dashboard runs "
                "on another computer), copy the whole address from that tab's address bar and paste it here."
                "</p>"
            ),
            self._paste_url,
            self._paste_go,
        ])
        self._paste = W.Accordion(children=[paste_box])
        self._paste.set_title(0, "TikTok did not bring you back here?")
        self._paste.selected_index = None
        self.box.children = [
            self._intro, self._what, self._scopes, self._expected, self._demo,
            W.HBox([self._authorize]), self._waiting, W.HBox([self._restart]), self._paste,
        ]

    def refresh(self) -> None:
        wiz = self.wizard
        if not wiz.role or wiz.shop is None:
            return
        role = Role(wiz.role)
        from linkkit.rules import scopes_for

        article = "an" if role is Role.OFFICIAL else "a"
        doing = "Re-authorizing" if wiz.repair_link_id else ("Replacing the Official account of" if wiz.replace
                                                               else f"Linking {article} {role.label} account to")
        self._what.value = f"<p><strong>{esc(doing)} {esc(wiz.shop.name)}.</strong></p>"
        rows = []
        for need in scopes_for(role):
            kind = badge("Required", "info") if need.required else badge("Optional", "muted")
            rows.append(
                f"<tr><td>{kind}</td><td><strong>{esc(guide.describe_scope(need.scope))}</strong>"
                f"<div class='lk-muted lk-small'>Why: {esc(need.why)}</div></td>"
                f"<td><code>{esc(need.scope)}</code></td></tr>"
            )
        self._scopes.value = (
            "<h3>What linkkit asks TikTok for</h3><table class='lk-scopes'>"
            "<thead><tr><th></th><th>Permission</th><th>TikTok's name</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            "<p class='lk-muted lk-small'>Leave every required permission ticked on TikTok's page, or the link "
            "cannot be verified. linkkit never posts for you and never sees your password.</p>"
        )
        if wiz.is_demo:
            items = "".join(f"<li><code>{esc(u)}</code> — {esc(d)}</li>" for u, d in SANDBOX_ACCOUNTS)
            self._demo.value = (
                '<div class="lk-panel lk-panel-warn lk-small"><strong>Sandbox:</strong> TikTok\'s page is the '
                "local sandbox. Sign in with any demo account and the password <code>pass_good</code>:"
                f"<ul>{items}</ul></div>"
            )
        self._expected.value = wiz.expected_username
        href = wiz.authorize_href("login")
        self._authorize.href = href
        self._authorize.disabled = not href or bool(wiz.busy)
        self._authorize.label = "Authorize with TikTok" if href else "Preparing…"
        if wiz.waiting_since:
            minutes, seconds = divmod(int(wiz.elapsed), 60)
            self._waiting.value = (
                '<div class="lk-panel lk-panel-info" role="status"><span class="lk-spinner" aria-hidden="true">'
                f"</span><strong>Waiting for TikTok… {minutes}:{seconds:02d}</strong><br>"
                "Finish on the TikTok tab (sign in, keep the permissions ticked, press Authorize). This page "
                "moves on by itself.</div>"
            )
            self._restart.layout.display = ""
        elif wiz.timed_out:
            self._waiting.value = (
                '<div class="lk-panel lk-panel-warn" role="status">This authorization expired before TikTok '
                "sent you back. Press Authorize with TikTok again: it starts a fresh one.</div>"
            )
            self._restart.layout.display = ""
        else:
            self._waiting.value = ""
            self._restart.layout.display = "none"
        self._waiting.layout.display = "" if self._waiting.value else "none"
        self._paste_go.disabled = bool(wiz.busy)

    def _on_expected(self, change: Any) -> None:
        value = (change["new"] or "").strip().lstrip("@")
        if value != self.wizard.expected_username:
            self.wizard.expected_username = value
            self.wizard.mint_authorization()

    def _on_clicked(self, _change: Any) -> None:
        self.wizard.went_to_tiktok("login")

    @on_error("Starting a new authorization")
    def on_restart(self, _button: Any) -> None:
        """Starting a new authorization."""
        self.wizard.start_over_authorization()

    @on_error("Reading the address you pasted")
    def on_paste(self, _button: Any) -> None:
        """Reading the address you pasted."""
        url = self._paste_url.value
        self._paste_url.value = ""  # it holds a one-time code: do not keep it in the widget
        self.wizard.paste_callback(url)

    def summary(self) -> str:
        link = self.wizard.link
        if link is None:
            return "Not authorized yet"
        return (
            f"Authorized <strong>{esc(link.account.display_name)}</strong> "
            f"<span class='lk-muted'>@{esc(link.account.username)}</span> as {esc(link.role.label)}"
        )


class SellerCenterBody(_StepBody):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(_intro(Step.SELLER_CENTER))
        self._account = html_block("")
        self._steps = html_block("")
        self._deep = AuthorizeLink(label="Open Seller Center", kind="secondary",
                                   hint="Opens Seller Center's linked accounts page in a new tab")
        self._sandbox_text = html_block("")
        self._send = button("1 · Send the invitation (as the seller)")
        self._send.on_click(self.on_send)
        self._accept = button("2 · Accept it in the TikTok app")
        self._accept.on_click(self.on_accept)
        self._sandbox = W.VBox([self._sandbox_text, W.HBox([self._send, self._accept])])
        self._sandbox.add_class("lk-panel")
        self._sandbox.add_class("lk-panel-warn")
        self._verify = button("Verify the link", style="primary")
        self._verify.on_click(self.on_verify)
        self._confirm = button("Seller Center already shows it as linked")
        self._confirm.on_click(self.on_confirm)
        self.box.children = [
            self._intro, self._account, self._steps, W.HBox([self._deep]), self._sandbox,
            W.HBox([self._verify, self._confirm]),
        ]

    def refresh(self) -> None:
        wiz = self.wizard
        link = wiz.link
        if link is None:
            return
        self._account.value = (
            f"<p>Account to link as <strong>{esc(link.role.label)}</strong>:</p>"
            + account_html(link.account, loopback_only=wiz.is_demo)
        )
        self._steps.value = "<h3>In Seller Center</h3>" + bullet_list(wiz.seller_center_steps, ordered=True)
        self._deep.href = wiz.seller_center_url
        self._deep.layout.display = "" if wiz.seller_center_url else "none"
        sandbox = wiz.is_demo and getattr(getattr(wiz.service, "seller_center", None), "automated", False)
        self._sandbox.layout.display = "" if sandbox else "none"
        if sandbox:
            state = {
                "": "Nothing sent yet.",
                "sent": "Invitation sent. Now accept it as the TikTok user.",
                "accepted": "Invitation accepted. Verify the link.",
            }[wiz.invitation]
            self._sandbox_text.value = (
                "<p><strong>Sandbox Seller Center.</strong> These buttons do the clicks above in the emulated "
                f"Seller Center and TikTok app.</p><p role='status'>{esc(state)}</p>"
            )
            self._accept.description = f"2 · Accept it in the TikTok app (as @{link.account.username})"
            self._send.disabled = bool(wiz.busy) or wiz.invitation != ""
            self._accept.disabled = bool(wiz.busy) or wiz.invitation != "sent"
            self._send.button_style = "primary" if wiz.invitation == "" else ""
            self._accept.button_style = "primary" if wiz.invitation == "sent" else ""
        self._verify.disabled = bool(wiz.busy)
        self._confirm.disabled = bool(wiz.busy)
        self._verify.button_style = "primary" if (not sandbox or wiz.invitation == "accepted") else ""

    @on_error("Sending the invitation")
    def on_send(self, _button: Any) -> None:
        """Sending the invitation."""
        self.wizard.send_invitation()

    @on_error("Accepting the invitation")
    def on_accept(self, _button: Any) -> None:
        """Accepting the invitation."""
        self.wizard.accept_invitation()

    @on_error("Checking the link")
    def on_verify(self, _button: Any) -> None:
        """Checking the link."""
        self.wizard.verify()

    @on_error("Recording your confirmation")
    def on_confirm(self, _button: Any) -> None:
        """Recording your confirmation."""
        self.wizard.confirm_and_verify()

    def summary(self) -> str:
        wiz = self.wizard
        if wiz.invitation == "accepted":
            return "Invitation sent and accepted in Seller Center"
        return "Seller Center step done"


class VerifyBody(_StepBody):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._result = html_block("")
        self._retry = button("Check again", style="primary")
        self._retry.on_click(self.on_retry)
        self._repair = button("Authorize again")
        self._repair.on_click(self.on_repair)
        self._another = button("Link another account", style="primary")
        self._another.on_click(self.on_another)
        self._panel_link = html_block("")
        self.box.children = [self._result, W.HBox([self._retry, self._repair, self._another]), self._panel_link]

    def refresh(self) -> None:
        from linkkit import troubleshoot
        from linkkit.ui.components import problem_html
        from linkkit.ui.errors import Problem

        wiz = self.wizard
        link = wiz.verified
        if link is None:
            self._result.value = "<p class='lk-muted'>Not checked yet.</p>"
            for b in (self._retry, self._repair, self._another):
                b.layout.display = "none"
            return
        note = check_note_html(link)
        if note and link.status is not LinkStatus.CONNECTED:  # TikTok could not be asked: no verdict
            previous = "".join(
                f"<li>{esc(check.name.label)}: {'passed' if check.ok else 'failed'}</li>" for check in link.checks)
            self._result.value = (
                f'<div class="lk-panel lk-panel-warn" role="status"><p>{status_badge(link.status)} '
                f"<strong>Couldn't check</strong></p>{note}<p>TikTok did not answer, so the link keeps its "
                "status; nothing about it changed. Try again in a few minutes.</p>"
                + (f"<p class='lk-small lk-muted'>The check before:</p><ul class='lk-small'>{previous}</ul>"
                   if previous else "")
                + "</div>"
            )
            self._retry.layout.display = ""
            self._retry.disabled = bool(wiz.busy)
            self._repair.layout.display = "none"
            self._another.layout.display = "none"
            self._panel_link.value = ""
            return
        items = []
        for check in link.checks:
            mark = '<span class="lk-tick" aria-label="passed">✓</span>' if check.ok else (
                '<span class="lk-cross" aria-label="failed">✗</span>')
            detail = f" <span class='lk-muted lk-small'>— {esc(check.detail)}</span>" if check.detail else ""
            items.append(f"<li>{mark}<span>{esc(check.name.label)}{detail}</span></li>")
        checks = f"<ul class='lk-checks'>{''.join(items)}</ul>"
        evidence = {
            "shop_analytics": "Seller Center's binding was seen in the shop's own data.",
            "seller_center": "Seller Center reports the account as linked.",
        }.get(link.binding_evidence or "", "")
        who = account_html(link.account, loopback_only=wiz.is_demo)
        if link.status is LinkStatus.CONNECTED:
            self._result.value = (
                f'<div class="lk-panel lk-panel-ok" role="status"><div class="lk-connected">Connected</div>'
                f"{who}<p>{esc(link.account.display_name)} is the shop's {esc(link.role.label)} account.</p>"
                f"{note}{checks}<p class='lk-small lk-muted'>{esc(evidence)}</p></div>"
            )
            self._retry.layout.display = "none"
            self._repair.layout.display = "none"
            self._another.layout.display = ""
            base = wiz.settings.public_url.rstrip("/")
            self._panel_link.value = (
                f'<p><a href="{esc(base)}/voila/render/02_linked_accounts.ipynb" target="_blank" rel="noopener">'
                "See all linked accounts</a></p>"
            )
            return
        if link.status is LinkStatus.AWAITING_EVIDENCE:  # a claim is not evidence: amber, never Connected
            failing = link.failing_check
            self._result.value = (
                f'<div class="lk-panel lk-panel-warn" role="status"><p>{status_badge(link.status)} '
                f"<strong>Awaiting evidence</strong></p>{who}"
                f"<p>{esc(failing.detail if failing else '')}</p>{checks}</div>"
            )
            self._retry.layout.display = ""
            self._repair.layout.display = "none"
            self._another.layout.display = "none"
            self._panel_link.value = ""
            self._retry.disabled = bool(wiz.busy)
            return
        failing = link.failing_check
        entry = troubleshoot.entry(failing.reason if failing else None)
        problem = Problem(
            code=entry.code, title=entry.title, message=(failing.detail if failing else ""),
            meaning=entry.meaning, causes=entry.causes, steps=entry.steps, retryable=entry.retryable,
        )
        label = failing.name.label if failing else "A check"
        self._result.value = (
            f'<div class="lk-panel lk-panel-bad"><p>{status_badge(link.status)} '
            f"<strong>Failing check: {esc(label)}</strong></p>{checks}{problem_html(problem)}</div>"
        )
        self._retry.layout.display = "" if entry.retryable else "none"
        reauth = failing is not None and troubleshoot.needs_reauthorization(failing.reason)
        self._repair.layout.display = "" if reauth else "none"
        self._another.layout.display = "none"
        self._panel_link.value = ""
        self._retry.disabled = bool(wiz.busy)

    @on_error("Checking the link again")
    def on_retry(self, _button: Any) -> None:
        """Checking the link again."""
        self.wizard.verify()

    @on_error("Authorizing the same account again")
    def on_repair(self, _button: Any) -> None:
        """Authorizing the same account again."""
        self.wizard.repair()

    @on_error("Starting a new link")
    def on_another(self, _button: Any) -> None:
        """Starting a new link."""
        self.wizard.start_over(keep_shop=True)

    def summary(self) -> str:
        link = self.wizard.verified
        return status_badge(link.status) if link is not None else "Not checked yet"


# ---------------------------------------------------------------------------------------------- the wizard


class _Card:
    def __init__(self, step: Step, body: _StepBody, view: WizardView) -> None:
        self.step = step
        self.body = body
        self.title = html_block("")
        self.title.add_class("lk-card-title")
        self.summary = html_block("")
        self.change = button("Change", tooltip=f"Go back to {step.title}")
        self.change.on_click(lambda _b: view.on_change(step))
        self.summary_row = W.HBox([self.summary, self.change])
        self.summary_row.add_class("lk-row")
        self.box = W.VBox([self.title])
        self.box.add_class("lk-card")


class WizardView(W.VBox):
    """The onboarding wizard. Display it; drive it through its :class:`Wizard`."""

    def __init__(self, wizard: Wizard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("lk-app")
        self.wizard = wizard
        self.reporter = wizard.reporter
        self._lock = threading.RLock()
        self.page_url = PageUrl()
        self._focus = FocusMover()
        self._shown_step: Step | None = None
        self._header = html_block("")
        self._indicator = html_block("")
        self._notice = html_block("")
        self._busy = html_block("")
        self._problem = ProblemView(self.reporter)
        self._log = LogView(self.reporter)
        self._back = button("← Back")
        self._back.on_click(self.on_back)
        self._next = button("Next →")
        self._next.on_click(self.on_next)
        self._restart = button("Start over")
        self._restart.on_click(self.on_start_over)
        self._nav = W.HBox([self._back, self._restart, self._next])
        self._nav.add_class("lk-nav")
        self._bodies: dict[Step, _StepBody] = {
            Step.CONNECT: ConnectBody(wizard),
            Step.CHOOSE: ChooseBody(wizard),
            Step.AUTHORIZE: AuthorizeBody(wizard),
            Step.SELLER_CENTER: SellerCenterBody(wizard),
            Step.VERIFY: VerifyBody(wizard),
        }
        self._cards = {step: _Card(step, body, self) for step, body in self._bodies.items()}
        self.children = [
            style_widget(), self.page_url, self._focus, self._header, self._indicator, self._notice, self._busy,
            *(card.box for card in self._cards.values()), self._log,
        ]
        #: How many times each card was rendered (tests count them; a render is cheap but not free).
        self.renders: Counter[Step] = Counter()
        self._dirty: set[Step] = set(Step)  # cards to render at the next flush
        self._held = threading.local()  # per thread: cards marked inside the wizard's batch, not yet flushed
        for model in wizard.steps.values():
            model.observe(self._on_state, names=["state"])
        wizard.observe(self._on_change)
        self.reporter.observe(self._refresh_busy, names="problem")
        self._flush()

    def _refresh_busy(self, _change: object = None) -> None:
        busy = self.wizard.busy
        set_html(self._busy, (
            f'<div class="lk-panel lk-panel-info" role="status" aria-live="polite"><span class="lk-spinner" '
            f'aria-hidden="true"></span>{esc(busy)}</div>'
            if busy
            else ""
        ))

    def _on_state(self, change: dict[str, Any]) -> None:
        """One step's state changed: that card (only) needs rendering."""
        self._mark({change["owner"].step})

    def _on_change(self, change: dict[str, Any]) -> None:
        """Wizard data changed: the open card needs rendering, and the summaries that show this datum."""
        name = change["name"]
        if name == "settled":  # this thread's batch ended: its cards join the next flush
            self._mark(self._take_held())
            return
        wiz = self.wizard
        dirty = {s for s in Step if wiz.state_of(s) in (StepState.CURRENT, StepState.FAILED)}
        if name in _SUMMARY_TRAITS:
            dirty |= {s for s in Step if wiz.state_of(s) is StepState.DONE}
        self._mark(dirty)

    def _take_held(self) -> set[Step]:
        held: set[Step] = getattr(self._held, "steps", set())
        self._held.steps = set()
        return held

    def _mark(self, steps: set[Step]) -> None:
        if self.wizard.batching:  # held until this thread's batch ends, so other threads do not render it early
            self._held.steps = getattr(self._held, "steps", set()) | steps
            return
        with self._lock:
            self._dirty |= steps
        self._flush()

    def _flush(self) -> None:
        """Render what changed since the last flush, unless a batch of changes is still under way."""
        with self._lock:
            wiz = self.wizard
            dirty, self._dirty = self._dirty, set()
            with self.hold_sync():
                self._header.value = header_html(wiz.settings.mode, wiz.shop)
                self._indicator.value = step_indicator_html(wiz.states)
                set_html(self._notice, f'<div class="lk-panel lk-panel-info" role="status">{esc(wiz.notice)}</div>'
                         if wiz.notice else "")
                self._refresh_busy()
                for step in sorted(dirty):
                    self._render_card(step)
                self._refresh_nav()
            if self._shown_step is not None and self._shown_step != wiz.step:
                self._focus.focus(f"#lk-step-{wiz.step.value + 1}")
            self._shown_step = wiz.step

    def _refresh_nav(self) -> None:
        wiz = self.wizard
        step = wiz.step
        self._back.disabled = not wiz.can_go_back()
        self._next.disabled = not wiz.can_go_next()
        self._next.layout.display = "" if wiz.can_go_next() else "none"
        self._back.layout.display = "" if step > Step.CONNECT else "none"
        self._restart.layout.display = "" if step > Step.CONNECT else "none"
        self._nav.layout.display = "" if (step > Step.CONNECT or wiz.can_go_next()) else "none"

    def _render_card(self, step: Step) -> None:
        wiz = self.wizard
        card = self._cards[step]
        self.renders[step] += 1
        state = wiz.state_of(step)
        with card.box.hold_sync(), card.title.hold_sync():
            number = f'<span class="lk-stepno">Step {step.value + 1} of 5</span>'
            mark = ' <span class="lk-badge lk-badge-ok">Done</span>' if state is StepState.DONE else ""
            card.title.value = (f'<h2 id="lk-step-{step.value + 1}" tabindex="-1">{number}{esc(step.title)}'
                                f"{mark}</h2>")
            for cls in ("lk-card-current", "lk-card-locked"):
                card.box.remove_class(cls)
            children: tuple[W.Widget, ...]
            if state in (StepState.CURRENT, StepState.FAILED):
                card.box.add_class("lk-card-current")
                card.body.refresh()
                # the problem shows inside the current step, where the seller is looking
                children = (card.title, card.body.box, self._problem, self._nav)
            elif state is StepState.DONE:
                card.summary.value = card.body.summary()
                card.change.disabled = bool(wiz.busy)
                children = (card.title, card.summary_row)
            else:
                card.box.add_class("lk-card-locked")
                children = (card.title,)
            if card.box.children != children:
                card.box.children = children

    @on_error("Going back")
    def on_back(self, _button: Any) -> None:
        """Going back."""
        self.wizard.back()

    @on_error("Going forward")
    def on_next(self, _button: Any) -> None:
        """Going forward."""
        self.wizard.next()

    @on_error("Starting over")
    def on_start_over(self, _button: Any) -> None:
        """Starting over."""
        self.wizard.start_over()

    @on_error("Going back to an earlier step")
    def on_change(self, step: Step) -> None:
        """Going back to an earlier step."""
        while self.wizard.step > step and self.wizard.can_go_back():
            self.wizard.back()

    def clean_url(self) -> None:
        """Drop the callback's ``?code=…`` from the address bar."""
        self.page_url.clean = True
