"""``linkkit monitor [--once] [--listen HOST:PORT] [--json]``: the monitor's command, added to linkkit's CLI.

``linkkit/cli.py`` wires it with one line (``add_subcommand(subparsers)``); the parsed namespace carries
``func``, which runs the command and returns the exit code.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="linkkit")
    >>> add_subcommand(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["monitor", "--once"])
    >>> args.once, args.listen
    (True, None)
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from typing import Any

from linkkit.errors import LinkkitError

__all__ = ["add_subcommand", "run"]

log = logging.getLogger(__name__)


def add_subcommand(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``monitor`` to linkkit's sub-commands (``subparsers`` from ``parser.add_subparsers()``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "monitor", help="keep links healthy: refresh, re-verify, receive TikTok Shop webhooks, send alerts",
        description="Run the health monitor on the schedule in linkkit.toml's [monitor] table.",
    )
    parser.add_argument("--once", action="store_true", help="run one pass and exit (for cron)")
    parser.add_argument("--listen", metavar="HOST:PORT", nargs="?", const="", default=None,
                        help="also receive TikTok Shop webhooks here (default: [monitor] listen)")
    parser.add_argument("--config", metavar="PATH", default=None, help="linkkit.toml to read [monitor] from")
    parser.add_argument("--json", action="store_true", help="with --once: print the pass report as JSON")
    parser.set_defaults(func=run)
    return parser


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise LinkkitError(f"--listen needs HOST:PORT, not {text!r}.", reason="config_invalid")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit code. Errors are one line on stderr."""
    from linkkit.identity import MONITOR_PRINCIPAL
    from linkkit.linking import LinkService
    from linkkit.monitor.config import load_config
    from linkkit.monitor.service import Monitor
    from linkkit.monitor.webhooks import serve

    service: LinkService | None = None
    try:
        config = load_config(args.config)
        # The monitor is a deployment component: it acts on every shop, as the system principal "monitor".
        service = LinkService.from_settings(actor=MONITOR_PRINCIPAL, system=True)
        monitor = Monitor(service, config=config)
        if args.once:
            report = monitor.run_once()
            if args.json:
                sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
            else:
                sys.stdout.write(
                    f"monitor pass: ran {', '.join(report.jobs_run) or 'nothing'}"
                    f"{'; skipped ' + ', '.join(report.jobs_skipped) if report.jobs_skipped else ''}; "
                    f"refreshed {report.refreshed}, verified {report.verified}, "
                    f"{len(report.events)} health event(s)\n")
            return 1 if any(e.startswith("job_failed") for e in report.errors) else 0
        stop = threading.Event()
        # The dashboard stops its children with SIGTERM: finish the pass in hand and close the receiver.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if args.listen is not None:
            host, port = _host_port(args.listen or config.listen)
            sys.stdout.write(f"linkkit monitor: webhooks on http://{host}:{port}{config.webhook_path}\n")
            sys.stdout.flush()
            serve(monitor, host, port, stop=stop)
        else:
            monitor.run_forever(stop)
        return 0
    except LinkkitError as exc:
        sys.stderr.write(f"linkkit monitor: {exc.message}\n")
        return 1
    finally:
        if service is not None:
            service.store.close()  # the registry's connections (a PostgreSQL pool) go with the command
