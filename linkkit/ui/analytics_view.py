"""The Analytics section of the seller dashboard: filters, KPI tiles, four charts, download.

Charts are plain-dict plotly figures shown through the plotly mime type with
:data:`linkkit.analytics.charts.PLOTLY_CONFIG` (no cloud, share or Chart Studio buttons; a minimal modebar).
While data loads the page shows grey placeholders, never "no data"; an empty chart says why it is empty;
shops appear by name; picking a shop limits accounts and link-change markers to that shop.

The view holds widgets only; :class:`linkkit.analytics.dashboard.DashboardModel` does the work. Build it
from data you have (:class:`AnalyticsView`), from the demo (:meth:`AnalyticsView.from_demo`), or from the
registry and the Shop API (:meth:`AnalyticsView.from_sources`, which loads in a thread with progress).
Nothing is displayed in ``__init__``; show ``view.widget``.

Example:
    >>> from linkkit.ui.analytics_view import AnalyticsView
    >>> view = AnalyticsView.from_demo()
    >>> view.widget.__class__.__name__
    'VBox'
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ipywidgets as widgets
import pandas as pd

from linkkit.analytics import charts, demo
from linkkit.analytics.attribution import ATTRIBUTION_RULE
from linkkit.analytics.dashboard import DashboardFrames, DashboardModel, Filters
from linkkit.analytics.dataset import AnalyticsData, ShopSource, load_analytics_data
from linkkit.analytics.metrics import GMV_DEFINITION
from linkkit.errors import LinkkitError

__all__ = ["AnalyticsView"]

log = logging.getLogger(__name__)

_ALL = "__all__"
F = TypeVar("F", bound=Callable[..., Any])

EMPTY_MESSAGE = (
    "<b>No sales data yet.</b> Link an Official or Marketing account in the steps above, then come back once "
    "the shop has orders: TikTok makes shop analytics available about a day later. You can also upload a "
    "Seller Center order export (Orders › Export) below, or open the demo to see what this page shows."
)


#: Shown while data loads (grey placeholders where the tiles and charts will be).
LOADING_SKELETON = (
    "<div class='lk-skeleton' aria-busy='true' aria-label='Loading sales data'>"
    "<div style='color:#555;margin:4px 0'>Loading sales data…</div>"
    + "".join(
        "<div style='display:inline-block;width:140px;height:44px;margin:4px;border-radius:6px;background:#eee'></div>"
        for _ in range(4)
    )
    + "<div style='display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,360px),1fr));gap:8px;"
    "margin-top:8px'>"
    + "".join("<div style='height:220px;border-radius:6px;background:#f2f2f2'></div>" for _ in range(4))
    + "</div></div>"
)


class AnalyticsView:
    """The analytics page.

    Args:
        data: The frames to show (empty data shows the empty state).
        loader: Optional ``(progress) -> AnalyticsData`` called by the "Load data" button in a thread.
    """

    def __init__(
        self, data: AnalyticsData | None = None, *, loader: Callable[[Any], AnalyticsData] | None = None
    ) -> None:
        self._loader = loader
        self._model: DashboardModel | None = None
        self._frames: DashboardFrames | None = None
        self._busy = False

        self._status = widgets.HTML()
        self._progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, layout={"visibility": "hidden"})
        self._error = widgets.HTML()
        self._shop = widgets.Dropdown(description="Shop", options=[("All shops", _ALL)], value=_ALL)
        self._account = widgets.Dropdown(description="Account", options=[("All accounts", _ALL)], value=_ALL)
        self._role = widgets.Dropdown(
            description="Role",
            value=_ALL,
            options=[("All roles", _ALL), ("Official", "official"), ("Marketing", "marketing")],
        )
        self._channel = widgets.Dropdown(
            description="Channel",
            value=_ALL,
            options=[("All channels", _ALL), ("LIVE", "LIVE"), ("Video", "VIDEO"), ("Product card", "PRODUCT_CARD")],
        )
        self._currency = widgets.Dropdown(description="Currency", options=[("All currencies", _ALL)], value=_ALL)
        self._start = widgets.DatePicker(description="From")
        self._end = widgets.DatePicker(description="To")
        self._tiles = widgets.HTML()
        self._charts = {name: widgets.Output() for name in ("gmv", "channels", "disruption", "funnel")}
        self._figures: dict[str, charts.Figure] = {}
        self._format = widgets.ToggleButtons(options=["CSV", "Parquet"], value="CSV")
        self._download = widgets.Button(description="Prepare download")
        self._link = widgets.HTML()
        self._upload = widgets.FileUpload(accept=".csv,.xlsx", multiple=False, description="Upload export", icon="")
        self._load = widgets.Button(description="Load data", layout={"display": "" if loader else "none"})
        self._empty = widgets.HTML(LOADING_SKELETON if loader else EMPTY_MESSAGE)
        self._log = widgets.Output(layout={"max_height": "120px", "overflow": "auto"})

        for control in (self._shop, self._account, self._role, self._channel, self._currency, self._start, self._end):
            control.observe(self._on_filter_change, names="value")
        self._download.on_click(self._on_download)
        self._upload.observe(self._on_upload, names="value")
        self._load.on_click(self._on_load)

        filters = widgets.HBox(
            [self._shop, self._account, self._role, self._channel, self._currency], layout={"flex_flow": "row wrap"}
        )
        dates = widgets.HBox([self._start, self._end])
        grid = widgets.GridBox(
            list(self._charts.values()),
            layout={"grid_template_columns": "repeat(auto-fit, minmax(min(100%, 360px), 1fr))", "grid_gap": "8px"},
        )
        self._content = widgets.VBox(
            [filters, dates, self._tiles, grid, widgets.HBox([self._format, self._download, self._link])]
        )
        note = widgets.HTML(
            f"<small>{html.escape(GMV_DEFINITION)} Attribution: {html.escape(ATTRIBUTION_RULE)}</small>"
        )
        self.widget = widgets.VBox(
            [
                widgets.HTML("<h3>Analytics</h3>"),
                self._status,
                self._progress,
                self._error,
                self._empty,
                widgets.HBox([self._upload, self._load]),
                self._content,
                note,
                self._log,
            ],
        )
        self.set_data(data if data is not None else AnalyticsData.empty())

    # -- factories ------------------------------------------------------------------------------------
    @classmethod
    def from_demo(cls, seed: int = 7) -> AnalyticsView:
        """A view over :func:`linkkit.analytics.demo.demo_data` (no network)."""
        return cls(demo.demo_data(seed))

    @classmethod
    def from_sources(
        cls, store: Any, client: Any, shops: Sequence[ShopSource], *, start: dt.date, end: dt.date
    ) -> AnalyticsView:
        """A view that loads from the registry and the Shop API when the seller presses "Load data"."""

        def loader(progress: Any) -> AnalyticsData:
            return load_analytics_data(store, client, shops, start=start, end=end, progress=progress)

        return cls(None, loader=loader)

    # -- state ----------------------------------------------------------------------------------------
    @property
    def model(self) -> DashboardModel | None:
        """The model behind the page (None while empty)."""
        return self._model

    @property
    def frames(self) -> DashboardFrames | None:
        """The frames currently shown."""
        return self._frames

    @property
    def figures(self) -> dict[str, charts.Figure]:
        """The figures currently shown (plain-dict plotly figures), keyed ``gmv``, ``channels``, ``disruption``,
        ``funnel``."""
        return dict(self._figures)

    def filters(self) -> Filters:
        """The filters as the widgets hold them."""

        def pick(value: Any) -> Any:
            return None if value == _ALL else value

        return Filters(
            shop_id=pick(self._shop.value),
            username=pick(self._account.value),
            role=pick(self._role.value),
            channel=pick(self._channel.value),
            currency=pick(self._currency.value),
            start=self._start.value,
            end=self._end.value,
        )

    def set_data(self, data: AnalyticsData) -> None:
        """Show ``data`` (rebuilds the model, the filter options and the charts)."""
        self._model = None if data.is_empty else DashboardModel(data)
        if self._model is None:
            self._empty.value = LOADING_SKELETON if self._loading() else EMPTY_MESSAGE
            self._empty.layout.display = ""
            self._content.layout.display = "none"
            self._status.value = ""
            return
        # with data, "No sales data yet" is never written: hiding it and writing it are separate messages to
        # the page, and in between the page would show it
        self._empty.layout.display = "none"
        self._content.layout.display = ""
        self._busy = True
        try:
            self._shop.options = [("All shops", _ALL), *[(label, value) for label, value in self._model.shops()]]
            self._shop.value = _ALL
            self._currency.options = [("All currencies", _ALL), *[(c, c) for c in self._model.currencies()]]
            self._currency.value = _ALL
            self._refresh_accounts()
            bounds = self._model.date_bounds()
            self._start.value, self._end.value = bounds if bounds else (None, None)
        finally:
            self._busy = False
        self._status.value = f"<small>Source: {html.escape(data.source or 'data')}</small>"
        self.redraw()

    def _loading(self) -> bool:
        """A loader is set and has not finished yet (the page shows placeholders, not "no data")."""
        return self._loader is not None and not getattr(self, "_loaded", False)

    def _refresh_accounts(self) -> None:
        assert self._model is not None
        shop = None if self._shop.value == _ALL else self._shop.value
        accounts = self._model.accounts(shop)
        self._account.options = [("All accounts", _ALL), *[(f"@{u} ({r})", u) for u, r in accounts]]
        self._account.value = _ALL

    # -- drawing --------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Recompute the frames for the current filters and redraw tiles and charts."""
        if self._model is None:
            return
        self._frames = self._model.view(self.filters())
        self._tiles.value = _tiles_html(self._frames.kpis, self._frames.reasons.get("kpis"))
        self._figures = self._frames.figures()
        from IPython import get_ipython

        in_kernel = get_ipython() is not None
        for name, out in self._charts.items():
            if in_kernel:  # the plotly mime bundle renders offline in Voila and JupyterLab
                out.outputs = (_plotly_output(self._figures[name]),)
        self._link.value = ""

    # -- callbacks ------------------------------------------------------------------------------------
    @staticmethod
    def _guard(method: F) -> F:
        """Catch ``LinkkitError`` in a callback and show its message (Voila would swallow it)."""

        @functools.wraps(method)
        def wrapper(self: AnalyticsView, *args: Any, **kwargs: Any) -> Any:
            self._error.value = ""
            try:
                return method(self, *args, **kwargs)
            except LinkkitError as exc:
                self._error.value = (
                    f"<div style='color:#b00020'><b>{html.escape(exc.message)}</b> "
                    f"<small>({html.escape(exc.reason)})</small></div>"
                )
                log.warning("analytics: %s", exc.message, exc_info=True)
            except Exception:
                self._error.value = "<div style='color:#b00020'>Something went wrong; the log below has details.</div>"
                log.exception("analytics callback failed")
                with self._log:
                    import traceback

                    traceback.print_exc()
            return None

        return wrapper  # type: ignore[return-value]

    @_guard
    def _on_filter_change(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        if change.get("owner") is self._shop:
            self._busy = True
            try:
                self._refresh_accounts()
            finally:
                self._busy = False
        self.redraw()

    @_guard
    def _on_download(self, _button: Any = None) -> None:
        if self._frames is None:
            return
        table = self._frames.table()
        if self._format.value == "CSV":
            from linkkit.export import neutralise_frame  # a display name must not run as a spreadsheet formula

            csv = neutralise_frame(table).to_csv(index=False)
            payload, name, mime = csv.encode("utf-8"), "linkkit-analytics.csv", "text/csv"
        else:
            buf = io.BytesIO()
            table.to_parquet(buf, index=False)
            payload, name, mime = buf.getvalue(), "linkkit-analytics.parquet", "application/octet-stream"
        import base64

        b64 = base64.b64encode(payload).decode("ascii")
        self._link.value = (
            f"<a download='{name}' href='data:{mime};base64,{b64}' target='_blank'>"
            f"Download {html.escape(name)} ({len(table):,} rows)</a>"
        )
        self._last_download = (name, payload)

    @_guard
    def _on_upload(self, change: dict[str, Any]) -> None:
        from linkkit.analytics.sources import read_seller_center_orders

        files = change["new"]
        if not files:
            return
        item = files[0]
        content = bytes(item["content"]) if not isinstance(item["content"], bytes) else item["content"]
        stream = io.BytesIO(content)
        stream.name = item.get("name", "upload.csv")
        lines = read_seller_center_orders(stream, shop_id="upload", progress=self._report)
        current = self._model.data if self._model is not None else AnalyticsData.empty()
        self.set_data(
            AnalyticsData(
                links=current.links,
                events=current.events,
                orders=lines,
                performance=current.performance,
                content=current.content,
                source=f"export {stream.name}",
            )
        )

    def load(self) -> None:
        """Start loading with the view's loader (what "Load data" does); returns at once."""
        self._on_load()

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for a load started by :meth:`load` (tests and scripts)."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(timeout)

    @_guard
    def _on_load(self, _button: Any = None) -> None:
        if self._loader is None:
            return
        loader = self._loader
        self._load.disabled = True
        self._status.value = "Loading…"

        def work() -> None:
            try:
                data = loader(self._report)
                self._loaded = True
                self.set_data(data)  # inside the try: a bad frame shows its error instead of killing the thread
            except LinkkitError as exc:
                self._error.value = f"<div style='color:#b00020'><b>{html.escape(exc.message)}</b></div>"
                log.warning("analytics load failed: %s", exc.message)
            except Exception:
                self._error.value = "<div style='color:#b00020'>Loading failed; see the log.</div>"
                log.exception("analytics load failed")
            finally:
                self._loaded = True
                if self._model is None:
                    self._empty.value = EMPTY_MESSAGE
                self._load.disabled = False
                self._progress.layout.visibility = "hidden"

        self._thread = threading.Thread(target=work, name="linkkit-analytics-load", daemon=True)
        self._thread.start()

    def _report(self, done: int, total: int | None, message: str) -> None:
        self._progress.layout.visibility = "visible"
        if total:
            self._progress.value = min(1.0, done / total)
        self._status.value = html.escape(message)


def _plotly_output(figure: charts.Figure) -> dict[str, Any]:
    """A display_data output carrying the plotly mime bundle (rendered offline by Voila's labextension).

    Set as ``Output.outputs`` directly: data loads in a thread, where ``with output: display(fig)`` captures
    nothing (the Output context manager follows the kernel's main thread) and ``append_display_data`` formats a
    plotly figure to an empty bundle.
    """
    return {"output_type": "display_data", "data": charts.mime_bundle(figure), "metadata": {}}


def _money(value: float, currency: str) -> str:
    return f"{html.escape(str(currency))} {value:,.2f}" if pd.notna(value) else "–"


def _tiles_html(kpis: pd.DataFrame, reason: str | None = None) -> str:
    """KPI tiles, one row per currency (money is never summed across currencies)."""
    if kpis.empty:
        return f"<i>{html.escape(reason or 'No sales in this view.')}</i>"
    tile = (
        "<div style='display:inline-block;min-width:140px;margin:4px;padding:8px;border:1px solid #ddd;"
        "border-radius:6px'><small>{label}</small><br><b>{value}</b></div>"
    )
    rows = []
    for _, k in kpis.iterrows():
        cur = str(k["currency"])
        share = f"{k['linked_share']:.0%}" if pd.notna(k.get("linked_share")) else "–"
        parts = [
            tile.format(label="GMV", value=_money(k["gmv"], cur)),
            tile.format(label="Orders", value=f"{int(k['orders']):,}" if pd.notna(k["orders"]) else "–"),
            tile.format(label="Units", value=f"{int(k['units']):,}" if pd.notna(k["units"]) else "–"),
            tile.format(
                label="Buyers" if k.get("buyers_exact", True) else "Buyers (estimate)",
                value=(f"{int(k['buyers']):,}" if k.get("buyers_exact", True) else f"≈ {int(k['buyers']):,}")
                if pd.notna(k["buyers"])
                else "–",
            ),
            tile.format(label="AOV", value=_money(k["aov"], cur)),
            tile.format(label="Linked-account GMV", value=_money(k["linked_gmv"], cur)),
            tile.format(label="Share from linked accounts", value=share),
        ]
        rows.append("<div>" + "".join(parts) + "</div>")
    return "".join(rows)
