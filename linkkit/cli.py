"""The ``linkkit`` command: dashboard, sandbox, status, verify, export, backup, bench, monitor.

``linkkit dashboard`` is what ``make dashboard`` runs: it starts the sandbox (in sandbox mode) and Voila serving the
notebooks shipped inside the package (``linkkit/notebooks``) on 127.0.0.1:8866, prints the URL, and stops both
cleanly on Ctrl-C. :class:`~linkkit.stack.Stack` is the same start-up code, used by the browser tests on free ports.

Where the dashboard listens and how people reach it come from, highest first: the command line, the
environment (``LINKKIT_PUBLIC_URL``), the ``[dashboard]`` table of ``linkkit.toml`` (``$LINKKIT_CONFIG`` or
``./linkkit.toml``), then defaults::

    [dashboard]
    ip = "127.0.0.1"          # interface Voila binds (0.0.0.0: every interface)
    port = 8866
    base_url = "/"            # path prefix, e.g. "/linkkit/" behind a reverse proxy
    public_url = "https://shop.example.com/linkkit"   # what the browser (and TikTok's redirect) uses
    sandbox_port = 8765
    sandbox = true            # false: do not start the sandbox (same as --no-sandbox)

The public URL is passed to the kernels unchanged: TikTok's redirect URI is built from it, so it must be the
address registered for the app. Without one, it is ``http://<ip>:<port><base_url>``.

Errors are one line on standard error and exit status 1 — :func:`main` is the one boundary every command's errors
cross. A wrong command line (unknown option, an id that is not a whole number from 1 to 2**63-1, a role or shop id
that cannot be one) is one line too, with argparse's exit status 2: nothing ran. A one-shot command's log records
(warnings such as retries) are shown after it succeeds and dropped when it fails, so the failure stays one line;
``--debug`` (or ``LINKKIT_LOG_LEVEL=debug``, any case) logs at DEBUG as it happens and shows the traceback.
``tests/test_cli_bad_inputs.py`` holds the table of bad inputs this is checked against.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkkit import cli_args, cli_log
from linkkit.cli_args import ROLES
from linkkit.stack import PANEL_NOTEBOOK, Stack, free_port, notebooks_dir

__all__ = ["DashboardOptions", "Stack", "free_port", "main", "mask_url", "notebooks_dir"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def mask_url(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` URL replaced by ``***``.

    Example:
        >>> mask_url("postgresql+psycopg://linkkit:s3cret@db:5432/linkkit")
        'postgresql+psycopg://linkkit:***@db:5432/linkkit'
    """
    return re.sub(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*):[^@/\s]*@", r"\1:***@", text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


class CliError(Exception):
    """A problem the command reports in one line (bad option, missing file), exit status 1."""


# --- configuration ----------------------------------------------------------------------------------------------


def _config_file() -> dict[str, Any]:
    path = Path(os.environ.get("LINKKIT_CONFIG", "linkkit.toml"))
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"{path} cannot be read: {exc}") from exc


_DASHBOARD_KEYS = {"ip": str, "port": int, "base_url": str, "public_url": str, "sandbox_port": int, "sandbox": bool}


@dataclass(frozen=True)
class DashboardOptions:
    """Where the dashboard listens and how it is reached (command line > environment > linkkit.toml > defaults)."""

    ip: str = "127.0.0.1"
    port: int = 8866
    base_url: str = "/"
    public_url: str | None = None
    sandbox_port: int = 8765
    sandbox: bool = True

    @classmethod
    def resolve(cls, args: argparse.Namespace, config: dict[str, Any]) -> DashboardOptions:
        table = config.get("dashboard", {})
        if not isinstance(table, dict):
            raise CliError("linkkit.toml: [dashboard] must be a table.")
        unknown = sorted(set(table) - set(_DASHBOARD_KEYS))
        if unknown:
            raise CliError(f"linkkit.toml: unknown [dashboard] key(s): {', '.join(unknown)}.")
        values: dict[str, Any] = {}
        for key, kind in _DASHBOARD_KEYS.items():
            if key in table:
                if not isinstance(table[key], kind) or (kind is int and isinstance(table[key], bool)):
                    raise CliError(f"linkkit.toml: [dashboard] {key} must be a {kind.__name__}.")
                values[key] = table[key]
        linkkit_table = config.get("linkkit", {})
        if "public_url" not in values and isinstance(linkkit_table, dict) and linkkit_table.get("public_url"):
            values["public_url"] = linkkit_table["public_url"]
        if os.environ.get("LINKKIT_PUBLIC_URL"):
            values["public_url"] = os.environ["LINKKIT_PUBLIC_URL"]
        for key in ("ip", "port", "base_url", "public_url", "sandbox_port"):
            if getattr(args, key, None) is not None:
                values[key] = getattr(args, key)
        if getattr(args, "no_sandbox", False):
            values["sandbox"] = False
        return cls(**values)


