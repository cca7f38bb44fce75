"""A throw-away sandbox dashboard: a :class:`~linkkit.stack.Stack` on a fresh registry, and the set-up steps a
seller would take, done without the UI.

The browser tests, the browser benchmarks and the screenshot script start their dashboards with it, so that
what they drive is what ``make dashboard`` runs.

Example (not run here: it starts processes)::

    with demo_stack(preheat=False) as demo:
        demo.connect_shop("maple_seller")
        demo.link(Role.OFFICIAL, "maple.official")
        print(demo.panel_url)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkkit.errors import ConfigError, LinkError
from linkkit.stack import PANEL_NOTEBOOK, Stack, free_port, notebooks_dir

if TYPE_CHECKING:
    from linkkit.config import Settings
    from linkkit.linking import LinkService
    from linkkit.linking.sandbox_actions import SandboxActions
    from linkkit.models import Link, Role, Shop

__all__ = ["DEMO_PASSWORD", "MAPLE", "DemoStack", "demo_stack"]

#: The sandbox's one password for every demo login.
DEMO_PASSWORD = "pass_good"
#: Maple & Co's shop id in the demo world.
MAPLE = "7494100000000000101"


class DemoStack:
    """A running stack plus a :class:`~linkkit.linking.LinkService` on the same registry."""

    def __init__(self, stack: Stack, settings: Settings) -> None:
        self.stack = stack
        self.settings = settings

    @property
    def wizard_url(self) -> str:
        return self.stack.dashboard_url

    @property
    def panel_url(self) -> str:
        return f"{self.stack.public_url}/voila/render/{PANEL_NOTEBOOK}"

    @property
    def sandbox_url(self) -> str:
        return str(self.stack.sandbox_url)

    def service(self) -> LinkService:
        """A service on the stack's registry (for set-up and assertions)."""
        from linkkit.linking import LinkService

        return LinkService.from_settings(self.settings)

    def connect_shop(self, seller: str = "maple_seller") -> list[Shop]:
        """Authorize linkkit on the seller's shops without the UI."""
        service = self.service()
        try:
            start = service.begin_shop_authorization()
            callback = _sandbox(service).consent(start.url, seller, DEMO_PASSWORD)
            return list(service.complete_authorization(callback).shops)
        finally:
            service.store.close()

    def link(self, role: Role, username: str, *, shop_id: str = MAPLE, bind: bool = True) -> Link:
        """Link (and, with ``bind``, invite, accept and verify) an account without the UI."""
        service = self.service()
        try:
            sandbox = _sandbox(service)
            start = service.begin_authorization(shop_id, role)
            link = service.complete_authorization(sandbox.consent(start.url, username, DEMO_PASSWORD)).link
            if link is None:
                raise LinkError(f"@{username} was not linked.", reason="link_not_found")
            if bind:
                sandbox.send_invitation(link.id)
                sandbox.accept_invitation(link.id)
                link = service.verify(link.id)
            return link
        finally:
            service.store.close()


def _sandbox(service: LinkService) -> SandboxActions:
    if service.sandbox is None:
        raise ConfigError("The demo stack runs in sandbox mode only.", reason="config_invalid")
    return service.sandbox


@contextmanager
def demo_stack(work: Path | None = None, *, env: dict[str, str] | None = None,
               **stack_options: Any) -> Iterator[DemoStack]:
    """Start sandbox + Voila (+ the monitor) on free ports over a fresh registry in ``work`` (a temporary folder,
    removed afterwards, when ``None``); stop everything on exit. ``env`` adds to the processes' environment;
    ``stack_options`` go to :class:`Stack`."""
    from cryptography.fernet import Fernet

    from linkkit.config import Settings

    folder = work or Path(tempfile.mkdtemp(prefix="linkkit-demo-"))
    key = Fernet.generate_key().decode()
    source_root = str(Path(__file__).resolve().parents[1])  # the checkout (or site-packages) kernels import from
    env = {
        **(env or {}),
        "LINKKIT_DATABASE_URL": f"sqlite:///{folder / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": key,
        "LINKKIT_HOME": str(folder),
        "PYTHONPATH": os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p),
    }
    stack = Stack(notebooks_dir(), voila_port=free_port(), sandbox_port=free_port(), env=env, quiet=True,
                  **stack_options)
    stack.start()
    try:
        settings = Settings(mode="sandbox", sandbox_url=str(stack.sandbox_url), public_url=stack.public_url,
                            database_url=env["LINKKIT_DATABASE_URL"], secret_key=key)
        yield DemoStack(stack, settings)
    finally:
        stack.stop()
        if work is None:
            shutil.rmtree(folder, ignore_errors=True)
