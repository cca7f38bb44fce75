"""The monitor as one more child process of the dashboard (``make dashboard`` / ``linkkit dashboard``).

:class:`linkkit.cli.Stack` calls :func:`start_monitor` after the sandbox is up and before Voila, and stops
the process with the others. The child runs ``linkkit monitor --listen 127.0.0.1:<free port>`` with the
dashboard's environment. A monitor that cannot start (say, an invalid ``[monitor]`` table) is logged and
left out: the dashboard starts without it. In sandbox mode it runs a pass every
:data:`SANDBOX_INTERVAL_SECONDS` (through ``LINKKIT_MONITOR_INTERVAL_SECONDS``, unless that is set
already), and the sandbox's webhook emitter is pointed at its receiver (``POST /_sandbox/webhooks``), so
advancing the sandbox clock with ``POST /_sandbox/clock`` shows an alert in the dashboard within a pass or
two.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from typing import IO, Any

import requests

from linkkit.monitor.config import INTERVAL_ENV, load_config

__all__ = ["SANDBOX_INTERVAL_SECONDS", "SANDBOX_RETRY_SCALE", "start_monitor"]

log = logging.getLogger(__name__)

SANDBOX_INTERVAL_SECONDS = 10
#: The sandbox's webhook retries (2 min, 30 min, 3 h, 12 h) shrink by this factor in the demo.
SANDBOX_RETRY_SCALE = 0.01


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"linkkit monitor did not start: it exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"linkkit monitor did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def start_monitor(env: dict[str, str], *, sandbox_url: str | None, output: int | IO[Any] | None = None,
                  timeout: float = 90.0) -> list[subprocess.Popen[bytes]]:
    """Start ``linkkit monitor --listen`` as a child process (its own session, like the others).

    Args:
        env: The dashboard's environment (``LINKKIT_*``: mode, sandbox URL, public URL, registry, key).
        sandbox_url: The sandbox's origin, or ``None`` in live mode (then TikTok itself must be told the
            webhook URL, through a public HTTPS proxy; see docs/monitor.md).
        output: Where the child's stdout/stderr go (``None``: inherited).
        timeout: Seconds to wait for the receiver to listen.

    Returns:
        ``[process]`` (the caller stops it: SIGTERM to its process group), or ``[]`` when the monitor exited
        at start.
    """
    port = _free_port()
    child_env = dict(env)
    if sandbox_url:
        child_env.setdefault(INTERVAL_ENV, str(SANDBOX_INTERVAL_SECONDS))
    process = subprocess.Popen(
        [sys.executable, "-m", "linkkit.cli", "monitor", "--listen", f"127.0.0.1:{port}"],
        env=child_env, stdout=output, stderr=output, start_new_session=True)
    try:
        try:
            _wait_listening(port, process, timeout)
        except RuntimeError:
            log.warning("linkkit monitor exited at start (code %s): the dashboard runs without it; run "
                        "`linkkit monitor --once` to see why.", process.returncode)
            return []
        if sandbox_url:
            path = load_config(child_env.get("LINKKIT_CONFIG") or None).webhook_path
            receiver = f"http://127.0.0.1:{port}{path}"
            requests.post(f"{sandbox_url}/_sandbox/webhooks", json={"url": receiver, "retry_scale":
                          SANDBOX_RETRY_SCALE}, timeout=10).raise_for_status()
            log.info("The sandbox sends its TikTok Shop webhooks to %s", receiver)
    except BaseException:
        process.terminate()
        process.wait(timeout=15)
        raise
    return [process]