# --- commands ---------------------------------------------------------------------------------------------------


def _settings(*, read_only: bool = False, **overrides: Any) -> Any:
    """Settings from the environment and linkkit.toml; commands that call TikTok also need the app's secrets.

    Read-only commands (status, export) only read the registry: they need its URL and key, not the TikTok app's
    secrets, so the credential check is left to the first TikTok call.
    """
    from linkkit.config import Settings

    settings = Settings.load(**overrides)
    if not read_only:
        settings.require_credentials()
    return settings


def _service(*, read_only: bool = False) -> Any:
    from linkkit.linking import LinkService

    return LinkService.from_settings(_settings(read_only=read_only))


@contextmanager
def _opened(*, read_only: bool = False) -> Iterator[Any]:
    """The service for one command; its registry connections close with the command (no -wal/-shm left)."""
    service = _service(read_only=read_only)
    try:
        yield service
    finally:
        service.store.close()


def _cmd_dashboard(args: argparse.Namespace) -> int:
    options = DashboardOptions.resolve(args, _config_file())
    overrides: dict[str, Any] = {"public_url": options.public_url} if options.public_url else {}
    settings = _settings(**overrides)
    notebooks = Path(args.notebooks).resolve() if args.notebooks else notebooks_dir()
    if not notebooks.is_dir():
        raise CliError(f"No notebooks folder at {notebooks}.")
    from linkkit.linking.compose import mode_label, sandbox_needed

    sandbox_port = options.sandbox_port if sandbox_needed(settings) and options.sandbox else None
    stack = Stack(notebooks, voila_port=options.port, sandbox_port=sandbox_port, ip=options.ip,
                  base_url=options.base_url, public_url=options.public_url, pool_size=args.pool_size)

    def _interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM/SIGHUP stop both servers as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    print(f"Starting linkkit ({mode_label(settings)})", flush=True)
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as exc:
        raise CliError(str(exc)) from exc
    try:
        print(f"\n  linkkit dashboard:  {stack.dashboard_url}")
        print(f"  linked accounts:    {stack.public_url}/voila/render/{PANEL_NOTEBOOK}")
        if stack.public_url != stack.local_url:
            print(f"  listening on:       {stack.local_url}/  (TikTok redirects to the public URL above)")
        if sandbox_port:
            print(f"  sandbox:            {stack.sandbox_url}  (demo logins: {stack.sandbox_url}/_sandbox/world)")
        elif sandbox_needed(settings):
            print(f"  sandbox:            {settings.sandbox_url}  (not started here: --no-sandbox)")
        print("\nPress Ctrl-C to stop.", flush=True)
        while all(p.poll() is None for p in stack.processes):
            time.sleep(0.5)
        raise CliError("A server stopped unexpectedly; shutting down.")
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        stack.stop()


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from linkkit.sandbox.__main__ import main as sandbox_main

    logging.getLogger("linkkit.sandbox").setLevel(logging.INFO)  # say where it listens, and each request
    return int(sandbox_main(["--host", args.host, "--port", str(args.port)]) or 0)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _link_row(link: Any, shop: Any) -> dict[str, Any]:
    failing = link.failing_check
    return {
        "shop_id": shop.id, "shop_name": shop.name, "link_id": link.id, "role": link.role.value,
        "username": link.account.username, "status": link.status.value, "status_label": link.status.label,
        "token_expires_at": _iso(link.token_expires_at), "last_verified_at": _iso(link.last_verified_at),
        "failing_check": failing.name.value if failing is not None else None,
        "reason": failing.reason if failing is not None else None,
    }


def _cmd_status(args: argparse.Namespace) -> int:
    with _opened(read_only=True) as service:
        return _status(service, args)


def _shops(service: Any, shop_id: str | None) -> list[Any]:
    """The connected shops, or the one ``--shop`` names (a one-line error when it is not connected)."""
    shops = list(service.connected_shops())
    if shop_id is None:
        return shops
    chosen = [shop for shop in shops if shop.id == shop_id]
    if not chosen:
        raise CliError(f"Shop {shop_id} is not connected to linkkit: `linkkit status` lists the connected shops.")
    return chosen


