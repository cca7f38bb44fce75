"""The seller-facing dashboard: ipywidgets views over :class:`~linkkit.linking.LinkService`.

The notebooks hold one line each::

    from linkkit.ui import onboarding_app; onboarding_app()      # notebooks/01_link_accounts.ipynb
    from linkkit.ui import accounts_app; accounts_app()          # notebooks/02_linked_accounts.ipynb

Both build the service from ``Settings.load()`` (``LINKKIT_*`` environment variables), return a widget to
display, and never raise: a configuration problem shows its troubleshooting entry instead of a traceback.

Example:
    >>> from linkkit.ui import onboarding_app
    >>> callable(onboarding_app)
    True
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ipywidgets as W

    from linkkit.linking import LinkService
    from linkkit.web.relay import AttemptRelay

__all__ = ["accounts_app", "onboarding_app", "page_query"]

log = logging.getLogger(__name__)


def page_query() -> str:
    """The query string of the page this kernel serves ("" outside Voila).

    With Voila's preheated kernels the notebook runs before anyone asks for the page;
    ``voila.utils.get_query_string()`` waits for the real request and returns its query (voila 0.5).
    Call it from a thread: it blocks until then.
    """
    if "VOILA_KERNEL_ID" not in os.environ and "VOILA_PREHEAT" not in os.environ:
        return os.environ.get("QUERY_STRING", "") or ""
    try:
        from voila.utils import get_query_string
    except ImportError:  # pragma: no cover - voila is a dependency
        return os.environ.get("QUERY_STRING", "") or ""
    with _QUERY_LOCK:  # Voila answers one waiter per kernel: later callers get the first one's answer
        if not _QUERY:
            _QUERY.append(get_query_string() or "")
        return _QUERY[0]


_QUERY_LOCK = threading.Lock()
_QUERY: list[str] = []


def _service(service: LinkService | None) -> LinkService:
    from linkkit import redact

    redact.install()  # the dashboard page is an entry point: its kernel's logs are redacted from here on
    if service is not None:
        return service
    from linkkit.identity import trusted_header
    from linkkit.linking import LinkService

    if trusted_header() and ("VOILA_KERNEL_ID" in os.environ or "VOILA_PREHEAT" in os.environ):
        page_query()  # behind a proxy the user arrives with the request (a preheated kernel waits for it)

    return LinkService.from_settings()


def _failure_view(exc: BaseException, title: str) -> W.VBox:
    """What the page shows when the service cannot even start (bad settings, registry unreadable)."""
    import ipywidgets as W

    from linkkit.ui.components import LogView, ProblemView, html_block, style_widget
    from linkkit.ui.errors import Reporter
    from linkkit.ui.views import header_html

    reporter = Reporter()
    reporter.report(exc, context="Starting the dashboard")
    mode = os.environ.get("LINKKIT_MODE", "sandbox")
    box = W.VBox([style_widget(), html_block(header_html(mode, None, title)), ProblemView(reporter),
                  LogView(reporter)])
    box.add_class("lk-app")
    return box


def onboarding_app(service: LinkService | None = None, *, query: str | None = None, poll_interval: float = 1.0,
                   web_base: str | None = None, relay: AttemptRelay | None = None) -> W.VBox:
    """Build the linking wizard (``notebooks/01_link_accounts.ipynb``).

    Args:
        service: A :class:`~linkkit.linking.LinkService`; built from ``Settings.load()`` when ``None``.
        query: This page's query string; read from Voila in a background thread when ``None``.
        poll_interval: Seconds between checks while waiting for another tab.
        web_base: Base URL of the server's ``/linkkit/`` routes; read from ``LINKKIT_WEB_BASE`` when ``None``.
        relay: Where the server reports presses and outcomes (linkkit's data directory by default).

    Returns:
        The widget to display. Its ``.wizard`` is the state model.
    """
    from linkkit.ui.views import WizardView
    from linkkit.ui.wizard import Wizard, is_callback

    try:
        svc = _service(service)
        wizard = Wizard(svc, poll_interval=poll_interval, web_base=web_base, relay=relay)
        wizard.prepare()
        view = WizardView(wizard)
        from linkkit.ui.alerts import attach_alerts  # the health monitor's banner

        attach_alerts(view, svc)
    except Exception as exc:  # never a traceback on the page
        log.exception("the onboarding wizard could not start")
        return _failure_view(exc, "Link your TikTok accounts")

    def begin(q: str) -> None:
        wizard.start(q)
        if is_callback(q):
            view.clean_url()

    if query is not None:
        begin(query)
    else:
        threading.Thread(target=lambda: begin(page_query()), name="linkkit-page-query", daemon=True).start()
    return view


def accounts_app(service: LinkService | None = None, *, analytics: bool = True) -> W.VBox:
    """Build the linked-accounts page (``notebooks/02_linked_accounts.ipynb``).

    Args:
        service: A :class:`~linkkit.linking.LinkService`; built from ``Settings.load()`` when ``None``.
        analytics: Include the Analytics tab (built when first opened).

    Returns:
        The widget to display. Its ``.panel`` is the state model.
    """
    from linkkit.ui.accounts import AccountsPanel, AccountsView

    try:
        svc = _service(service)
        panel = AccountsPanel(svc)
        panel.load()
        view = AccountsView(panel, analytics=analytics)
        from linkkit.ui.alerts import attach_alerts  # the health monitor's banner and Alerts tab

        attach_alerts(view, svc, alerts_tab=True)
    except Exception as exc:
        log.exception("the linked-accounts page could not start")
        return _failure_view(exc, "Linked accounts")
    if os.environ.get("VOILA_PREHEAT", "False") != "False":
        # A preheated kernel loaded the links before anyone asked for the page: read them again on arrival.
        def reload() -> None:
            page_query()
            panel.load()

        threading.Thread(target=reload, name="linkkit-page-query", daemon=True).start()
    return view
