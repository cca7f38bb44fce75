"""The health monitor's alerts in the dashboard: a banner on both pages and an "Alerts" tab in the accounts panel.

Alerts are read through the monitor's public API (:meth:`linkkit.monitor.Monitor.alerts`, the dashboard
channel), never with SQL here. Each alert shows what happened, its troubleshooting entry and a one-click
**Repair**: a link to the wizard with ``?repair=<link_id>``, which reopens it in update mode for that link
(:meth:`linkkit.ui.wizard.Wizard.open_repair`). Shop-level alerts (the seller removed the app, the shop's
authorization ends) link to the wizard for that shop instead.

The pages attach them with one line each (:func:`attach_alerts`).

Example:
    >>> from linkkit.ui.alerts import alert_html
    >>> "Repair" in alert_html(kind="broken", subject="[linkkit] @a (Marketing) in Maple is broken",
    ...                        title="The link does not show in Seller Center yet", url="http://x/?repair=1")
    True
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as W

from linkkit.ui.components import button, html_block, render, set_html

if TYPE_CHECKING:
    from linkkit.linking import LinkService
    from linkkit.monitor.alerts import Alert
    from linkkit.monitor.registry import AlertDelivery

__all__ = ["AlertsBanner", "AlertsList", "AlertsSource", "alert_html", "attach_alerts"]

log = logging.getLogger(__name__)

#: How often an open page reads the alerts again.
REFRESH_SECONDS = 15.0

_KIND_BADGE = {"broken": ("Broken", "bad"), "deauthorized": ("Deauthorized", "bad"),
               "expiring": ("Expiring", "warn"), "repaired": ("Repaired", "ok")}


class AlertsSource:
    """The dashboard channel's unread alerts, through the monitor's public methods.

    Args:
        service: The page's link service (the monitor shares its registry and clock).
    """

    def __init__(self, service: LinkService) -> None:
        from linkkit.monitor import Monitor, load_config

        self.monitor = Monitor(service, config=load_config())
        self.service = service

    def alerts(self, shop_id: str | None = None) -> list[tuple[AlertDelivery, Alert]]:
        """``(delivery, alert)`` pairs of the page's principal's shops, newest first; empty when the registry
        cannot be read."""
        from linkkit.errors import LinkkitError

        if self.service.store.closed:  # the page is going away
            return []
        try:
            mine = {shop.id for shop in self.service.connected_shops()}  # another owner's alerts stay hidden
            return [(d, a) for d, a in self.monitor.alerts(shop_id=shop_id) if a.shop_id is None or a.shop_id in mine]
        except LinkkitError as exc:
            log.warning("Could not read the monitor's alerts (%s)", exc.reason)
            return []

    def dismiss(self, delivery_id: int) -> None:
        self.monitor.mark_read(delivery_id)


def alert_html(*, kind: str, subject: str, title: str, url: str, detail: str = "",
               steps: tuple[str, ...] = (), full: bool = False) -> str:
    """One alert: what happened, the troubleshooting entry's title (and steps when ``full``), and Repair."""
    label, tone = _KIND_BADGE.get(kind, (kind, "muted"))
    action = "Open" if kind == "repaired" else "Repair"
    headline = subject.removeprefix("[linkkit] ").removesuffix(f": {title}")
    return render("alert.html", label=label, tone=tone, headline=headline, detail=detail, title=title,
                  steps=steps, full=full, url=url, action=action)


