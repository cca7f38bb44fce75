"""Time-to-interactive of the onboarding wizard against a one-button baseline, served the same way.

Both notebooks are served by one Voila (started by ``linkkit.cli.Stack``, the code ``make dashboard`` runs) with
preheated kernels and the linkkit template, next to a sandbox, on free ports. Debian's Chromium loads each page
in turn; TTI is navigation start → the first step's control is clickable ("Authorize linkkit in Seller Center"
enabled, for the wizard; the button, for the baseline), read in the page with ``performance.now()``. Loads
alternate (baseline, wizard, baseline, …) after the kernel pools refilled, so both see the same conditions.

Warm: one server, loads alternating after the pools refilled. Cold: the first load after a fresh server start
(a new stack per load) in a fresh browser context. Medians over all rounds with the worst beside them.

Writes the medians, worsts and the median of the per-pair ratios under ``"dashboard_tti"`` in
``benchmarks/results.json`` (read-modify-write; other benchmarks own other keys).

Usage:  python benchmarks/dashboard_tti.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from linkkit.cli import Stack, free_port  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WIZARD_READY = """() => {
  const el = [...document.querySelectorAll('a.lk-btn')].find(a => a.textContent.includes('Authorize linkkit'));
  return el && el.getAttribute('aria-disabled') !== 'true' && el.href && el.offsetParent !== null
    ? performance.now() : null;
}"""
BASELINE_READY = """() => {
  const el = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Click me'));
  return el && !el.disabled && el.offsetParent !== null ? performance.now() : null;
}"""


def measure(page: Any, url: str, ready: str) -> float:
    page.goto("about:blank")
    page.goto(url, wait_until="commit")
    handle = page.wait_for_function(ready, polling="raf", timeout=60_000)
    return float(handle.json_value())


def _stack(work: Path) -> Stack:
    env = {
        "LINKKIT_DATABASE_URL": f"sqlite:///{work / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": Fernet.generate_key().decode(),
        "LINKKIT_HOME": str(work),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    return Stack(
        work / "notebooks", voila_port=free_port(), sandbox_port=free_port(), env=env, quiet=True, preheat=True,
        pool_size=1,
    )


def _workdir() -> Path:
    work = Path(tempfile.mkdtemp(prefix="linkkit-tti-"))
    notebooks = work / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "linkkit" / "notebooks" / "01_link_accounts.ipynb", notebooks)
    shutil.copy(ROOT / "benchmarks" / "dashboard_tti" / "baseline_one_button.ipynb", notebooks)
    return work


def _cold(browser: Any, which: str) -> float:
    """First load of ``which`` right after a fresh server start, in a fresh browser context (empty cache)."""
    work = _workdir()
    try:
        stack = _stack(work)
        url = stack.dashboard_url if which == "wizard" else (
            f"{stack.public_url}/voila/render/baseline_one_button.ipynb")
        with stack:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                return measure(context.new_page(), url, WIZARD_READY if which == "wizard" else BASELINE_READY)
            finally:
                context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _summary(values: list[float]) -> dict[str, Any]:
    return {"ms": [round(x, 1) for x in values], "median_ms": round(statistics.median(values), 1),
            "worst_ms": round(max(values), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="warm rounds (one wizard and one baseline load each)")
    parser.add_argument("--cold-rounds", type=int, default=3, help="server restarts per page for the cold figure")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds for the kernel pools to refill")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    wizard: list[float] = []
    baseline: list[float] = []
    cold_wizard: list[float] = []
    cold_baseline: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.cold_rounds):
            cold_baseline.append(_cold(browser, "baseline"))
            cold_wizard.append(_cold(browser, "wizard"))
        work = _workdir()
        stack = _stack(work)
        wizard_url = stack.dashboard_url
        baseline_url = f"{stack.public_url}/voila/render/baseline_one_button.ipynb"
        with stack:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            time.sleep(args.settle * 2)
            measure(page, baseline_url, BASELINE_READY)  # warm the browser cache and the server
            time.sleep(args.settle)
            measure(page, wizard_url, WIZARD_READY)
            for _ in range(args.rounds):
                time.sleep(args.settle)
                baseline.append(measure(page, baseline_url, BASELINE_READY))
                time.sleep(args.settle)
                wizard.append(measure(page, wizard_url, WIZARD_READY))
        browser.close()
        shutil.rmtree(work, ignore_errors=True)

    ratios = [w / b for w, b in zip(wizard, baseline, strict=True)]
    warm_median = statistics.median(wizard)
    result = {
        "metric": ("time to interactive as a user feels it: navigation start → the wizard's first control "
                   "visible and enabled (the baseline: its one button), Debian Chromium headless"),
        "rounds": args.rounds,
        "cold_rounds": args.cold_rounds,
        "warm": {"wizard": _summary(wizard), "baseline": _summary(baseline),
                 "note": "same server, kernel pools refilled between loads (preheated), browser cache warm"},
        "cold": {"wizard": _summary(cold_wizard), "baseline": _summary(cold_baseline),
                 "note": "first load after a fresh server start, fresh browser context (empty cache)"},
        "wizard_median_ms": round(warm_median, 1),
        "baseline_median_ms": round(statistics.median(baseline), 1),
        "median_ratio": round(statistics.median(ratios), 3),
        "worst_ratio": round(max(ratios), 3),
        "target_warm_median_ms": 1000,
        "target_ratio": 1.3,
        "meets_target": warm_median <= 1000 and statistics.median(ratios) <= 1.3,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": (
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
    }
    data: dict[str, Any] = {}
    if RESULTS.exists():
        try:
            data = json.loads(RESULTS.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data = {}
    data["dashboard_tti"] = result
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
