"""The dashboard's monitor child process (``linkkit.cli.Stack`` starts it with :func:`start_monitor`)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from linkkit.monitor import MonitorRegistry
from linkkit.monitor.stack import start_monitor
from tests.integration.conftest import MAPLE, Harness
from tests.monitor.conftest import connected_link

pytestmark = pytest.mark.integration


def test_the_dashboards_monitor_receives_the_sandboxs_webhooks_and_stops_on_sigterm(
        h: Harness, registry_url: str, secret_key: str, tmp_path: Path) -> None:
    connected_link(h)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LINKKIT_HOME": str(tmp_path / "home"),
           "LINKKIT_MODE": "sandbox", "LINKKIT_SANDBOX_URL": h.sandbox_url, "LINKKIT_DATABASE_URL": registry_url,
           "LINKKIT_SECRET_KEY": secret_key, "LINKKIT_PUBLIC_URL": "http://127.0.0.1:1/linkkit",
           "LINKKIT_CONFIG": str(tmp_path / "absent.toml")}
    (process,) = start_monitor(env, sandbox_url=h.sandbox_url, output=None, timeout=60)
    try:
        hooks = h.control("GET", "/webhooks")
        assert hooks["url"].startswith("http://127.0.0.1:") and hooks["url"].endswith("/webhooks/tiktok-shop")
        assert hooks["retry_scale"] < 1
        registry = MonitorRegistry(h.service.store)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and registry.lease("monitor:alerts") is None:
            time.sleep(0.1)  # the child's first pass (at start) is over: the next is one interval away
        assert registry.lease("monitor:alerts") is not None
        h.control("POST", "/deauthorize", {"seller": "maple_seller"})
        deadline = time.monotonic() + 45  # the sandbox's fast schedule: a pass every 10 s
        while time.monotonic() < deadline and not registry.dashboard_alerts(shop_id=MAPLE):
            time.sleep(0.2)
        kinds = {d.event.kind for d in registry.dashboard_alerts(shop_id=MAPLE)}
        assert "deauthorized" in kinds  # received by the child, and delivered by its fast (10 s) pass
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        code = process.wait(timeout=30)
        h.control("DELETE", "/webhooks")
    assert code == 0  # SIGTERM ends the pass in hand and closes the receiver: a clean exit


def test_a_monitor_that_cannot_start_leaves_the_dashboard_running_without_it(tmp_path: Path) -> None:
    bad = tmp_path / "linkkit.toml"
    bad.write_text("[monitor]\nchannels = ['pager']\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LINKKIT_HOME": str(tmp_path / "home"),
           "LINKKIT_MODE": "live", "LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
           "LINKKIT_CONFIG": str(bad)}
    assert start_monitor(env, sandbox_url=None, output=subprocess.DEVNULL, timeout=60) == []
