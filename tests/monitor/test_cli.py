"""``linkkit monitor`` as the lead wires it: ``add_subcommand(subparsers)`` and the parsed ``func``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from linkkit.monitor.cli import add_subcommand
from tests.integration.conftest import Harness
from tests.monitor.conftest import connected_link

pytestmark = pytest.mark.integration


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="linkkit")
    add_subcommand(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["monitor", *argv])


def test_monitor_once_runs_one_pass_and_prints_its_report(h: Harness, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    link = connected_link(h)
    monkeypatch.setenv("LINKKIT_SANDBOX_URL", h.sandbox_url)
    monkeypatch.setenv("LINKKIT_DATABASE_URL", h.settings.database_url)
    monkeypatch.setenv("LINKKIT_SECRET_KEY", h.settings.secret_key)
    config = tmp_path / "linkkit.toml"
    config.write_text("[monitor]\ninterval_seconds = 60\n")
    args = _parse("--once", "--json", "--config", str(config))
    code = args.func(args)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["verified"] == 1 and report["jobs_run"] == ["outbox", "webhooks", "refresh", "verify", "expiry", "alerts"]
    assert h.service.link(link.id).last_verified_at is not None


def test_a_bad_listen_address_is_one_line_on_stderr(h: Harness, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINKKIT_SANDBOX_URL", h.sandbox_url)
    monkeypatch.setenv("LINKKIT_DATABASE_URL", h.settings.database_url)
    monkeypatch.setenv("LINKKIT_SECRET_KEY", h.settings.secret_key)
    args = _parse("--listen", "nonsense")
    code = args.func(args)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "HOST:PORT" in err
