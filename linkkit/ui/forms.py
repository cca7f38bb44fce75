"""The forms of the wizard's first three steps: connect Seller Center, choose the link type, authorize.

Each form holds persistent widgets and re-reads the :class:`~linkkit.ui.wizard.Wizard` in ``refresh()``; the
wizard view (:mod:`linkkit.ui.views`) decides when. Clicks go to the wizard through ``on_error``. The last two
steps' forms are in :mod:`linkkit.ui.forms_finish`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import ipywidgets as W
from markupsafe import Markup

from linkkit import guide
from linkkit.models import Role
from linkkit.ui.components import AuthorizeLink, button, html_block, render, status_badge
from linkkit.ui.errors import on_error
from linkkit.ui.markup import SANDBOX_ACCOUNTS, intro_html, shop_label
from linkkit.ui.steps import Step
from linkkit.ui.wizard import Wizard

if TYPE_CHECKING:
    from linkkit.rules import Violation

__all__ = ["AuthorizeBody", "ChooseBody", "ConnectBody", "StepForm"]


class StepForm:
    """A step's form: persistent widgets, refreshed from the wizard."""

    def __init__(self, wizard: Wizard) -> None:
        self.wizard = wizard
        self.reporter = wizard.reporter
        self.box = W.VBox()

    def refresh(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class ConnectBody(StepForm):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(intro_html(Step.CONNECT))
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

    def _on_pick(self, _change: object) -> None:
        self._use.disabled = self._shops.value is None or bool(self.wizard.busy)

    @on_error("Opening the shop")
    def on_use(self, _button: W.Button) -> None:
        """Opening the shop."""
        if self._shops.value is not None:
            self.wizard.select_shop(self._shops.value)

    @on_error("Refreshing the shop list")
    def on_sync(self, _button: W.Button) -> None:
        """Refreshing the shop list."""
        self.wizard.sync_shops()

    def _on_authorize_clicked(self, _change: object) -> None:
        self.wizard.went_to_tiktok("shop")
        self._waiting.layout.display = ""
        self._waiting.value = (
            '<p class="lk-panel lk-panel-info"><span class="lk-spinner" aria-hidden="true"></span>'
            "Finish in the Seller Center tab; this list updates by itself when you are done.</p>"
        )

    def summary(self) -> str:
        shop = self.wizard.shop
        return str(Markup("Shop: <strong>{}</strong>").format(shop_label(shop))) if shop else "No shop selected"


class ChooseBody(StepForm):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(intro_html(Step.CHOOSE))
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
        self._linked.value = render("choose_linked.html", shop_name=ov.shop.name, official=ov.official,
                                    official_badge=Markup(status_badge(ov.official.status)) if ov.official else "",  # noqa: S704
                                    marketing=list(ov.marketing), max_marketing=guide.MAX_MARKETING_ACCOUNTS)
        official = guide.ACCOUNT_TYPES["official"]
        marketing_type = guide.ACCOUNT_TYPES["marketing"]
        official_violations = wiz.violations_for(Role.OFFICIAL.value)
        marketing_violations = wiz.violations_for(Role.MARKETING.value)
        old = ov.official.account if ov.official is not None else None
        self._official_text.value = render("choose_type.html", title="Official account", kind=official, old=old,
                                           violations=self._violations(official_violations))
        if old is not None:
            self._confirm.description = (
                f"I understand selling through @{old.username} stops until the new account is linked")
            self._confirm.layout.display = ""
            self._official_btn.description = "Replace the Official account"
            self._official_btn.button_style = "danger"
            self._official_btn.disabled = bool(official_violations) or not self._confirm.value or bool(wiz.busy)
        else:
            self._confirm.layout.display = "none"
            self._official_btn.description = "Link an Official account"
            self._official_btn.button_style = "primary"
            self._official_btn.disabled = bool(official_violations) or bool(wiz.busy)
        self._marketing_text.value = render("choose_type.html", title="Marketing account", kind=marketing_type,
                                            old=None, violations=self._violations(marketing_violations))
        self._marketing_btn.disabled = bool(marketing_violations) or bool(wiz.busy)
        hits = {v.rule for v in official_violations + marketing_violations}
        self._rules.value = self._rules_html(hits)

    @staticmethod
    def _violations(violations: list[Violation]) -> list[dict[str, object]]:
        """What ``choose_type.html`` shows of each refusal: its troubleshooting title and steps, the reason code."""
        from linkkit import troubleshoot

        return [{"title": troubleshoot.entry(v.reason).title, "message": v.message,
                 "steps": troubleshoot.entry(v.reason).steps, "reason": v.reason} for v in violations]

    @staticmethod
    def _rules_html(hits: set[str]) -> str:
        from linkkit.rules import RULES

        return render("rules.html", rules=RULES, hits=hits)

    @on_error("Choosing the Official account")
    def on_official(self, _button: W.Button) -> None:
        """Choosing the Official account."""
        self.wizard.choose(Role.OFFICIAL.value, replace_confirmed=self._confirm.value)

    @on_error("Choosing a Marketing account")
    def on_marketing(self, _button: W.Button) -> None:
        """Choosing a Marketing account."""
        self.wizard.choose(Role.MARKETING.value)

    def summary(self) -> str:
        wiz = self.wizard
        if not wiz.role:
            return "No link type chosen"
        if wiz.repair_link_id:
            return str(Markup("Repairing the {} account").format(Role(wiz.role).label))
        if wiz.replace:
            return "Link type: <strong>Official</strong> — replacing the current Official account"
        return str(Markup("Link type: <strong>{}</strong>").format(Role(wiz.role).label))


class AuthorizeBody(StepForm):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(intro_html(Step.AUTHORIZE))
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
        self._what.value = render("authorize_what.html", doing=doing, shop_name=wiz.shop.name)
        needs = [{"required": need.required, "described": guide.describe_scope(need.scope), "why": need.why,
                  "scope": need.scope} for need in scopes_for(role)]
        self._scopes.value = render("scopes.html", needs=needs)
        if wiz.is_demo:
            self._demo.value = render("demo_accounts.html", accounts=SANDBOX_ACCOUNTS)
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

    def _on_expected(self, change: Mapping[str, object]) -> None:
        value = str(change["new"] or "").strip().lstrip("@")
        if value != self.wizard.expected_username:
            self.wizard.expected_username = value
            self.wizard.mint_authorization()

    def _on_clicked(self, _change: object) -> None:
        self.wizard.went_to_tiktok("login")

    @on_error("Starting a new authorization")
    def on_restart(self, _button: W.Button) -> None:
        """Starting a new authorization."""
        self.wizard.start_over_authorization()

    @on_error("Reading the address you pasted")
    def on_paste(self, _button: W.Button) -> None:
        """Reading the address you pasted."""
        url = self._paste_url.value
        self._paste_url.value = ""  # it holds a one-time code: do not keep it in the widget
        self.wizard.paste_callback(url)

    def summary(self) -> str:
        link = self.wizard.link
        if link is None:
            return "Not authorized yet"
        return str(Markup("Authorized <strong>{}</strong> <span class='lk-muted'>@{}</span> as {}").format(
            link.account.display_name, link.account.username, link.role.label))
