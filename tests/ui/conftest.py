"""Fixtures for widget tests: a reset sandbox, sandbox-mode settings on a temp registry, service factories."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as W
import pytest
import requests

from linkkit.config import Settings
from linkkit.linking import LinkService
from linkkit.models import Role

PUBLIC_URL = "http://127.0.0.1:8866"
REDIRECT = f"{PUBLIC_URL}/voila/render/01_link_accounts.ipynb"


def world_credentials(sandbox_url: str) -> dict[str, str]:
    """App credentials from the sandbox's ``GET /_sandbox/world`` (either shape the sandbox has used)."""
    world = requests.get(f"{sandbox_url}/_sandbox/world", timeout=10).json()
    apps = world.get("apps") or {}
    login = (apps.get("login_kit") or world.get("login_kit") or {}).get("desktop") or {}
    shop = apps.get("shop") or world.get("shop_app") or {}
    return {
        "client_key": login["client_key"], "client_secret": login["client_secret"],
        "app_key": shop["app_key"], "app_secret": shop["app_secret"], "service_id": shop["service_id"],
    }


@pytest.fixture
def sandbox(sandbox_server: Any) -> Iterator[Any]:
    """The session's sandbox, reset to its seeded world, with the shop app redirecting to our notebook."""
    url = sandbox_server.url
    requests.post(f"{url}/_sandbox/reset", json={}, timeout=30).raise_for_status()
    creds = world_credentials(url)
    requests.post(f"{url}/_sandbox/apps", json={"app_key": creds["app_key"], "redirect_url": REDIRECT},
                  timeout=10).raise_for_status()
    yield sandbox_server


@pytest.fixture
def settings(sandbox: Any, tmp_path: Path, secret_key: str) -> Settings:
    return Settings(mode="sandbox", sandbox_url=sandbox.url, public_url=PUBLIC_URL,
                    database_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}", secret_key=secret_key,
                    **world_credentials(sandbox.url))


@pytest.fixture
def new_service(settings: Settings) -> Callable[[], LinkService]:
    """A new LinkService on the same registry: what a new Voila kernel (another tab) would build."""
    return lambda: LinkService.from_settings(settings)


@pytest.fixture
def service(new_service: Callable[[], LinkService]) -> LinkService:
    return new_service()


def query_of(callback_url: str) -> str:
    return urlsplit(callback_url).query


def connect_shop(service: LinkService, seller: str = "maple_seller") -> list[Any]:
    """Authorize linkkit on a seller's shops without the UI."""
    start = service.begin_shop_authorization()
    callback = service.sandbox.consent(start.url, seller, "pass_good")
    return list(service.complete_authorization(callback).shops)


def link_account(service: LinkService, shop_id: str, role: Role, username: str, *, bind: bool = True) -> Any:
    """Link and verify an account without the UI (set-up for panel tests)."""
    start = service.begin_authorization(shop_id, role)
    callback = service.sandbox.consent(start.url, username, "pass_good")
    link = service.complete_authorization(callback).link
    if bind:
        service.sandbox.send_invitation(link.id)
        service.sandbox.accept_invitation(link.id)
        link = service.verify(link.id)
    return link


_TAG = re.compile(r"<[^>]+>")


def wait_shown(tab: Any, text: str, timeout: float = 10.0) -> None:
    """Block until ``text`` is on the page. A tab's watcher changes the wizard's fields inside a batch and the
    view redraws when the batch ends, so a test that waited for a field must still wait for what a person sees."""
    tab.wizard.wait_for(lambda: text in visible_text(tab), timeout)


def visible_text(widget: Any) -> str:
    """Everything a person could read in a widget tree (HTML stripped), skipping hidden widgets."""
    parts: list[str] = []

    def walk(w: Any) -> None:
        layout = getattr(w, "layout", None)
        if layout is not None and getattr(layout, "display", None) == "none":
            return
        if isinstance(w, W.HTML) and "<style>" not in (w.value or ""):
            parts.append(html.unescape(_TAG.sub(" ", w.value or "")))
        elif isinstance(w, W.Button):
            parts.append(w.description)
        elif isinstance(w, (W.Checkbox, W.Text)):
            parts.append(w.description)
        elif isinstance(w, W.RadioButtons | W.Dropdown):
            parts.extend(str(label) for label, _ in _options(w))
        elif hasattr(w, "label") and hasattr(w, "href"):
            parts.append(w.label)
        if isinstance(w, W.Accordion | W.Tab):
            parts.extend(w.titles or ())
        for child in getattr(w, "children", ()) or ():
            walk(child)

    walk(widget)
    return re.sub(r"\s+", " ", " ".join(parts))


def _options(w: Any) -> list[tuple[str, Any]]:
    opts = list(w.options)
    return [o if isinstance(o, tuple) else (str(o), o) for o in opts]


def find_all(widget: Any, predicate: Callable[[Any], bool], *, visible_only: bool = True) -> list[Any]:
    found: list[Any] = []

    def walk(w: Any) -> None:
        layout = getattr(w, "layout", None)
        if visible_only and layout is not None and getattr(layout, "display", None) == "none":
            return
        if predicate(w):
            found.append(w)
        for child in getattr(w, "children", ()) or ():
            walk(child)

    walk(widget)
    return found


def button(widget: Any, text: str) -> W.Button:
    """The one visible button whose label contains ``text``."""
    hits = find_all(widget, lambda w: isinstance(w, W.Button) and text in w.description)
    assert len(hits) == 1, f"{len(hits)} visible buttons match {text!r}: {[h.description for h in hits]}"
    return hits[0]


def link_button(widget: Any, text: str) -> Any:
    """The one visible AuthorizeLink whose label contains ``text``."""
    from linkkit.ui.components import AuthorizeLink

    hits = find_all(widget, lambda w: isinstance(w, AuthorizeLink) and text in w.label)
    assert len(hits) == 1, f"{len(hits)} visible links match {text!r}"
    return hits[0]