class AlertsBanner(W.VBox):
    """A banner with the newest unread alerts (at most ``limit``), each with its Repair link; hidden when none."""

    def __init__(self, source: AlertsSource, *, shop_id: str | None = None, limit: int = 3, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.shop_id = shop_id
        self.limit = limit
        self._html = html_block("")
        self.children = [self._html]
        self.refresh()

    def refresh(self) -> None:
        found = self.source.alerts(self.shop_id)
        if not found:
            set_html(self._html, "")
            return
        items = "".join(
            f"<li>{alert_html(kind=d.event.kind, subject=a.subject, title=a.troubleshooting_title, url=a.repair_url)}"
            "</li>" for d, a in found[: self.limit])
        more = (f"<p class='lk-muted'>…and {len(found) - self.limit} more in Linked accounts → Alerts.</p>"
                if len(found) > self.limit else "")
        count = f"{len(found)} alert{'s' if len(found) != 1 else ''} from the link monitor"
        set_html(self._html, f'<div class="lk-panel lk-panel-warn lk-alerts-banner" role="alert">'
                             f"<strong>{count}</strong><ul class='lk-alerts'>{items}</ul>{more}</div>")


class AlertsList(W.VBox):
    """The accounts panel's "Alerts" tab: every unread alert in full, with Repair and Dismiss."""

    def __init__(self, source: AlertsSource, *, on_change: Callable[[], None] | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.add_class("lk-card")
        self.source = source
        self._on_change = on_change
        self._lock = threading.RLock()
        self._reload = button("Check again")
        self._reload.on_click(lambda _b: self.refresh())
        self._intro = html_block(
            "<h2>Alerts</h2><p class='lk-muted'>What the link monitor found, newest first. Repair reopens the "
            "wizard for that link; Dismiss hides an alert you have dealt with.</p>")
        self._rows = W.VBox([])
        self.children = [self._intro, self._reload, self._rows]
        self.refresh()

    def refresh(self) -> None:
        with self._lock:
            found = self.source.alerts()
            rows: list[W.Widget] = []
            for delivery, alert in found:
                dismiss = button("Dismiss", tooltip=f"Dismiss: {alert.subject}")
                dismiss.on_click(lambda _b, i=delivery.id: self.dismiss(i))
                row = W.VBox([html_block(alert_html(
                    kind=delivery.event.kind, subject=alert.subject, title=alert.troubleshooting_title,
                    url=alert.repair_url, detail=delivery.event.detail, steps=alert.troubleshooting_steps,
                    full=True)), dismiss])
                row.add_class("lk-panel")
                row.add_class("lk-alert-row")
                rows.append(row)
            if not rows:
                rows = [html_block("<p class='lk-muted'>No alerts. The monitor found nothing wrong.</p>")]
            self._rows.children = rows

    def dismiss(self, delivery_id: int) -> None:
        self.source.dismiss(delivery_id)
        self.refresh()
        if self._on_change is not None:
            self._on_change()


def _keep_fresh(banner: AlertsBanner, alerts: AlertsList | None, interval: float = REFRESH_SECONDS) -> None:
    """Read the alerts again when the page is actually opened (Voila's preheated kernels build pages ahead of
    the request), then every ``interval`` seconds while the page is open, so a new alert appears by itself.

    Ends when the page's registry is closed (the kernel shuts down its service; a test closes its harness).
    """
    from linkkit.ui import page_query

    page_query()
    stop = threading.Event()
    while not banner.source.service.store.closed:  # the page's registry closed: nothing left to watch
        for widget in (banner, alerts):
            if widget is not None:
                try:
                    widget.refresh()
                except Exception:
                    log.exception("Refreshing the monitor's alerts failed")
        if stop.wait(interval):
            return


def attach_alerts(view: W.Box, service: LinkService, *, alerts_tab: bool = False) -> AlertsSource | None:
    """Put the alerts banner under the page's header (and, with ``alerts_tab``, an "Alerts" tab in its tabs).

    Never breaks the page: if the monitor's alerts cannot be read, the page stays as it was.
    """
    try:
        source = AlertsSource(service)
        banner = AlertsBanner(source)
        children = list(view.children)
        header = getattr(view, "_header", None)  # under the page's header when it has one, else at the top
        children.insert(children.index(header) + 1 if header in children else min(1, len(children)), banner)
        alerts: AlertsList | None = None
        if alerts_tab:
            tabs = next((c for c in children if isinstance(c, W.Tab)), None)
            if tabs is not None:
                alerts = AlertsList(source, on_change=banner.refresh)
                tabs.children = (*tabs.children, alerts)
                tabs.set_title(len(tabs.children) - 1, "Alerts")
        view.children = children
        view.alerts_banner = banner
        threading.Thread(target=_keep_fresh, args=(banner, alerts), name="linkkit-alerts", daemon=True).start()
        return source
    except Exception:  # the monitor is an extra: a page without alerts beats no page
        log.exception("The dashboard could not show the monitor's alerts")
        return None
