"""A running dashboard stack (sandbox + Voila, as ``make dashboard`` runs it) on a temporary registry, plus the
set-up steps a person would take, for the browser benchmarks and the screenshot script.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MAPLE = "7494100000000000101"


class Demo:
    """The stack's URLs and a :class:`~linkkit.linking.LinkService` on the same registry."""

    def __init__(self, stack: Any, settings: Any) -> None:
        self.stack = stack
        self.settings = settings

    @property
    def wizard_url(self) -> str:
        return str(self.stack.dashboard_url)

    @property
    def panel_url(self) -> str:
        return f"{self.stack.public_url}/voila/render/02_linked_accounts.ipynb"

    def service(self) -> Any:
        from linkkit.linking import LinkService

        return LinkService.from_settings(self.settings)

    def connect_shop(self, seller: str = "maple_seller") -> list[Any]:
        service = self.service()
        start = service.begin_shop_authorization()
        return list(service.complete_authorization(service.sandbox.consent(start.url, seller, "pass_good")).shops)

    def link(self, role: Any, username: str, *, shop_id: str = MAPLE, bind: bool = True) -> Any:
        service = self.service()
        start = service.begin_authorization(shop_id, role)
        link = service.complete_authorization(service.sandbox.consent(start.url, username, "pass_good")).link
        if bind:
            service.sandbox.send_invitation(link.id)
            service.sandbox.accept_invitation(link.id)
            link = service.verify(link.id)
        return link


@contextmanager
def demo_stack(*, preheat: bool = True, pool_size: int = 1, **stack_options: Any) -> Iterator[Demo]:
    """Start sandbox + Voila on free ports over a fresh registry; stop and clean up afterwards.

    ``stack_options`` go to :class:`linkkit.stack.Stack` (e.g. ``cull_idle_timeout``).
    """
    from linkkit.cli import Stack, free_port
    from linkkit.config import Settings

    work = Path(tempfile.mkdtemp(prefix="linkkit-bench-"))
    key = Fernet.generate_key().decode()
    env = {
        "LINKKIT_DATABASE_URL": f"sqlite:///{work / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": key,
        "LINKKIT_HOME": str(work),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    stack = Stack(ROOT / "linkkit" / "notebooks", voila_port=free_port(), sandbox_port=free_port(), env=env,
                  quiet=True, preheat=preheat, pool_size=pool_size, **stack_options)
    stack.start()
    try:
        settings = Settings(mode="sandbox", sandbox_url=stack.sandbox_url, public_url=stack.public_url,
                            database_url=env["LINKKIT_DATABASE_URL"], secret_key=key)
        yield Demo(stack, settings)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)


def link_row(page: Any, username: str) -> Any:
    """The linked-accounts table row of ``@username``."""
    return page.locator(".lk-trow", has=page.locator(".lk-names", has_text=username))
