"""Voila runs a kernel per page: begin and complete in different processes; refresh races lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from linkkit.models import LinkStatus, Provider, Role
from tests.integration.conftest import MAPLE, Harness

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

_PRELUDE = """
import json, sys
from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.linking import LinkService
from linkkit.store import Store
settings = Settings(**json.loads(sys.argv[1]))
service = LinkService(settings, Store(settings.resolved_database_url, TokenBox(settings.secret_key)))
"""


def run_in_process(h: Harness, body: str, *args: str) -> subprocess.Popen[str]:
    settings = {"sandbox_url": h.settings.sandbox_url, "database_url": h.settings.database_url,
                "secret_key": h.settings.secret_key}
    code = _PRELUDE + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(settings), *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


def test_begin_here_complete_in_another_process(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.OFFICIAL)
    callback = h.consent(start.url, "maple.official")
    out = finish(run_in_process(h, """
        result = service.complete_authorization(sys.argv[2])
        print(result.link.id)
    """, callback))
    link_id = int(out.strip())
    pending = h.service.pending(start.pending_id)  # the tab that began polls this
    assert pending.used_at is not None and pending.outcome == "ok" and pending.result_link_id == link_id
    assert h.service.link(link_id).status is LinkStatus.AWAITING_SELLER_CENTER


def test_two_processes_racing_on_one_callback(h: Harness) -> None:
    h.connect()
    start = h.service.begin_authorization(MAPLE, Role.MARKETING)
    callback = h.consent(start.url, "maple.deals")
    body = """
        from linkkit.errors import LinkkitError
        try:
            print("ok", service.complete_authorization(sys.argv[2]).link.id)
        except LinkkitError as exc:
            print("refused", exc.reason)
    """
    processes = [run_in_process(h, body, callback) for _ in range(2)]
    outcomes = sorted(finish(p).split()[0] for p in processes)
    assert outcomes == ["ok", "refused"]
    assert h.counts()["links"] == 1


def test_two_processes_refreshing_at_once_lose_nothing(h: Harness, tmp_path: Path) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None
    # Deterministic overlap: the sandbox holds the first refresh (A's) until we release it. Only then does B
    # start; it reads the old pair (announced on stdout) while A is still spending the refresh token.
    hold = h.control("POST", "/holds", {"match": "token_refresh", "timeout_seconds": 60})["hold"]
    h.control("DELETE", "/requests")
    body = """
        import pathlib, time
        read = service.store.token
        def announced(*args, **kwargs):
            token = read(*args, **kwargs)
            print("read", token.version if token else None, flush=True)
            return token
        service.store.token = announced
        print("ready", flush=True)
        deadline = time.monotonic() + 60
        while not pathlib.Path(sys.argv[3]).exists() and time.monotonic() < deadline:
            time.sleep(0.001)
        print("refreshed", service.refresh_tokens(int(sys.argv[2]), force=True), flush=True)
    """
    go_a, go_b = tmp_path / "go-a", tmp_path / "go-b"
    a = run_in_process(h, body, str(link.id), str(go_a))
    b = run_in_process(h, body, str(link.id), str(go_b))
    for process in (a, b):
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    go_a.touch()
    deadline = time.monotonic() + 30
    while h.control("GET", f"/holds/{hold['id']}")["hold"]["state"] != "holding":
        assert time.monotonic() < deadline, "A's refresh never reached the sandbox"
        time.sleep(0.01)
    go_b.touch()
    assert b.stdout is not None and b.stdout.readline().split() == ["read", str(before.version)]
    assert a.poll() is None, "A is still waiting for TikTok while B has read the old pair"
    h.control("POST", f"/holds/{hold['id']}/release")
    outcomes = sorted(finish(p).split()[-1] for p in (a, b))
    assert outcomes == ["0", "1"], "one process refreshed, the other saw the new pair"
    after = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert after is not None and after.version == before.version + 1
    refreshes = [r for r in h.control("GET", "/requests")["requests"]
                 if r["path"] == "/v2/oauth/token/" and (r["body"] or {}).get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1, "TikTok saw one refresh: B never spent the rotated-away token"
    # the stored refresh token is the live one: TikTok (the sandbox) accepts it
    assert h.service.refresh_tokens(link.id, force=True) == 1
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED


def test_status_command_reads_the_same_registry(h: Harness, tmp_path: Path) -> None:
    h.connect()
    h.bind(h.authorize(MAPLE, Role.OFFICIAL, "maple.official"))
    env = {"LINKKIT_SANDBOX_URL": h.settings.sandbox_url, "LINKKIT_DATABASE_URL": h.settings.database_url,
           "LINKKIT_SECRET_KEY": h.settings.secret_key, "PATH": "/usr/bin:/bin", "LINKKIT_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "linkkit.cli", "status", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["links"] == {"connected": 1}
    verify = subprocess.run([sys.executable, "-m", "linkkit.cli", "verify", "--all"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "Connected" in verify.stdout
