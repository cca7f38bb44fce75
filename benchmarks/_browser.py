"""A running dashboard stack (sandbox + Voila, as ``make dashboard`` runs it) on a temporary registry, plus the
set-up steps a person would take, for the browser benchmarks and the screenshot script.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from linkkit.stack_demo import MAPLE as MAPLE  # re-exported for the benchmarks
from linkkit.stack_demo import DemoStack
from linkkit.stack_demo import demo_stack as _demo_stack

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


Demo = DemoStack  # the benchmarks' name for it


@contextmanager
def demo_stack(*, preheat: bool = True, pool_size: int = 1, **stack_options: Any) -> Iterator[Demo]:
    """Start sandbox + Voila on free ports over a fresh registry (preheated kernels, as ``make dashboard``);
    stop and clean up afterwards. ``stack_options`` go to :class:`linkkit.stack.Stack` (e.g.
    ``cull_idle_timeout``)."""
    with _demo_stack(preheat=preheat, pool_size=pool_size, **stack_options) as demo:
        yield demo


def link_row(page: Any, username: str) -> Any:
    """The linked-accounts table row of ``@username``."""
    return page.locator(".lk-trow", has=page.locator(".lk-names", has_text=username))
