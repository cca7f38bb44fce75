"""The linked-accounts page: the shop's links with their actions, the event history, the Troubleshooter and
the Analytics tab.

:class:`AccountsPanel` holds the state and calls :class:`~linkkit.linking.LinkService`; :class:`AccountsView`
renders it. Slow calls run in a thread (``busy`` says what), every failure shows its troubleshooting entry.

Example:
    >>> from linkkit.ui.accounts import EVENT_KINDS
    >>> "unlinked" in EVENT_KINDS
    True
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import ipywidgets as W
import traitlets

from linkkit import troubleshoot
from linkkit.models import Link, LinkCheck, LinkEvent, LinkStatus, Shop
from linkkit.ui.accounts_repair import RepairFlow
from linkkit.ui.accounts_rows import EVENT_KINDS, LinkRow, events_html, symptom_options, trouble_html
from linkkit.ui.components import (
    AuthorizeLink,
    LogView,
    ProblemView,
    bullet_list,
    button,
    esc,
    html_block,
    render,
    set_html,
    style_widget,
)
from linkkit.ui.errors import Reporter, guarded, on_error
from linkkit.ui.markup import header_html, info_panel_html, shop_label
from linkkit.ui.tasks import BackgroundTasks
from linkkit.ui.wizard_state import resolve_web_base

if TYPE_CHECKING:
    from linkkit.config import Settings
    from linkkit.linking import LinkService
    from linkkit.ui.analytics_view import AnalyticsView
    from linkkit.web.relay import AttemptRelay

__all__ = ["EVENT_KINDS", "AccountsPanel", "AccountsView"]

ANALYTICS_DAYS = 180  # how much history the analytics tab loads


class AccountsPanel(RepairFlow, BackgroundTasks, traitlets.HasTraits):
    """State and actions of the linked-accounts page (Repair's re-authorization: :class:`RepairFlow`)."""

    shops: traitlets.List[Shop] = traitlets.List(traitlets.Instance(Shop))
    shop_id = traitlets.Unicode("")
    links: traitlets.List[Link] = traitlets.List(traitlets.Instance(Link))
    include_unlinked = traitlets.Bool(False)
    events: traitlets.List[LinkEvent] = traitlets.List(traitlets.Instance(LinkEvent))
    event_kinds = traitlets.List(traitlets.Unicode())  # empty = all
    event_text = traitlets.Unicode("")
    busy = traitlets.Unicode("")
    progress = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(0, 0))
    confirm_unlink = traitlets.Int(0)  # link id awaiting confirmation
    message = traitlets.Unicode("")  # a neutral outcome ("@x unlinked.")

    def __init__(self, service: LinkService, *, poll_interval: float = 1.0, web_base: str | None = None,
                 relay: AttemptRelay | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.poll_interval = poll_interval
        self.web_base = resolve_web_base(web_base)
        self._relay = relay
        self._repair_attempt = ""
        self.reporter = Reporter()
        self._task: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def settings(self) -> Settings:
        return self.service.settings

    @property
    def shop(self) -> Shop | None:
        return next((s for s in self.shops if s.id == self.shop_id), None)

    # ------------------------------------------------------------------ plumbing (same contract as Wizard)

    def run(self, label: str, work: Callable[[], None], *, background: bool = True) -> None:
        def target() -> None:
            try:
                guarded(self.reporter, work, label.rstrip("…"))
            finally:
                self.busy = ""

        self.reporter.clear()
        self.message = ""
        self.launch(label, target, background=background)

    def close(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ reading

    @on_error("Reading your shops")
    def load(self) -> None:
        """Reading your shops."""
        self.shops = list(self.service.connected_shops())
        if self.shops and self.shop_id not in {s.id for s in self.shops}:
            self.shop_id = self.shops[0].id
        self.refresh()

    @on_error("Reading the links")
    def refresh(self) -> None:
        """Reading the links."""
        if not self.shop_id:
            self.links = []
            self.events = []
            return
        self.links = list(self.service.links(self.shop_id, include_unlinked=self.include_unlinked))
        self.refresh_events()

    @on_error("Reading the history")
    def refresh_events(self) -> None:
        """Reading the history."""
        if not self.shop_id:
            self.events = []
            return
        kinds = list(self.event_kinds) or None
        events = list(self.service.events(self.shop_id, kinds=kinds, limit=200))
        text = self.event_text.strip().lower().lstrip("@")
        if text:
            events = [e for e in events if text in f"{e.username} {e.detail} {e.kind} {e.actor}".lower()]
        self.events = events

    @on_error("Opening the shop")
    def select_shop(self, shop_id: str) -> None:
        """Opening the shop."""
        self.shop_id = shop_id
        self.confirm_unlink = 0
        self.refresh()

    # ------------------------------------------------------------------ actions

    @on_error("Checking the link")
    def verify(self, link_id: int) -> None:
        """Checking the link."""

        def work() -> None:
            link = self.service.verify(link_id)
            self.refresh()
            failing = link.failing_check
            if link.last_check_failed_at is not None:  # TikTok could not be asked: no verdict, status kept
                self._report_unchecked(link)
            elif failing is None:
                self.message = f"@{link.account.username} passed every check."
            else:
                self._report_check(link, failing)

        self.run("Checking the link…", work)

    def _report_unchecked(self, link: Link) -> None:
        from linkkit.errors import LinkkitError

        reason = link.last_check_failed_reason or "provider_unavailable"
        exc = LinkkitError(f"@{link.account.username} could not be checked: its status stays "
                           f"{link.status.label} until a check gets through.", reason=reason)
        self.reporter.report(exc, context="Checking the link", retry=lambda: self.verify(link.id))

    def _report_check(self, link: Link, failing: LinkCheck) -> None:
        entry = troubleshoot.entry(failing.reason)
        from linkkit.errors import LinkkitError

        try:
            exc = LinkkitError(f"@{link.account.username}: {failing.name.label} — {failing.detail}",
                               reason=failing.reason or "provider_error")
        except ValueError:
            exc = LinkkitError(f"@{link.account.username}: {failing.name.label}", reason="provider_error")
        retry = (lambda: self.verify(link.id)) if entry.retryable else None
        self.reporter.report(exc, context="Checking the link", retry=retry)

    @on_error("Checking every link")
    def verify_all(self) -> None:
        """Checking every link."""

        def work() -> None:
            total = len([link for link in self.links if link.active])
            self.progress = (0, total)

            def progress(done: int, total: int) -> None:
                self.progress = (done, total)

            results = self.service.verify_all(self.shop_id, progress=progress)
            self.refresh()
            failing = [link for link in results if link.status is not LinkStatus.CONNECTED]
            unchecked = [link for link in results if link.last_check_failed_at is not None]
            if unchecked:
                self._report_unchecked(unchecked[0])
            self.message = (
                f"{len(unchecked)} of {len(results)} links could not be checked (TikTok unavailable); "
                "they keep their previous status."
                if unchecked
                else f"All {len(results)} links passed every check."
                if not failing
                else f"{len(results) - len(failing)} of {len(results)} links are Connected; "
                + ", ".join(f"@{link.account.username} ({link.status.label})" for link in failing)
                + " need a look."
            )

        self.run("Checking every link…", work)

    @on_error("Preparing to unlink")
    def ask_unlink(self, link_id: int) -> None:
        """Preparing to unlink."""
        self.reporter.clear()
        self.confirm_unlink = link_id

    @on_error("Unlinking the account")
    def unlink(self, link_id: int) -> None:
        """Unlinking the account."""
        self.confirm_unlink = 0

        def work() -> None:
            link = self.service.unlink(link_id)
            self.refresh()
            self.message = (f"@{link.account.username} is unlinked. If Seller Center still shows it, "
                            "remove it there too.")

        self.run("Unlinking…", work)

    def wizard_url(self, **params: str) -> str:
        from urllib.parse import urlencode

        base = self.settings.public_url.rstrip("/") + "/voila/render/01_link_accounts.ipynb"
        return f"{base}?{urlencode(params)}" if params else base


# ---------------------------------------------------------------------------------------------- views


def _preimport_analytics() -> None:
    try:
        import linkkit.ui.analytics_view  # noqa: F401
    except Exception:  # the tab reports its own failure when opened
        logging.getLogger(__name__).debug("analytics pre-import failed", exc_info=True)


class AccountsView(W.VBox):
    """The linked-accounts page. Display it; drive it through its :class:`AccountsPanel`."""

    def __init__(self, panel: AccountsPanel, *, analytics: bool = True, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.add_class("lk-app")
        self.panel = panel
        self.reporter = panel.reporter
        self._lock = threading.RLock()
        if analytics:  # import pandas, DuckDB and plotly while the seller reads the table, not on the tab's press
            threading.Thread(target=_preimport_analytics, name="linkkit-analytics-import", daemon=True).start()
        self._header = html_block("")
        self._busy = html_block("")
        self._message = html_block("")
        self._problem = ProblemView(self.reporter)
        self._log = LogView(self.reporter)

        # --- linked accounts tab
        self._shop = W.Dropdown(options=[], description="Shop", layout=W.Layout(width="auto"))
        self._shop.observe(self._on_shop, names="value")
        self._verify_all = button("Verify all", style="primary")
        self._verify_all.on_click(self.on_verify_all)
        self._progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="220px"))
        self._progress_text = html_block("")
        self._show_unlinked = W.Checkbox(value=False, description="Show unlinked accounts", indent=False)
        self._show_unlinked.observe(self._on_show_unlinked, names="value")
        self._add = AuthorizeLink(label="Link another account", kind="secondary",
                                  hint="Opens the linking wizard in a new tab")
        self._reload = button("Reload")
        self._reload.on_click(self.on_reload)
        toolbar = W.HBox([self._shop, self._verify_all, self._progress, self._progress_text])
        toolbar.add_class("lk-row")
        toolbar2 = W.HBox([self._show_unlinked, self._add, self._reload])
        toolbar2.add_class("lk-row")
        self._confirm_text = html_block("")
        self._confirm_yes = button("Unlink", style="danger")
        self._confirm_yes.on_click(self.on_confirm_unlink)
        self._confirm_no = button("Keep it")
        self._confirm_no.on_click(self.on_cancel_unlink)
        self._confirm = W.VBox([self._confirm_text, W.HBox([self._confirm_yes, self._confirm_no])])
        self._confirm.add_class("lk-panel")
        self._confirm.add_class("lk-panel-warn")
        self._repair_text = html_block("")
        self._repair_link = AuthorizeLink(label="Authorize again with TikTok",
                                          hint="Opens TikTok's permission page in a new tab")
        self._repair_cancel = button("Cancel")
        self._repair_cancel.on_click(self.on_cancel_repair)
        self._repair_link.observe(lambda _change: self.on_repair_pressed(), names="clicks")
        self._repair = W.VBox([self._repair_text, W.HBox([self._repair_link, self._repair_cancel])])
        self._repair.add_class("lk-panel")
        self._repair.add_class("lk-panel-info")
        self._thead = html_block(
            "<div class='lk-trow lk-thead' style='border:none;padding:0'><div>Account</div><div>Role</div>"
            "<div>Status</div>"
            "<div>Last verified</div><div>Token</div><div>Actions</div></div>"
        )
        self._empty = html_block("")
        self._rows: list[LinkRow] = []
        self._table = W.VBox([])
        self._table.add_class("lk-table")
        accounts_tab = W.VBox([toolbar, toolbar2, self._confirm, self._repair, self._thead, self._empty,
                               self._table])
        accounts_tab.add_class("lk-card")

        # --- history tab
        self._kinds = W.SelectMultiple(options=[(v, k) for k, v in EVENT_KINDS.items()], value=(),
                                       description="Kinds", rows=6, layout=W.Layout(width="auto"))
        self._kinds.observe(self._on_filter, names="value")
        self._text = W.Text(value="", placeholder="@username or word", description="Search",
                            continuous_update=False)
        self._text.observe(self._on_filter, names="value")
        self._clear = button("Clear filters")
        self._clear.on_click(self.on_clear_filters)
        self._events = html_block("")
        filters = W.HBox([self._kinds, W.VBox([self._text, self._clear])])
        filters.add_class("lk-row")
        history_tab = W.VBox([
            html_block("<h2>History</h2><p class='lk-muted'>Everything linkkit did for this shop, newest first. "
                       "Hold Ctrl or ⌘ to pick several kinds.</p>"),
            filters, self._events,
        ])
        history_tab.add_class("lk-card")

        # --- troubleshooter tab
        self._symptom = W.Dropdown(options=symptom_options(), value=None, description="What happened?",
                                   style={"description_width": "initial"}, layout=W.Layout(width="auto"))
        self._symptom.observe(self._on_symptom, names="value")
        self._search = W.Text(value="", placeholder="e.g. nothing happens after authorize, or a reason code",
                              description="Search", continuous_update=True)
        self._search.observe(self._on_search, names="value")
        self._entry = html_block("")
        self._faq = html_block("")
        trouble_tab = W.VBox([
            html_block("<h2>Troubleshooter</h2><p class='lk-muted'>Pick what you see, type a few words or paste "
                       "a reason code.</p>"),
            self._symptom, self._search, self._entry, self._faq,
        ])
        trouble_tab.add_class("lk-card")

        # --- analytics tab (built when first opened)
        self._analytics_enabled = analytics
        self._analytics = W.VBox([html_block("<p class='lk-muted'>Opening analytics…</p>")])
        self._analytics_built = False
        self.analytics_view: AnalyticsView | None = None

        tabs = [accounts_tab, history_tab, trouble_tab] + ([self._analytics] if analytics else [])
        self._tabs = W.Tab(children=tabs)
        for i, title in enumerate(["Linked accounts", "History", "Troubleshooter", "Analytics"][: len(tabs)]):
            self._tabs.set_title(i, title)
        self._tabs.observe(self._on_tab, names="selected_index")

        self.children = [style_widget(), self._header, self._busy, self._message, self._problem, self._tabs,
                         self._log]
        panel.observe(self._refresh)
        self._render_trouble()
        self._refresh()

    # ------------------------------------------------------------------ rendering

    def _refresh(self, change: Mapping[str, object] | None = None) -> None:
        with self._lock:
            self._render(change)

    def _render(self, change: Mapping[str, object] | None) -> None:
        p = self.panel
        name = change.get("name") if change else None
        self._header.value = header_html(p.settings.mode, p.shop, "Linked accounts")
        set_html(self._busy, info_panel_html(p.busy, busy=True))
        set_html(self._message, info_panel_html(p.message, tone="ok"))
        if name == "events" or name is None:
            self._events.value = events_html(self.panel.events)
        if name in ("events", "event_kinds", "event_text"):
            return
        options = [(shop_label(s), s.id) for s in p.shops]
        if list(self._shop.options) != options:
            self._shop.options = options
        if p.shop_id and self._shop.value != p.shop_id:
            self._shop.value = p.shop_id
        self._add.href = p.wizard_url(shop_id=p.shop_id) if p.shop_id else p.wizard_url()
        done, total = p.progress
        self._progress.max = max(total, 1)
        self._progress.value = done
        self._progress.layout.visibility = "visible" if total else "hidden"
        self._progress_text.value = f"<span class='lk-muted'>{done} of {total} checked</span>" if total else ""
        self._verify_all.disabled = bool(p.busy) or not any(link.active for link in p.links)
        # rows
        links = list(p.links)
        while len(self._rows) < len(links):
            self._rows.append(LinkRow(self))
        for row, shown in zip(self._rows, links, strict=False):
            row.show(shown, p)
        boxes = tuple(row.box for row in self._rows[: len(links)])
        if self._table.children != boxes:
            self._table.children = boxes
        self._thead.layout.display = "" if links else "none"
        if not p.shops:
            self._empty.value = (
                "<p><strong>No shop is connected yet.</strong> Open the linking wizard to connect Seller Center "
                "and link your first account.</p>"
            )
        elif not links:
            self._empty.value = "<p><strong>No accounts are linked to this shop yet.</strong></p>"
        else:
            self._empty.value = ""
        self._empty.layout.display = "" if self._empty.value else "none"
        # unlink confirmation
        target = next((link for link in links if link.id == p.confirm_unlink), None)
        if target is not None:
            from linkkit import guide

            kind = guide.ACCOUNT_TYPES[target.role.value]
            self._confirm_text.value = render("confirm_unlink.html", account=target.account,
                                              replacement=kind.replacement)
            self._confirm.layout.display = ""
            self._confirm_yes.description = f"Unlink @{target.account.username}"
        else:
            self._confirm.layout.display = "none"
        # repair
        if p.repair_link_id:
            link = next((item for item in links if item.id == p.repair_link_id), None)
            who = f"@{link.account.username}" if link else "the account"
            self._repair_text.value = (
                f"<p><strong>Repair {esc(who)}.</strong> Sign in to TikTok as {esc(who)} in the new tab and keep "
                "every permission ticked. The link keeps its record and history; this page updates by itself.</p>"
            )
            self._repair_link.href = p.repair_href
            self._repair.layout.display = ""
        else:
            self._repair.layout.display = "none"

    def _render_trouble(self) -> None:
        entries_html, faq = trouble_html(self._symptom.value or "", self._search.value.strip())
        self._entry.value = entries_html
        self._faq.value = faq

    # ------------------------------------------------------------------ events

    def _on_shop(self, change: Mapping[str, object]) -> None:
        if change["new"] and change["new"] != self.panel.shop_id:
            self.panel.select_shop(str(change["new"]))
            self._analytics_built = False  # another shop: analytics reloads when its tab is shown
            if self._tabs.selected_index == 3:
                self._on_tab({"new": 3})

    def _on_show_unlinked(self, change: Mapping[str, object]) -> None:
        self.panel.include_unlinked = bool(change["new"])
        self.panel.refresh()

    def _on_filter(self, _change: object) -> None:
        self.panel.event_kinds = list(self._kinds.value)
        self.panel.event_text = self._text.value
        self.panel.refresh_events()

    def on_clear_filters(self, _button: W.Button) -> None:
        self._kinds.value = ()
        self._text.value = ""

    def _on_symptom(self, _change: object) -> None:
        self._render_trouble()

    def _on_search(self, _change: object) -> None:
        if self._search.value and self._symptom.value is not None:
            self._symptom.value = None
        self._render_trouble()

    @on_error("Opening the tab")
    def _on_tab(self, change: Mapping[str, object]) -> None:
        """Opening the tab."""
        if change["new"] == 3 and self._analytics_enabled and not self._analytics_built:
            self._analytics_built = True
            self._analytics.children = [self._build_analytics()]

    def _build_analytics(self) -> W.Widget:
        """The shop's analytics: the registry's link intervals plus the Shop API's performance, content and
        orders for the last 180 days, loaded in a thread with a progress bar as the tab opens."""
        try:
            from linkkit.ui.analytics_view import AnalyticsView

            service = self.panel.service
            shop = self.panel.shop
            if shop is None:
                return AnalyticsView().widget  # the empty state says what to do
            today = service.now().date()
            start, end, shop_id = today - timedelta(days=ANALYTICS_DAYS), today + timedelta(days=1), shop.id
            view = AnalyticsView(None, loader=lambda progress: service.analytics_data(
                shop_id, start, end, progress=progress))
            view.load()
            self.analytics_view = view
            return view.widget
        except Exception as exc:
            self.reporter.note(f"Analytics could not open: {type(exc).__name__}: {exc}")
            import logging

            logging.getLogger(__name__).exception("analytics view failed")
            return html_block(
                '<div class="lk-panel lk-panel-warn"><h3>Analytics is not available right now</h3>'
                "<p>The rest of the dashboard works. The activity log at the bottom of the page says why; "
                "linking and verifying accounts are not affected.</p></div>"
            )

    @on_error("Checking the link")
    def on_verify(self, link_id: int) -> None:
        """Checking the link."""
        self.panel.verify(link_id)

    @on_error("Preparing the re-authorization")
    def on_repair(self, link_id: int) -> None:
        """Preparing the re-authorization."""
        self.panel.repair(link_id)

    @on_error("Preparing to unlink")
    def on_unlink(self, link_id: int) -> None:
        """Preparing to unlink."""
        self.panel.ask_unlink(link_id)

    @on_error("Unlinking the account")
    def on_confirm_unlink(self, _button: W.Button) -> None:
        """Unlinking the account."""
        self.panel.unlink(self.panel.confirm_unlink)

    def on_cancel_unlink(self, _button: W.Button) -> None:
        self.panel.confirm_unlink = 0

    @on_error("Following the re-authorization")
    def on_repair_pressed(self) -> None:
        """Following the re-authorization."""
        self.panel.repair_pressed()

    def on_cancel_repair(self, _button: W.Button) -> None:
        self.panel.cancel_repair()

    @on_error("Checking every link")
    def on_verify_all(self, _button: W.Button) -> None:
        """Checking every link."""
        self.panel.verify_all()

    @on_error("Reloading")
    def on_reload(self, _button: W.Button) -> None:
        """Reloading."""
        self.panel.load()


_ = (bullet_list, LinkStatus)
