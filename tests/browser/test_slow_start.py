"""A linkkit page whose app never appears tells the seller to reload it, instead of spinning forever.

The Voila template's start watchdog (``linkkit/share/jupyter/voila/templates/linkkit/index.html.j2``) runs only in
pages whose notebook metadata says ``"linkkit": {"app": true}``. These tests serve three small notebooks through
the real stack (``Stack``: Voila with linkkit's template) with a 1.5 s limit instead of the default 30 s:

- ``stuck``: an app page whose cell never builds the app (what a widget manager that gave up looks like);
- ``fine``: an app page whose app appears (a widget with the ``lk-app`` class);
- ``plain``: a notebook that is not an app page (an analyst's notebook opened in Voila).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkkit.stack import Stack, free_port

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTICE = "linkkit is taking longer than usual to open."


def _notebook(path: Path, source: str, meta: dict[str, Any]) -> None:
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": source}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     **meta},
        "nbformat": 4, "nbformat_minor": 5,
    }))


@pytest.fixture
def pages(tmp_path: Path, secret_key: str) -> Iterator[str]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    app = {"linkkit": {"app": True, "start_timeout_ms": 1500}}
    _notebook(folder / "stuck.ipynb", "print('still starting')", app)
    _notebook(folder / "fine.ipynb", "import ipywidgets as w\nbox = w.HTML('ready')\nbox.add_class('lk-app')\nbox",
              app)
    _notebook(folder / "plain.ipynb", "print('an analyst notebook')", {"linkkit": {"start_timeout_ms": 1500}})
    env = {"LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}", "LINKKIT_SECRET_KEY": secret_key}
    with Stack(folder, voila_port=free_port(), sandbox_port=None, env=env, quiet=True, preheat=False) as stack:
        yield f"{stack.local_url}/voila/render"


def test_an_app_page_that_never_opens_offers_a_reload(pages: str, context: Any) -> None:
    page = context.new_page()
    page.goto(f"{pages}/stuck.ipynb")
    notice = page.get_by_role("alert").filter(has_text=NOTICE)
    notice.wait_for(state="visible", timeout=20_000)
    assert "Nothing you did is lost: reload this page" in notice.inner_text()
    shot(page, "slow-start-notice")
    page.wait_for_load_state("load")
    page.evaluate("window.__before_reload = true")
    with page.expect_navigation():
        notice.get_by_role("button", name="Reload").click()
    assert page.evaluate("window.__before_reload === undefined")  # a fresh page, not the same one
    page.get_by_role("alert").filter(has_text=NOTICE).wait_for(state="visible", timeout=20_000)


def test_an_app_page_that_opens_and_a_notebook_that_is_no_app_show_no_notice(pages: str, context: Any) -> None:
    for name, shown in (("fine", "ready"), ("plain", "an analyst notebook")):
        page = context.new_page()
        page.goto(f"{pages}/{name}.ipynb")
        page.get_by_text(shown).wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(3_000)  # twice the page's limit
        assert page.get_by_text(NOTICE).count() == 0, name
        page.close()


def test_linkkits_own_pages_arm_the_watchdog() -> None:
    from linkkit.stack import notebooks_dir

    armed = {p.name for p in notebooks_dir().glob("*.ipynb")
             if (json.loads(p.read_text())["metadata"].get("linkkit") or {}).get("app")}
    assert armed == {"01_link_accounts.ipynb", "02_linked_accounts.ipynb"}  # not the analyst's notebook
