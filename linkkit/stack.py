"""The dashboard's processes: the sandbox, the health monitor and Voila, started and stopped together.

:class:`Stack` is what ``linkkit dashboard`` (``make dashboard``) runs, and the same start-up code the browser tests
and benchmarks use on free ports. ``linkkit.cli`` re-exports :class:`Stack`, :func:`free_port` and
:func:`notebooks_dir` under their old names.

Example:
    >>> from pathlib import Path
    >>> stack = Stack(Path("notebooks"), voila_port=9000, sandbox_port=None, base_url="lk")
    >>> stack.dashboard_url
    'http://127.0.0.1:9000/lk/voila/render/01_link_accounts.ipynb'
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import requests

__all__ = ["CULL_IDLE_TIMEOUT", "CULL_INTERVAL", "PANEL_NOTEBOOK", "WIZARD_NOTEBOOK", "Stack", "free_port",
           "notebooks_dir"]

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = PACKAGE_DIR / "share" / "jupyter"
WIZARD_NOTEBOOK = "01_link_accounts.ipynb"
PANEL_NOTEBOOK = "02_linked_accounts.ipynb"

#: Kernel culling (jupyter_server's ``MappingKernelManager``). A page closed without its shutdown request (a
#: crashed browser, a dropped network, a tab closed while its page was still loading) leaves its kernel orphaned:
#: once no browser is connected to it and it has been idle this long, it is shut down. Kernels with a connected
#: page are never culled (``cull_connected`` is off), so an open wizard, however long it sits untouched, keeps its
#: kernel. Ten minutes cannot end a page that could still be used: a page that lost its websocket retries 7 times
#: with random waits of at most 2**n - 1 seconds (JupyterLab's ``KernelConnection``, the code Voila's page runs:
#: ``_reconnectLimit=7``), so it gives up within 2 minutes, and a page that gave up needs a reload anyway.
CULL_IDLE_TIMEOUT = 600
CULL_INTERVAL = 60

def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    # SO_REUSEADDR as tornado sets it when the servers bind: a port whose last connections sit in TIME_WAIT
    # after Ctrl-C is free for them, so it must count as free here too (restarting at once works).
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def notebooks_dir() -> Path:
    """The folder of notebooks shipped inside the package (what the dashboard serves)."""
    folder = resources.files("linkkit") / "notebooks"
    return Path(str(folder))


def _wait_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} did not start: the process exited with code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _normal_base_url(base_url: str) -> str:
    return "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"


class Stack:
    """The sandbox, Voila and the health monitor as child processes.

    Args:
        notebooks: The folder Voila serves.
        voila_port: Voila's port (8866 for the dashboard, a free one in tests).
        sandbox_port: The sandbox's port (8765 by default); ``None`` starts no sandbox.
        env: Extra environment for Voila's kernels (``LINKKIT_*``).
        preheat: Preheat kernels (``voila.utils.get_query_string()`` then waits for the real request).
        pool_size: Preheated kernels kept ready per notebook.
        ip: The interface Voila binds.
        base_url: Voila's path prefix (``/`` or e.g. ``/linkkit/``).
        public_url: The address people (and TikTok's redirect) use; derived from ip, port and base URL if ``None``.
        cull_idle_timeout: Seconds an orphaned kernel may sit idle before it is shut down (0: never).
        cull_interval: Seconds between culling passes.
    """

    def __init__(self, notebooks: Path, *, voila_port: int = 8866, sandbox_port: int | None = 8765,
                 env: dict[str, str] | None = None, preheat: bool = True, pool_size: int = 1,
                 quiet: bool = False, ip: str = "127.0.0.1", base_url: str = "/", public_url: str | None = None,
                 cull_idle_timeout: int = CULL_IDLE_TIMEOUT, cull_interval: int = CULL_INTERVAL) -> None:
        self.notebooks = notebooks
        self.voila_port = voila_port
        self.sandbox_port = sandbox_port
        self.extra_env = dict(env or {})
        self.preheat = preheat
        self.pool_size = pool_size
        self.quiet = quiet
        self.ip = ip
        self.base_url = _normal_base_url(base_url)
        self._public_url = public_url.rstrip("/") if public_url else None
        self.cull_idle_timeout = cull_idle_timeout
        self.cull_interval = cull_interval
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def _local_host(self) -> str:
        return "127.0.0.1" if self.ip in ("", "0.0.0.0", "::") else self.ip  # noqa: S104 (comparison only)

    @property
    def local_url(self) -> str:
        """Where this machine reaches Voila (no trailing slash)."""
        host = f"[{self._local_host}]" if ":" in self._local_host else self._local_host
        return f"http://{host}:{self.voila_port}{self.base_url.rstrip('/')}"

    @property
    def public_url(self) -> str:
        """The configured public URL, or the local one (no trailing slash)."""
        return self._public_url or self.local_url

    @property
    def sandbox_url(self) -> str | None:
        return f"http://127.0.0.1:{self.sandbox_port}" if self.sandbox_port else None

    @property
    def dashboard_url(self) -> str:
        """The wizard at the public URL: TikTok's redirect URI."""
        return f"{self.public_url}/voila/render/{WIZARD_NOTEBOOK}"

    @property
    def local_dashboard_url(self) -> str:
        """The wizard at the local URL."""
        return f"{self.local_url}/voila/render/{WIZARD_NOTEBOOK}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OAUTHLIB_", "HTTP_PROXY", "HTTPS_PROXY"))}
        env.update(self.extra_env)
        env["LINKKIT_PUBLIC_URL"] = self.public_url
        if self.sandbox_url:
            env.setdefault("LINKKIT_MODE", "sandbox")
            env["LINKKIT_SANDBOX_URL"] = self.sandbox_url
        if TEMPLATE_ROOT.is_dir():
            env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), env.get("JUPYTER_PATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def voila_command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "linkkit.web", str(self.notebooks), "--no-browser", f"--port={self.voila_port}",
            f"--Voila.ip={self.ip}", f"--Voila.base_url={self.base_url}", "--show_tracebacks=False",
            "--ServerApp.disable_check_xsrf=False",
            f"--MappingKernelManager.cull_idle_timeout={self.cull_idle_timeout}",
            f"--MappingKernelManager.cull_interval={self.cull_interval}",
            "--MappingKernelManager.cull_connected=False",
        ]
        if (TEMPLATE_ROOT / "voila" / "templates" / "linkkit").is_dir():
            cmd.append("--template=linkkit")
        if self.preheat:
            cmd += ["--preheat_kernel=True", f"--pool_size={self.pool_size}"]
        return cmd

    def start(self, timeout: float = 90.0) -> Stack:
        for port, host in ((self.sandbox_port, "127.0.0.1"), (self.voila_port, self._local_host)):
            if port and not _port_free(port, host):
                raise RuntimeError(f"Port {port} on {host} is already in use (another linkkit dashboard?). "
                                   "Stop it, or choose other ports with --port / --sandbox-port.")
        env = self.environment()
        out = subprocess.DEVNULL if self.quiet else None
        try:
            if self.sandbox_port:
                sandbox = subprocess.Popen(
                    [sys.executable, "-m", "linkkit.sandbox", "--host", "127.0.0.1", "--port", str(self.sandbox_port)],
                    env=env, stdout=out, stderr=out, start_new_session=True)
                self.processes.append(sandbox)
                _wait_http(f"{self.sandbox_url}/_sandbox/clock", timeout, sandbox)
                # TikTok Shop redirects to the app's configured URL, so point the sandbox app at this Voila.
                from linkkit.sandbox_client import SandboxControl

                SandboxControl(f"{self.sandbox_url}/_sandbox").set_shop_redirect(self.dashboard_url)
            from linkkit.monitor.stack import start_monitor  # the health monitor; the sandbox's webhooks go to it

            self.processes += start_monitor(env, sandbox_url=self.sandbox_url, output=out, timeout=timeout)
            voila = subprocess.Popen(self.voila_command(), env=env, stdout=out, stderr=out, start_new_session=True)
            self.processes.append(voila)
            _wait_http(self.local_url + "/", timeout, voila)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
