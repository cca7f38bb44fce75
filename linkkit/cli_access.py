"""``linkkit access grant|revoke|list SHOP [USER]``: who may act on a shop (its owners and members).

Runs as the principal of :func:`linkkit.identity.current_actor` (``LINKKIT_ACTOR``, ``JUPYTERHUB_USER`` or the
operating-system user): only an owner of the shop grants and revokes; owners and members list.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

__all__ = ["add_subcommand", "run"]


def add_subcommand(subparsers: Any, *, shop_id: Callable[[str], str] = str) -> argparse.ArgumentParser:
    """Add ``access`` to linkkit's sub-commands (``subparsers`` from ``parser.add_subparsers()``; ``shop_id``
    checks the SHOP argument, as every other command's ``--shop`` does)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "access", help="who may act on a shop: grant, revoke, list",
        description="Give another user access to a shop you own, take it away, or list who has access. "
                    "You act as LINKKIT_ACTOR, JUPYTERHUB_USER or your operating-system user.")
    parser.add_argument("action", choices=("grant", "revoke", "list"),
                        help="grant USER access, revoke it, or list who has access")
    parser.add_argument("shop", metavar="SHOP", type=shop_id, help="the shop id (see `linkkit status`)")
    parser.add_argument("user", metavar="USER", nargs="?", help="the user to grant or revoke")
    parser.add_argument("--owner", action="store_true", help="with grant: make USER an owner (can grant too)")
    parser.add_argument("--json", action="store_true", help="with list: print JSON")
    parser.set_defaults(func=run, access_parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit code (errors are raised for ``linkkit.cli.main`` to print)."""
    from linkkit.config import Settings
    from linkkit.linking import LinkService

    # Usage errors (exit 2, one line, before anything runs), like argparse's own.
    if args.action != "list" and not (args.user or "").strip():
        args.access_parser.error(f"`{args.action}` needs a USER")
    if args.action == "list" and args.user is not None:
        args.access_parser.error(f"`list` takes no USER (unrecognized argument: {args.user})")
    if args.action == "list" and args.owner:
        args.access_parser.error("--owner goes with grant only")
    service = LinkService.from_settings(Settings.load())
    try:
        if args.action == "grant":
            changed = service.grant_access(args.shop, args.user, role="owner" if args.owner else "member")
            print(f"{args.user} {'now has' if changed else 'already had'} access to shop {args.shop}.")
        elif args.action == "revoke":
            changed = service.revoke_access(args.shop, args.user)
            print(f"{args.user} {'no longer has' if changed else 'had no'} access to shop {args.shop}.")
        else:
            rows = [{"user": a.principal, "role": a.role, "granted_by": a.granted_by,
                     "granted_at": a.granted_at.isoformat()} for a in service.access(args.shop)]
            if args.json:
                print(json.dumps({"shop": args.shop, "access": rows}, indent=2))
            else:
                for row in rows:
                    print(f"{row['user']}\t{row['role']}\tgranted by {row['granted_by']} at {row['granted_at']}")
    finally:
        service.store.close()
    return 0