def _links(service: Any, shop_id: str, role: str | None) -> list[Any]:
    return [link for link in service.links(shop_id) if role is None or link.role.value == role]


def _status(service: Any, args: argparse.Namespace) -> int:
    report = _masked(service.health())
    shops = _shops(service, args.shop)
    if args.json:
        report["rows"] = [_link_row(link, shop) for shop in shops for link in _links(service, shop.id, args.role)]
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"mode: {report['mode']}   registry: {report['registry']}")
    if "sandbox" in report:
        print(f"sandbox: {report['sandbox']}")
    print(f"shops: {report['shops']}")
    for shop in shops:
        print(f"\n{shop.name} ({shop.region}, {shop.seller_type})")
        links = _links(service, shop.id, args.role)
        if not links:
            print("  no linked accounts")
        for link in links:
            expires = link.token_expires_at.strftime("%Y-%m-%d %H:%M") if link.token_expires_at else "-"
            print(f"  #{link.id:<4} {link.role.label:<9} @{link.account.username:<20} {link.status.label:<22} "
                  f"token until {expires}")
    return 0


def _progress_printer(total: int) -> Callable[[int, Any], None]:
    """Progress on stderr: a rewritten line on a terminal, one plain line per link otherwise."""
    tty = sys.stderr.isatty()
    lock = threading.Lock()

    def report(done: int, link: Any) -> None:
        with lock:
            text = f"verified {done}/{total}: #{link.id} @{link.account.username} — {link.status.label}"
            if tty:
                sys.stderr.write("\r\033[K" + text + ("\n" if done == total else ""))
            else:
                sys.stderr.write(text + "\n")
            sys.stderr.flush()

    return report


def _verify_many(service: Any, link_ids: Sequence[int], workers: int, progress: bool) -> list[Any]:
    """Verify ``link_ids`` with at most ``workers`` at once; results in the order given."""
    from linkkit.errors import LinkkitError

    results: dict[int, Any] = {}
    failures: dict[int, LinkkitError] = {}
    report = _progress_printer(len(link_ids)) if progress else None
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="linkkit-verify") as pool:
        futures = {pool.submit(service.verify, link_id): link_id for link_id in link_ids}
        for done, future in enumerate(as_completed(futures), start=1):
            link_id = futures[future]
            try:
                results[link_id] = future.result()
            except LinkkitError as exc:
                failures[link_id] = exc
                continue
            if report is not None:
                report(done, results[link_id])
    if failures:
        raise sorted(failures.items())[0][1]
    return [results[link_id] for link_id in link_ids]


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.link_ids and (args.all or args.shop or args.role):
        raise CliError("Give link ids or --all (with --shop/--role), not both.")
    if (args.shop or args.role) and not args.all:
        raise CliError("--shop and --role choose links for --all: add --all.")
    if not args.all and not args.link_ids:
        raise CliError("Nothing to verify: give link ids or --all.")
    with _opened() as service:
        return _verify(service, args)


