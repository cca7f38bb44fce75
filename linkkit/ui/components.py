"""Small building blocks shared by the dashboard's views: styles, badges, an accessible "open in a new tab"
button, the problem card and the activity log.

Everything that shows text from TikTok or from an exception goes through :func:`esc` first.

Example:
    >>> badge("Connected", "ok")
    '<span class="lk-badge lk-badge-ok">Connected</span>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import anywidget
import ipywidgets as W
import traitlets
from markupsafe import Markup

from linkkit.models import Link, LinkStatus
from linkkit.ui.errors import Problem, Reporter, on_error

__all__ = [
    "AuthorizeLink",
    "FocusMover",
    "LogView",
    "PageUrl",
    "ProblemView",
    "badge",
    "button",
    "check_note_html",
    "css",
    "esc",
    "expiry_text",
    "html_block",
    "relative_time",
    "render",
    "set_html",
    "status_badge",
    "style_widget",
]


@cache
def _templates() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("linkkit.ui", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def render(name: str, **context: object) -> str:
    """Render one of ``linkkit/ui/templates`` (Jinja2, autoescaped: TikTok's text cannot inject markup)."""
    return str(_templates().get_template(name).render(**context))


def esc(value: object) -> str:
    """Escape any value for an HTML widget (TikTok display names, messages, URLs)."""
    return html.escape("" if value is None else str(value), quote=True)


@cache
def css() -> str:
    """The dashboard stylesheet (the same file the Voila template links)."""
    path = resources.files("linkkit").joinpath("share/jupyter/voila/templates/linkkit/static/linkkit.css")
    return path.read_text(encoding="utf-8")


#: Rules for keyboard, contrast and small screens (WCAG 2.1 AA), layered over the template's stylesheet.
ACCESS_CSS = """
.lk-app .lm-TabBar-tab, .lk-app .lm-TabBar-tabLabel { color: #3d3d3d; }
.lk-app .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel { color: #1f2328; }
.lk-app .lk-card, .lk-app .lk-card > .widget-html, .lk-app .lk-card-title .widget-html-content {
  overflow: visible; }
.lk-app .lk-card-title .widget-html-content { white-space: normal; }
.lk-app .lk-card-title h2:focus { outline: 2px solid #0969da; outline-offset: 2px; }
.lk-app .lk-card-title h2:focus:not(:focus-visible) { outline: none; }
@media (max-width: 520px) {
  .lk-app .widget-hbox, .lk-app .jupyter-widget-hbox { flex-wrap: wrap; }
  .lk-app .widget-checkbox, .lk-app .jupyter-widget-checkbox { width: 100% !important; height: auto; }
  .lk-app .widget-checkbox label, .lk-app .jupyter-widget-checkbox label { white-space: normal; height: auto;
    line-height: 1.4; }
  .lk-app .widget-label-basic, .lk-app .widget-inline-hbox .widget-label { white-space: normal; }
  .lk-app .widget-text, .lk-app .jupyter-widget-text { flex-wrap: wrap; width: 100% !important; }
  .lk-app .lm-TabBar, .lk-app .jupyter-widget-TabBar { height: auto !important; min-height: 0; }
  .lk-app .lm-TabBar-content { flex-wrap: wrap; }
  .lk-app .lm-TabBar-tab { max-width: none !important; flex: 0 0 auto !important; }
  .lk-app table.lk-history, .lk-app table.lk-history thead, .lk-app table.lk-history tbody,
  .lk-app table.lk-history tr, .lk-app table.lk-history td { display: block; width: 100%; }
  .lk-app table.lk-history thead { position: absolute; left: -9999px; }
  .lk-app table.lk-history tr { border-bottom: 1px solid #d0d7de; padding: 6px 0; }
  .lk-app table.lk-history td { border: none; padding: 2px 0; }
  .lk-app table.lk-history td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""


def style_widget() -> W.HTML:
    """An invisible widget carrying the stylesheets, for JupyterLab (Voila links the template's too)."""
    widget = W.HTML(f"<style>{css()}{ACCESS_CSS}</style>")
    widget.layout.display = "none"
    return widget


def html_block(content: str = "", *classes: str) -> W.HTML:
    """An HTML widget with linkkit classes. ``content`` must already be escaped."""
    widget = W.HTML(content)
    for cls in classes:
        widget.add_class(cls)
    return widget


def set_html(widget: W.HTML, value: str) -> None:
    """Set an HTML widget's content and hide it when empty (so empty slots leave no gap)."""
    widget.value = value
    widget.layout.display = "" if value else "none"


def button(description: str, *, style: str = "", tooltip: str = "", disabled: bool = False) -> W.Button:
    """A labelled button (``style``: ``primary``, ``danger``, ``info``, ``warning`` or ``""``)."""
    btn = W.Button(description=description, button_style=style, tooltip=tooltip or description, disabled=disabled)
    btn.layout.width = "auto"
    return btn


def badge(text: str, kind: str = "muted") -> str:
    """A pill. ``text`` is escaped."""
    return str(Markup('<span class="lk-badge lk-badge-{}">{}</span>').format(kind, text))


_STATUS_KIND = {
    LinkStatus.CONNECTED: "ok",
    LinkStatus.AWAITING_SELLER_CENTER: "info",
    LinkStatus.AWAITING_EVIDENCE: "warn",
    LinkStatus.FOUND_IN_SELLER_CENTER: "info",
    LinkStatus.PENDING: "muted",
    LinkStatus.NEEDS_ATTENTION: "bad",
    LinkStatus.UNLINKED: "muted",
}


def status_badge(status: LinkStatus) -> str:
    return badge(status.label, _STATUS_KIND.get(status, "muted"))


_COULD_NOT_CHECK = {"provider_unavailable": "TikTok unavailable", "rate_limited": "TikTok is limiting requests"}


def check_note_html(link: Link) -> str:
    """The "last check failed" note of a link whose latest verification could not reach TikTok ("" if none).

    The link kept its previous status; the note says why it was not checked and when that was.
    """
    if link.last_check_failed_at is None:
        return ""
    why = _COULD_NOT_CHECK.get(link.last_check_failed_reason or "", "TikTok unavailable")
    return str(Markup('<span class="lk-check-note lk-small lk-amber" role="note">Last check failed — {} ({}). '
                      "The status shown is from the check before.</span>").format(
        why, format_time(link.last_check_failed_at)))


def _now() -> datetime:
    return datetime.now(UTC)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        return _plural(max(1, round(seconds)), "second") if seconds < 60 else "1 minute"
    if seconds < 90 * 60:
        return _plural(round(seconds / 60), "minute")
    if seconds < 36 * 3600:
        return _plural(round(seconds / 3600), "hour")
    return _plural(round(seconds / 86400), "day")


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """``"5 minutes ago"`` / ``"in 3 days"`` / ``"never"``."""
    if when is None:
        return "never"
    now = now or _now()
    delta = (when - now).total_seconds()
    if abs(delta) < 30:
        return "just now"
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


def expiry_text(expires_at: datetime | None, now: datetime | None = None) -> tuple[str, str]:
    """Token expiry as (text, css class): amber within 7 days, red once expired."""
    if expires_at is None:
        return ("no expiry recorded", "lk-muted")
    now = now or _now()
    seconds = (expires_at - now).total_seconds()
    if seconds <= 0:
        return (f"expired {_span(seconds)} ago", "lk-red")
    text = f"expires in {_span(seconds)}"
    return (text, "lk-amber" if seconds <= 7 * 86400 else "")


def format_time(when: datetime | None) -> str:
    if when is None:
        return "—"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- open-in-a-new-tab button

_LINK_ESM = """
function render({ model, el }) {
  const a = document.createElement("a");
  a.target = "_blank";
  a.rel = "noopener";
  const sync = () => {
    const href = model.get("href");
    const off = model.get("disabled") || !href;
    a.className = "lk-btn " + (model.get("kind") === "secondary" ? "lk-btn-secondary" : "lk-btn-primary");
    a.textContent = model.get("label");
    a.setAttribute("role", "button");
    if (off) {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
      a.tabIndex = 0;
    } else {
      a.href = href;
      a.removeAttribute("aria-disabled");
      a.tabIndex = 0;
    }
    const tip = model.get("hint");
    if (tip) { a.title = tip; } else { a.removeAttribute("title"); }
  };
  a.addEventListener("click", (event) => {
    if (a.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
    model.set("clicks", model.get("clicks") + 1);
    model.save_changes();
  });
  a.addEventListener("keydown", (event) => {
    if (event.key === " " && a.getAttribute("aria-disabled") !== "true") { event.preventDefault(); a.click(); }
  });
  for (const name of ["href", "label", "disabled", "kind", "hint"]) { model.on("change:" + name, sync); }
  sync();
  el.appendChild(a);
}
export default { render };
"""


class AuthorizeLink(anywidget.AnyWidget):
    """A real link styled as a button that opens ``href`` in a new tab and tells the kernel it was used.

    A widget ``Button`` cannot open a page without a pop-up blocker stepping in; an ``<a target=_blank>`` can,
    and is keyboard reachable. ``clicks`` counts activations (call :meth:`click` in tests).
    """

    _esm = _LINK_ESM
    href = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Open").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("primary").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)

    def click(self) -> None:
        """Act as if the person activated the link (widget tests)."""
        if not self.disabled and self.href:
            self.clicks += 1


_URL_ESM = """
function render({ model, el }) {
  const clean = () => {
    if (model.get("clean") && window.location.search) {
      window.history.replaceState(null, "", window.location.pathname);
    }
  };
  model.on("change:clean", clean);
  clean();
}
export default { render };
"""


_FOCUS_ESM = """
function render({ model, el }) {
  const move = () => {
    const selector = model.get("target");
    if (!selector || !model.get("nonce")) { return; }
    // the new step's card is drawn by the same message burst: wait a frame or two for it
    let tries = 0;
    const attempt = () => {
      const node = document.querySelector(selector);
      if (node) { node.focus({ preventScroll: false }); return; }
      if (++tries < 20) { requestAnimationFrame(attempt); }
    };
    requestAnimationFrame(attempt);
  };
  model.on("change:nonce", move);
}
export default { render };
"""


class FocusMover(anywidget.AnyWidget):
    """Moves keyboard focus to ``target`` (a CSS selector) each time :meth:`focus` is called.

    The wizard calls it on every step change so focus lands on the new step's heading instead of the page body.
    """

    _esm = _FOCUS_ESM
    target = traitlets.Unicode("").tag(sync=True)
    nonce = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout.display = "none"

    def focus(self, selector: str) -> None:
        """Move focus to the element ``selector`` names."""
        self.target = selector
        self.nonce += 1


class PageUrl(anywidget.AnyWidget):
    """Removes ``?code=…&state=…`` from the address bar once a callback was consumed (so a reload is clean)."""

    _esm = _URL_ESM
    clean = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout.display = "none"


# --------------------------------------------------------------------------- problems and the log


def problem_html(problem: Problem) -> str:
    """The troubleshooting entry of a problem, as HTML (``problem.html``, autoescaped)."""
    return render("problem.html", p=problem)


class ProblemView(W.VBox):
    """Shows a reporter's current problem with Retry (when retryable) and Dismiss."""

    def __init__(self, reporter: Reporter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reporter = reporter
        self._text = html_block("")
        self._retry = button("Try again", style="primary")
        self._dismiss = button("Dismiss")
        self._retry.on_click(self._on_retry)
        self._dismiss.on_click(self._on_dismiss)
        self._buttons = W.HBox([self._retry, self._dismiss])
        self._buttons.add_class("lk-row")
        self.children = [self._text, self._buttons]
        self.add_class("lk-panel")
        self.add_class("lk-panel-bad")
        reporter.observe(self._render, names="problem")
        self._render()

    def _render(self, _change: Any = None) -> None:
        problem = self.reporter.problem
        if problem is None:
            self.layout.display = "none"
            self._text.value = ""
            return
        self._text.value = problem_html(problem)
        self._retry.layout.display = "" if (problem.retryable and self.reporter.retry_action) else "none"
        self.layout.display = ""

    @on_error("Try again")
    def _on_retry(self, _button: W.Button) -> None:
        """Try again."""
        action = self.reporter.retry_action
        self.reporter.clear()
        if action is not None:
            action()

    def _on_dismiss(self, _button: W.Button) -> None:
        self.reporter.clear()


class LogView(W.Accordion):
    """A collapsible activity log (redacted), so no failure is ever silent."""

    def __init__(self, reporter: Reporter, **kwargs: Any) -> None:
        self._pre = html_block("", "lk-log")
        super().__init__(children=[self._pre], **kwargs)
        self.reporter = reporter
        self.set_title(0, "Activity log")
        self.selected_index = None
        reporter.observe(self._render, names="lines")
        self._render()

    def _render(self, _change: Any = None) -> None:
        lines = self.reporter.lines or ["Nothing to report yet."]
        self._pre.value = str(Markup("<pre>{}</pre>").format("\n".join(lines)))
        self.set_title(0, f"Activity log ({len(self.reporter.lines)})")


def bullet_list(items: Iterable[str], ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    items_html = Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    return str(Markup(f"<{tag}>") + items_html + Markup(f"</{tag}>"))  # noqa: S704 - tag is "ol" or "ul"
