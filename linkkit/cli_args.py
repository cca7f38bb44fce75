"""The ``linkkit`` command's argument types and parser: one-line usage errors, exit status 2."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_ID", "ROLES", "Parser", "bounded_int", "link_id", "port", "shop_id"]


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors: ``linkkit verify: argument LINK_ID: … (see linkkit verify --help)``.

    Exit status 2, as argparse's own (a usage error, before anything ran).
    """

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: {' '.join(message.split())} (see `{self.prog} --help`)\n")


MAX_ID = 2**63 - 1  # the registry's ids are 64-bit signed integers


def bounded_int(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {name} (a whole number from {low} to {high})"
                                             ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not a {name}: it must be from {low} to {high}")
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


link_id = bounded_int("link id", 1, MAX_ID)
ROLES = ("official", "marketing")


def shop_id(text: str) -> str:
    """A TikTok Shop id: digits only (TikTok's shop ids are decimal strings, e.g. 7494100000000000101)."""
    if not re.fullmatch(r"[0-9]{1,32}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a shop id (TikTok's shop ids are digits, e.g. "
                                         "7494100000000000101: see `linkkit status`)")
    return text
port = bounded_int("port", 1, 65535)