def _verify(service: Any, args: argparse.Namespace) -> int:
    from linkkit.troubleshoot import entry

    if args.all:
        link_ids = [link.id for shop in _shops(service, args.shop) for link in _links(service, shop.id, args.role)]
    else:
        link_ids = list(args.link_ids)
    links = _verify_many(service, link_ids, args.workers, progress=args.all and not args.json)
    bad = [link for link in links if link.failing_check is not None]
    if args.json:
        rows = []
        for link in links:
            shop = service.shop(link.shop_id)
            row = _link_row(link, shop)
            if link.failing_check is not None:
                guide = entry(link.failing_check.reason)
                row.update(detail=link.failing_check.detail, guidance=guide.title, next_step=guide.steps[0])
            rows.append(row)
        print(json.dumps({"verified": len(links), "failing": len(bad), "links": rows}, indent=2))
        return 1 if bad else 0
    for link in links:
        print(f"#{link.id} @{link.account.username} ({link.role.label}): {link.status.label}")
        failing = link.failing_check
        if failing is not None:
            guide = entry(failing.reason)
            print(f"   ✗ {failing.name.label}: {failing.detail}\n   → {guide.title}: {guide.steps[0]}")
    return 1 if bad else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from linkkit.errors import DataFormatError
    from linkkit.export import FORMATS, LINK_INTERVAL_COLUMNS, write_table

    path = Path(args.output)
    if path.suffix.lower() not in FORMATS:  # refuse before opening the registry
        raise DataFormatError(f"Cannot export to {path.name!r}: unknown file type {path.suffix or '(none)'}",
                              expected="a name ending in " + ", ".join(FORMATS))
    if path.is_dir():
        raise CliError(f"Cannot write {path}: it is a folder; give a file name such as {path / 'links.csv'}")
    if not path.parent.is_dir():
        raise CliError(f"Cannot write {path}: the folder {path.parent} does not exist")
    with _opened(read_only=True) as service:
        rows = service.link_intervals(_shops(service, args.shop)[0].id if args.shop else None)
    try:
        count = write_table(rows, path, columns=LINK_INTERVAL_COLUMNS)
    except OSError as exc:
        raise CliError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    print(f"Wrote {count} link intervals to {path}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from linkkit.backup import BackupError, backup_registry

    settings = _settings(read_only=True)
    url = settings.resolved_database_url
    try:
        report = backup_registry(url, Path(args.output), force=args.force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Backed up the registry {mask_url(url)} to {report.path} ({report.size / 1024:.0f} KiB, mode 0600)")
    if report.counts:
        print("verified: the copy opens, passes SQLite's integrity check and has the same rows:")
        for table, count in report.counts.items():
            print(f"  {table:<28} {count}")
    elif report.tables:
        print(f"verified: pg_restore reads the archive; tables: {', '.join(report.tables)}")
    return 0


def _benchmarks_dir() -> Path | None:
    for root in (Path.cwd(), PACKAGE_DIR.parent):
        if (root / "benchmarks" / "run_all.py").is_file():
            return root / "benchmarks"
    return None


def _cmd_bench(args: argparse.Namespace) -> int:
    folder = _benchmarks_dir()
    if folder is None:
        raise CliError("The benchmarks are not installed with the package: they live in benchmarks/ of the source "
                       "repository. Clone it and run `make bench` (or `linkkit bench`) there.")
    return subprocess.call([sys.executable, str(folder / "run_all.py")], cwd=folder.parent)


# --- entry point ------------------------------------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("linkkit")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = cli_args.Parser(
        prog="linkkit", description="Link a TikTok Shop to its TikTok accounts, verify the links, chart their sales.",
        epilog="Environment: LINKKIT_LOG_LEVEL (debug, info, warning, error; any case) sets logging; debug also "
               "shows tracebacks. Settings: LINKKIT_* variables or linkkit.toml (see the README).")
    parser.add_argument("--version", action="version", version=f"linkkit {_version()}")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG and show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("dashboard", help="start the sandbox (sandbox mode) and the Voila dashboard",
                       description="Serve the wizard and the accounts panel with Voila (and the sandbox in sandbox "
                                   "mode) until Ctrl-C. Options override the [dashboard] table of linkkit.toml.")
    p.add_argument("--ip", help="interface Voila binds (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--port", type=cli_args.port, help="Voila's port (default 8866)")
    p.add_argument("--base-url", help="path prefix Voila serves under, e.g. /linkkit/ behind a proxy (default /)")
    p.add_argument("--public-url", help="the address people and TikTok's redirect use, including any path prefix, "
                                        "e.g. https://shop.example.com/linkkit (default: http://IP:PORT/BASE_URL)")
    p.add_argument("--sandbox-port", type=cli_args.port, help="the sandbox's port in sandbox mode (default 8765)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="do not start the sandbox (live mode never starts it; in sandbox mode, use the one at "
                        "LINKKIT_SANDBOX_URL)")
    p.add_argument("--notebooks", help="serve this folder instead of the notebooks shipped with linkkit")
    p.add_argument("--pool-size", type=cli_args.bounded_int("pool size", 0, 32), default=1,
                   help="preheated kernels kept ready per notebook (default 1)")
    p.set_defaults(func=_cmd_dashboard)

    p = sub.add_parser("sandbox", help="run the local TikTok sandbox", description="Run the sandbox until Ctrl-C.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=cli_args.port, default=8765, help="port (default 8765)")
    p.set_defaults(func=_cmd_sandbox)

    p = sub.add_parser("status", help="shops, links and their status (reads the registry only)",
                       description="Shops, links and their status. Needs no TikTok app secrets.")
    p.add_argument("--json", action="store_true", help="print JSON, with one row per link under 'rows'")
    p.add_argument("--shop", type=cli_args.shop_id, metavar="SHOP_ID",
                   help="only this shop (its id: see `linkkit status`)")
    p.add_argument("--role", choices=ROLES, help="only links of this role")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("verify", help="verify links with TikTok and Seller Center",
                       description="Verify links; exit status 1 when a link fails a check.")
    p.add_argument("link_ids", nargs="*", type=cli_args.link_id, metavar="LINK_ID",
                   help="links to verify (see `linkkit status`)")
    p.add_argument("--all", action="store_true", help="verify every active link, showing progress on stderr")
    p.add_argument("--json", action="store_true", help="print JSON: one row per link, with the failing check")
    p.add_argument("--shop", type=cli_args.shop_id, metavar="SHOP_ID", help="with --all: only this shop's links")
    p.add_argument("--role", choices=ROLES, help="with --all: only links of this role")
    p.add_argument("--workers", type=cli_args.bounded_int("number of workers", 1, 64), default=4,
                   help="links verified at once (default 4)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("export", help="write link intervals to CSV, XLSX or Parquet (reads the registry only)",
                       description="Write every link Seller Center bound, with its interval. The extension picks "
                                   "the format: .csv, .xlsx or .parquet. Text that a spreadsheet would run as a "
                                   "formula is written with a leading apostrophe.")
    p.add_argument("output", help="file to write: NAME.csv, NAME.xlsx or NAME.parquet")
    p.add_argument("--shop", type=cli_args.shop_id, metavar="SHOP_ID", help="only this shop's links")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("backup", help="copy the registry to a file, consistently, and check the copy",
                       description="Copy the registry while linkkit runs. SQLite: the online backup API (recent "
                                   "commits in the -wal file included), a 0600 file whose row counts are checked "
                                   "against the registry's. PostgreSQL: pg_dump's custom format (restore with "
                                   "pg_restore), or what to run when pg_dump is not installed.")
    p.add_argument("output", metavar="FILE", help="the backup file to write (refused if it exists, unless --force)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("bench", help="run the benchmarks (from a source checkout)",
                       description="Run benchmarks/run_all.py of a source checkout.")
    p.set_defaults(func=_cmd_bench)

    from linkkit.monitor.cli import add_subcommand as add_monitor_subcommand

    add_monitor_subcommand(sub)
    from linkkit.cli_access import add_subcommand as add_access_subcommand

    add_access_subcommand(sub, shop_id=cli_args.shop_id)
    return parser


def _log_level(debug: bool) -> int:
    if debug:
        return logging.DEBUG
    name = os.environ.get("LINKKIT_LOG_LEVEL", "WARNING").strip().upper() or "WARNING"
    if name not in _LOG_LEVELS:
        raise CliError(f"LINKKIT_LOG_LEVEL={name.lower()} is not a level: use one of "
                       f"{', '.join(level.lower() for level in _LOG_LEVELS)}.")
    return int(getattr(logging, name))


def _one_line(exc: BaseException) -> str:
    from linkkit.redact import redact

    text = str(exc) or type(exc).__name__
    return redact(mask_url(" ".join(text.split())))


#: Commands that run until stopped: their log records go to stderr as they happen.
_SERVING = ("dashboard", "sandbox", "monitor")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``linkkit`` command; returns the exit status.

    The one error boundary: whatever a command raises becomes one line on stderr and exit status 1 (usage
    errors: one line and exit status 2, from :class:`linkkit.cli_args.Parser`); ``--debug`` adds the redacted traceback.
    """
    args = _parser().parse_args(argv)
    debug = bool(args.debug)
    try:
        level = _log_level(debug)
        debug = debug or level == logging.DEBUG
        from linkkit import redact

        redact.install()
        with cli_log.command_logging(level, hold=not debug and args.command not in _SERVING) as held:
            status = int(args.func(args))
            if held is not None:
                held.replay()
            return status
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from linkkit.errors import LinkkitError

        if debug:  # the traceback, redacted like every log record
            import traceback

            from linkkit.redact import redact as _redact

            sys.stderr.write(_redact(mask_url("".join(traceback.format_exception(exc)))))
        if isinstance(exc, LinkkitError | CliError):
            message = _one_line(exc)
        elif isinstance(exc, OSError):
            message = f"{exc.strerror or 'operating system error'}" + (f": {exc.filename}" if exc.filename else "")
        else:
            message = f"unexpected error ({type(exc).__name__}): {_one_line(exc)}"
        hint = "" if debug else " (--debug shows the details)"
        print(f"linkkit {args.command}: {message}" + (hint if not isinstance(exc, CliError) else ""),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
