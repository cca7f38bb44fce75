"""The forms of the wizard's last two steps: finish in Seller Center, verify.

See :mod:`linkkit.ui.forms` for the first three and the :class:`StepForm` they share.
"""

from __future__ import annotations

import ipywidgets as W
from markupsafe import Markup

from linkkit.models import LinkStatus
from linkkit.ui.components import (
    AuthorizeLink,
    bullet_list,
    button,
    check_note_html,
    html_block,
    render,
    status_badge,
)
from linkkit.ui.errors import on_error
from linkkit.ui.forms import StepForm
from linkkit.ui.markup import account_html, intro_html, safe
from linkkit.ui.steps import Step
from linkkit.ui.wizard import Wizard

__all__ = ["SellerCenterBody", "VerifyBody"]


class SellerCenterBody(StepForm):
    def __init__(self, wizard: Wizard) -> None:
        super().__init__(wizard)
        self._intro = html_block(intro_html(Step.SELLER_CENTER))
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
            str(Markup("<p>Account to link as <strong>{}</strong>:</p>").format(link.role.label)
                + safe(account_html(link.account, loopback_only=wiz.is_demo)))
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
            self._sandbox_text.value = str(Markup(
                "<p><strong>Sandbox Seller Center.</strong> These buttons do the clicks above in the emulated "
                "Seller Center and TikTok app.</p><p role='status'>{}</p>"
            ).format(state))
            self._accept.description = f"2 · Accept it in the TikTok app (as @{link.account.username})"
            self._send.disabled = bool(wiz.busy) or wiz.invitation != ""
            self._accept.disabled = bool(wiz.busy) or wiz.invitation != "sent"
            self._send.button_style = "primary" if wiz.invitation == "" else ""
            self._accept.button_style = "primary" if wiz.invitation == "sent" else ""
        self._verify.disabled = bool(wiz.busy)
        self._confirm.disabled = bool(wiz.busy)
        self._verify.button_style = "primary" if (not sandbox or wiz.invitation == "accepted") else ""

    @on_error("Sending the invitation")
    def on_send(self, _button: W.Button) -> None:
        """Sending the invitation."""
        self.wizard.send_invitation()

    @on_error("Accepting the invitation")
    def on_accept(self, _button: W.Button) -> None:
        """Accepting the invitation."""
        self.wizard.accept_invitation()

    @on_error("Checking the link")
    def on_verify(self, _button: W.Button) -> None:
        """Checking the link."""
        self.wizard.verify()

    @on_error("Recording your confirmation")
    def on_confirm(self, _button: W.Button) -> None:
        """Recording your confirmation."""
        self.wizard.confirm_and_verify()

    def summary(self) -> str:
        wiz = self.wizard
        if wiz.invitation == "accepted":
            return "Invitation sent and accepted in Seller Center"
        return "Seller Center step done"


class VerifyBody(StepForm):
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
        from linkkit.ui.errors import Problem

        wiz = self.wizard
        link = wiz.verified
        if link is None:
            self._result.value = "<p class='lk-muted'>Not checked yet.</p>"
            for b in (self._retry, self._repair, self._another):
                b.layout.display = "none"
            return
        note = safe(check_note_html(link))
        badge = safe(status_badge(link.status))
        if note and link.status is not LinkStatus.CONNECTED:  # TikTok could not be asked: no verdict
            self._result.value = render("verify_result.html", kind="unchecked", link=link, badge=badge, note=note)
            self._retry.layout.display = ""
            self._retry.disabled = bool(wiz.busy)
            self._repair.layout.display = "none"
            self._another.layout.display = "none"
            self._panel_link.value = ""
            return
        evidence = {
            "shop_analytics": "Seller Center's binding was seen in the shop's own data.",
            "seller_center": "Seller Center reports the account as linked.",
        }.get(link.binding_evidence or "", "")
        who = safe(account_html(link.account, loopback_only=wiz.is_demo))
        if link.status is LinkStatus.CONNECTED:
            self._result.value = render("verify_result.html", kind="connected", link=link, who=who, note=note,
                                        evidence=evidence)
            self._retry.layout.display = "none"
            self._repair.layout.display = "none"
            self._another.layout.display = ""
            self._panel_link.value = render("panel_link.html", base=wiz.settings.public_url.rstrip("/"))
            return
        if link.status is LinkStatus.AWAITING_EVIDENCE:  # a claim is not evidence: amber, never Connected
            failing = link.failing_check
            self._result.value = render("verify_result.html", kind="awaiting", link=link, badge=badge, who=who,
                                        detail=failing.detail if failing else "",
                                        waiting=failing.name if failing else None)
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
        self._result.value = render("verify_result.html", kind="failing", link=link, badge=badge, p=problem,
                                    label=failing.name.label if failing else "A check")
        self._retry.layout.display = "" if entry.retryable else "none"
        reauth = failing is not None and troubleshoot.needs_reauthorization(failing.reason)
        self._repair.layout.display = "" if reauth else "none"
        self._another.layout.display = "none"
        self._panel_link.value = ""
        self._retry.disabled = bool(wiz.busy)

    @on_error("Checking the link again")
    def on_retry(self, _button: W.Button) -> None:
        """Checking the link again."""
        self.wizard.verify()

    @on_error("Authorizing the same account again")
    def on_repair(self, _button: W.Button) -> None:
        """Authorizing the same account again."""
        self.wizard.repair()

    @on_error("Starting a new link")
    def on_another(self, _button: W.Button) -> None:
        """Starting a new link."""
        self.wizard.start_over(keep_shop=True)

    def summary(self) -> str:
        link = self.wizard.verified
        return status_badge(link.status) if link is not None else "Not checked yet"
