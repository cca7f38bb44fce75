"""Mutation score of the modules `make mutate` mutates, into ``benchmarks/results.json`` (key ``mutation``).

Reads mutmut 3's per-file results (``mutants/<module>.meta``) for every module in setup.cfg's
``[mutmut] only_mutate`` list. A mutant is *killed* when a test failed (or it timed out), *survived* when every
test passed, and *no tests* when no selected test reached it (counted as not killed). Survivors judged
equivalent — the mutated program behaves identically for every input — are listed in :data:`EQUIVALENT` with
the reason; they stay in ``survived`` and ``score`` and are only left out of ``score_without_equivalent``.

Usage: ``python benchmarks/mutation.py`` after ``mutmut run`` (``make mutate`` does both).
"""

from __future__ import annotations

import configparser
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import save  # noqa: E402

KILLED = {1, 3, 36, -24, 24, 152, 255}  # test failure, pytest internal error, timeouts
SURVIVED = {0}
NO_TESTS = {5, 33}

#: Survivors that are equivalent mutants, by mutmut's name, with why no test can tell them apart.
EQUIVALENT: dict[str, str] = {
    "linkkit.tiktok.signing.x_code_challenge__mutmut_7":
        'verifier.encode("ASCII"): codec names are case-insensitive, same codec.',
    "linkkit.tiktok.signing.x_code_challenge__mutmut_20":
        '.decode("ASCII"): codec names are case-insensitive, same codec.',
    "linkkit.tiktok.signing.x_code_challenge__mutmut_18":
        'rstrip(b"XX=XX"): a 32-byte digest is 43 base64url characters whose last one encodes 4 bits, so it is '
        "never 'X'; only the '=' padding is ever stripped.",
    "linkkit.crypto.x_load_or_create_key__mutmut_3": 'read_text(encoding="ASCII"): same codec.',
    "linkkit.crypto.x_load_or_create_key__mutmut_34": 'fdopen(encoding="ASCII"): same codec.',
    "linkkit.crypto.x_load_or_create_key__mutmut_44": 'read_text(encoding="ASCII"): same codec.',
    "linkkit.crypto.x_load_or_create_key__mutmut_1":
        "read_text(encoding=None): the locale's encoding; a Fernet key is base64 (ASCII) and every locale "
        "encoding Python runs with here is ASCII-compatible.",
    "linkkit.crypto.x_load_or_create_key__mutmut_42": "read_text(encoding=None): as mutmut_1.",
    "linkkit.crypto.x_load_or_create_key__mutmut_27": "fdopen(encoding=None) writing a base64 key: as mutmut_1.",
    "linkkit.crypto.x_load_or_create_key__mutmut_30": "fdopen() without encoding writing a base64 key: as mutmut_1.",
    "linkkit.crypto.x_load_or_create_key__mutmut_13":
        "token_hex(None) in the temp file's name: 32 random bytes instead of 4; the name only has to be unique.",
    "linkkit.crypto.x_load_or_create_key__mutmut_14": "token_hex(5) in the temp file's name: as mutmut_13.",
    "linkkit.crypto.x_new_state__mutmut_1":
        "secrets.token_urlsafe(None): the default entropy is 32 bytes, the same call.",
    "linkkit.rules.x_check_candidate__mutmut_9":
        "found = can_add(...) instead of +=: found is still the empty list there, so both give the same list.",
    "linkkit.tiktok.callback.x_parse_callback__mutmut_18":
        'lstrip("XX?XX"): also strips leading "X"s, which only changes a first parameter whose name starts with '
        "X; no such parameter is read (code, auth_code, state, scope(s), error, error_description).",
    "linkkit.tiktok.callback.x_parse_callback__mutmut_16":
        'query.lstrip(None): any text with a "?" goes through urlsplit, which drops it, so the query never starts '
        'with "?" here; stripping whitespace instead changes nothing parse_qsl reads.',
    "linkkit.tiktok.callback.x_parse_callback__mutmut_17": 'query.rstrip("?"): as mutmut_16, no "?" is left.',
    "linkkit.tiktok.callback.x_code_from_callback__mutmut_22":
        '"redirect" in (description or "XXXX"): "redirect" is in neither "" nor "XXXX".',
    "linkkit.tiktok.callback.x_code_from_callback__mutmut_27":
        "StateMismatch(..., reason=None): the class's default reason is state_mismatch, the same code.",
    "linkkit.tiktok.callback.x_code_from_callback__mutmut_29":
        "StateMismatch(...) without reason: the class's default reason is state_mismatch, the same code.",
    "linkkit.linking.tokens.xǁTokenKeeperǁ_spend__mutmut_1":
        "stored = None instead of False: it is only read as `not stored` before being set to a bool, same truth.",
    "linkkit.linking.tokens.xǁTokenKeeperǁfresh__mutmut_14":
        "token_hex(None) draws 32 random bytes instead of 4: the lease holder only has to be unique, both are.",
    "linkkit.linking.tokens.xǁTokenKeeperǁfresh__mutmut_15":
        "token_hex(5) draws 5 random bytes instead of 4: the lease holder only has to be unique, both are.",
}


def modules() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return [line.strip() for line in parser.get("mutmut", "only_mutate").splitlines() if line.strip()]


def score() -> dict[str, Any]:
    per_module: dict[str, Any] = {}
    survivors: list[str] = []
    totals = {"killed": 0, "survived": 0, "no_tests": 0, "not_run": 0}
    for module in modules():
        meta = ROOT / "mutants" / f"{module}.meta"
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        counts = {"killed": 0, "survived": 0, "no_tests": 0, "not_run": 0}
        for name, code in codes.items():
            if code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED:
                counts["survived"] += 1
                survivors.append(name)
            elif code in NO_TESTS:
                counts["no_tests"] += 1
                survivors.append(name)
            else:
                counts["not_run"] += 1
        total = sum(counts.values())
        per_module[module] = {**counts, "total": total,
                              "score": round(counts["killed"] / total, 4) if total else None}
        for key in totals:
            totals[key] += counts[key]
    total = sum(totals.values())
    equivalent = {name: why for name, why in EQUIVALENT.items() if name in survivors}
    stale = sorted(set(EQUIVALENT) - set(equivalent))
    return {
        **totals,
        "total": total,
        "score": round(totals["killed"] / total, 4) if total else None,
        "score_without_equivalent": (round(totals["killed"] / (total - len(equivalent)), 4)
                                     if total > len(equivalent) else None),
        "per_module": per_module,
        "equivalent_survivors": equivalent,
        "other_survivors": sorted(set(survivors) - set(equivalent)),
        "equivalent_list_entries_not_surviving": stale,
        "tool": "mutmut 3.8.1, one mutant at a time, fast unit tests only (setup.cfg [mutmut])",
    }


def main() -> int:
    result = score()
    save("mutation", result)
    print(f"mutation score: {result['killed']}/{result['total']} killed = {result['score']:.1%} "
          f"({len(result['equivalent_survivors'])} equivalent survivors; "
          f"{len(result['other_survivors'])} other survivors)")
    for name in result["other_survivors"]:
        print(f"  survived: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
