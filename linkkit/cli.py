"""The ``linkkit`` command: dashboard, sandbox, status, verify, export, bench.

``linkkit dashboard`` is what ``make dashboard`` runs: it starts the sandbox (in sandbox mode) and Voila serving
``notebooks/`` on 127.0.0.1:8866, prints the URL, and stops both cleanly on Ctrl-C. :class:`Stack` is the same
start-up code, used by the browser tests on free ports.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

__all__ = ["Stack", "free_port", "main"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = PACKAGE_DIR / "share" / "jupyter"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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


class Stack:
    """The sandbox and Voila as child processes.

    Args:
        notebooks: The folder Voila serves.
        voila_port: Voila's port (8866 for the dashboard, a free one in tests).
        sandbox_port: The sandbox's port (8765 by default); ``None`` in live mode.
        env: Extra environment for Voila's kernels (``LINKKIT_*``).
        preheat: Preheat kernels (``voila.utils.get_query_string()`` then waits for the real request).
    """

    def __init__(self, notebooks: Path, *, voila_port: int = 8866, sandbox_port: int | None = 8765,
                 env: dict[str, str] | None = None, preheat: bool = True, pool_size: int = 1,
                 quiet: bool = False) -> None:
        self.notebooks = notebooks
        self.voila_port = voila_port
        self.sandbox_port = sandbox_port
        self.extra_env = dict(env or {})
        self.preheat = preheat
        self.pool_size = pool_size
        self.quiet = quiet
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.voila_port}"

    @property
    def sandbox_url(self) -> str | None:
        return f"http://127.0.0.1:{self.sandbox_port}" if self.sandbox_port else None

    @property
    def dashboard_url(self) -> str:
        return f"{self.public_url}/voila/render/01_link_accounts.ipynb"

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
            "--Voila.ip=127.0.0.1", "--show_tracebacks=False",
            "--ServerApp.disable_check_xsrf=False",
        ]
        if (TEMPLATE_ROOT / "voila" / "templates" / "linkkit").is_dir():
            cmd.append("--template=linkkit")
        if self.preheat:
            cmd += ["--preheat_kernel=True", f"--pool_size={self.pool_size}"]
        return cmd

    def start(self, timeout: float = 90.0) -> Stack:
        for port in (self.sandbox_port, self.voila_port):
            if port and not _port_free(port):
                raise RuntimeError(f"Port {port} on 127.0.0.1 is already in use (another linkkit dashboard?). "
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
                from linkkit.tiktok.sandbox_control import SandboxControl

                SandboxControl(f"{self.sandbox_url}/_sandbox").set_shop_redirect(self.dashboard_url)
            voila = subprocess.Popen(self.voila_command(), env=env, stdout=out, stderr=out, start_new_session=True)
            self.processes.append(voila)
            _wait_http(self.public_url, timeout, voila)
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


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from linkkit.config import Settings

    settings = Settings.load()
    notebooks = Path(args.notebooks).resolve()
    if not notebooks.is_dir():
        print(f"No notebooks folder at {notebooks}.", file=sys.stderr)
        return 2
    sandbox_port = args.sandbox_port if settings.is_sandbox else None
    stack = Stack(notebooks, voila_port=args.port, sandbox_port=sandbox_port)

    def _interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM/SIGHUP stop both servers as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    print("Starting linkkit" + (" (sandbox mode: no TikTok credentials needed)" if sandbox_port else " (live)"))
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"\n  linkkit dashboard:  {stack.dashboard_url}")
    print(f"  linked accounts:    {stack.public_url}/voila/render/02_linked_accounts.ipynb")
    if sandbox_port:
        print(f"  sandbox:            {stack.sandbox_url}  (demo logins: {stack.sandbox_url}/_sandbox/world)")
    print("\nPress Ctrl-C to stop.")
    try:
        while all(p.poll() is None for p in stack.processes):
            time.sleep(0.5)
        print("A server stopped unexpectedly; shutting down.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stack.stop()


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from linkkit.sandbox.__main__ import main as sandbox_main

    logging.getLogger("linkkit.sandbox").setLevel(logging.INFO)  # say where it listens, and each request
    return int(sandbox_main(["--host", args.host, "--port", str(args.port)]) or 0)


def _service() -> Any:
    from linkkit.linking import LinkService

    return LinkService.from_settings()


def _cmd_status(args: argparse.Namespace) -> int:
    service = _service()
    report = service.health()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"mode: {report['mode']}   registry: {report['registry']}")
    if "sandbox" in report:
        print(f"sandbox: {report['sandbox']}")
    print(f"shops: {report['shops']}")
    for shop in service.connected_shops():
        print(f"\n{shop.name} ({shop.region}, {shop.seller_type})")
        links = service.links(shop.id)
        if not links:
            print("  no linked accounts")
        for link in links:
            expires = link.token_expires_at.strftime("%Y-%m-%d %H:%M") if link.token_expires_at else "-"
            print(f"  #{link.id:<4} {link.role.label:<9} @{link.account.username:<20} {link.status.label:<22} "
                  f"token until {expires}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from linkkit.errors import LinkkitError
    from linkkit.troubleshoot import entry

    service = _service()
    try:
        links = service.verify_all() if args.all else [service.verify(link_id) for link_id in args.link_ids]
    except LinkkitError as exc:
        print(f"{entry(exc.reason).title}: {exc.message}", file=sys.stderr)
        return 1
    if not links:
        print("Nothing to verify: give link ids or --all.")
        return 0
    bad = 0
    for link in links:
        print(f"#{link.id} @{link.account.username} ({link.role.label}): {link.status.label}")
        failing = link.failing_check
        if failing is not None:
            bad += 1
            guide = entry(failing.reason)
            print(f"   ✗ {failing.name.label}: {failing.detail}\n   → {guide.title}: {guide.steps[0]}")
    return 1 if bad else 0


def _cmd_export(args: argparse.Namespace) -> int:
    import pandas as pd

    service = _service()
    frame = pd.DataFrame(service.store.link_intervals())
    path = Path(args.output)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    print(f"Wrote {len(frame)} link intervals to {path}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "benchmarks/run_all.py"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="linkkit", description="Link a TikTok Shop to its TikTok accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dashboard", help="start the sandbox (sandbox mode) and the Voila dashboard")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--sandbox-port", type=int, default=8765)
    p.add_argument("--notebooks", default="notebooks")
    p.set_defaults(func=_cmd_dashboard)
    p = sub.add_parser("sandbox", help="run the local TikTok sandbox")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(func=_cmd_sandbox)
    p = sub.add_parser("status", help="shops, links and their status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_status)
    p = sub.add_parser("verify", help="verify links")
    p.add_argument("link_ids", nargs="*", type=int)
    p.add_argument("--all", action="store_true")
    p.set_defaults(func=_cmd_verify)
    p = sub.add_parser("export", help="write link intervals to CSV or Parquet")
    p.add_argument("output")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("bench", help="run the benchmarks")
    p.set_defaults(func=_cmd_bench)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LINKKIT_LOG_LEVEL", "WARNING"))
    from linkkit import redact

    redact.install()
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
