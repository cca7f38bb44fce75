"""One kernel per open page: closing or reloading a tab shuts its kernel down; orphans are culled; open pages never.

Each test starts its own stack (``linkkit.cli.Stack``, what ``linkkit dashboard`` runs) so that no other test's
pages change the count. Voila standalone has no kernel list, so the count is the server's own: the kernel processes
whose parent is the Voila process, cross-checked per page with Voila's ``GET api/kernels/<id>`` (404 once gone).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from cryptography.fernet import Fernet

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]  # 20+ page loads

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE = 1
WAIT = 60.0


class KernelCounter:
    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.voila = psutil.Process(stack.processes[-1].pid)
        self.preheated = POOL_SIZE * len(list(stack.notebooks.glob("*.ipynb")))

    def kernels(self) -> list[psutil.Process]:
        found = []
        for child in self.voila.children(recursive=True):
            try:
                if "ipykernel" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def count(self) -> int:
        return len(self.kernels())

    def wait_for(self, expected: int, timeout: float = WAIT) -> int:
        """Poll until exactly ``expected`` kernels run; returns the last count seen."""
        deadline = time.monotonic() + timeout
        seen = self.count()
        while seen != expected and time.monotonic() < deadline:
            time.sleep(0.5)
            seen = self.count()
        return seen

    def exists(self, kernel_id: str) -> bool:
        status = requests.get(f"{self.stack.local_url}/api/kernels/{kernel_id}", timeout=10).status_code
        assert status in (200, 404), status
        return status == 200


def start_stack(tmp_path: Path, **options: Any) -> Any:
    from linkkit.cli import Stack, free_port, notebooks_dir

    env = {
        "LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": Fernet.generate_key().decode(),
        "LINKKIT_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    stack = Stack(notebooks_dir(), voila_port=free_port(), sandbox_port=free_port(), env=env, quiet=True,
                  preheat=True, pool_size=POOL_SIZE, **options)
    return stack.start()


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    started: list[Any] = []

    def make(**options: Any) -> Any:
        stack = start_stack(tmp_path, **options)
        started.append(stack)
        return stack

    try:
        yield make
    finally:
        for stack in started:
            stack.stop()


def open_wizard(context: Any, url: str) -> tuple[Any, str]:
    """A new tab on the wizard, once its first step shows; returns the page and its kernel id."""
    page = context.new_page()
    page.goto(url)
    try:
        page.get_by_text("Step 1 of 5").wait_for()
    except Exception:
        shot(page, "failed-kernels-open-wizard")
        raise
    return page, kernel_id(page)


def kernel_id(page: Any) -> str:
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    return str(config["kernelId"])


def test_twenty_opened_and_closed_wizards_leave_only_the_preheated_kernels(
        context: Any, stack_factory: Callable[..., Any]) -> None:
    stack = stack_factory()
    kernels = KernelCounter(stack)
    baseline = kernels.wait_for(kernels.preheated)
    assert baseline == kernels.preheated, f"the pool should hold {kernels.preheated} kernels, found {baseline}"

    seen: list[str] = []
    pages_opened = 0
    for round_ in range(4):  # 5 page loads a round
        # 1. open and close a tab
        page, kid = open_wizard(context, stack.local_dashboard_url)
        pages_opened += 1
        seen.append(kid)
        assert kernels.wait_for(baseline + 1) == baseline + 1, f"round {round_}: one open page, one kernel"
        page.close(run_before_unload=True)
        # 2. a tab reloaded twice, then closed: each reload replaces the kernel
        page, kid = open_wizard(context, stack.local_dashboard_url)
        pages_opened += 1
        seen.append(kid)
        for _ in range(2):
            page.reload()
            page.get_by_text("Step 1 of 5").wait_for()
            pages_opened += 1
            seen.append(kernel_id(page))
            assert seen[-1] != seen[-2], "a reload should get a kernel of its own"
            assert kernels.wait_for(baseline + 1) == baseline + 1, f"round {round_}: a reloaded page keeps one"
        # 3. the OAuth return tab (the wizard's URL with code and state): linkkit's server answers it, no kernel
        returned = context.new_page()
        returned.goto(stack.local_dashboard_url + "?code=not-a-code&state=not-a-state")
        returned.locator("#lk-outcome").wait_for()
        assert kernels.wait_for(baseline + 1) == baseline + 1, f"round {round_}: the return tab started a kernel"
        returned.close(run_before_unload=True)
        # 4. a second wizard tab beside the first
        second, kid2 = open_wizard(context, stack.local_dashboard_url)
        pages_opened += 1
        seen.append(kid2)
        assert kernels.wait_for(baseline + 2) == baseline + 2, f"round {round_}: two open pages, two kernels"
        second.close(run_before_unload=True)
        page.close(run_before_unload=True)
        assert kernels.wait_for(baseline) == baseline, f"round {round_}: every closed page's kernel shut down"

    assert pages_opened == 20
    assert len(set(seen)) == 20
    assert kernels.wait_for(baseline) == baseline
    assert not [kid for kid in seen if kernels.exists(kid)], "Voila still knows kernels of closed pages"


def test_orphaned_kernels_are_culled_and_an_open_page_is_not(context: Any, stack_factory: Callable[..., Any]) -> None:
    # Short timings only here, to see culling happen within the test (the dashboard uses CULL_IDLE_TIMEOUT). They
    # stay longer than a page's start-up: Voila protects preheated kernels from culling only once they are ready.
    stack = stack_factory(cull_idle_timeout=20, cull_interval=2)
    kernels = KernelCounter(stack)
    baseline = kernels.wait_for(kernels.preheated)
    assert baseline == kernels.preheated

    kept, kept_id = open_wizard(context, stack.local_dashboard_url)
    # A page whose shutdown request never arrives (a crashed browser, a dropped network).
    orphan_context = context.browser.new_context()
    orphan_context.set_default_timeout(45_000)
    try:
        orphan_context.route("**/voila/api/shutdown/**", lambda route: route.abort())
        orphan, orphan_id = open_wizard(orphan_context, stack.local_dashboard_url)
        # Both pages' kernels run (the count also moves with the preheat pool refilling: ask for the two ids).
        assert kernels.exists(kept_id) and kernels.exists(orphan_id)
        orphan.close(run_before_unload=True)
    finally:
        orphan_context.close()

    deadline = time.monotonic() + WAIT + 20
    while kernels.exists(orphan_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not kernels.exists(orphan_id), "the orphaned kernel was not culled"
    # The open page sat idle well past the cull timeout: its kernel is still there and the page still works.
    assert kernels.exists(kept_id)
    assert kernels.wait_for(baseline + 1) == baseline + 1
    kept.get_by_text("Step 1 of 5").wait_for()
    kept.close(run_before_unload=True)
    assert kernels.wait_for(baseline) == baseline
