"""Soak: many browsers use the dashboard for minutes; do kernels, memory and file descriptors come back?

Starts the stack the way ``linkkit dashboard`` does (sandbox, health monitor, Voila with one preheated kernel per
notebook; :func:`benchmarks._browser.demo_stack`), connects Maple & Co, then runs ``--contexts`` Chromium browser
contexts at once (Debian's chromium through Playwright, one browser process) for ``--minutes``. Each context loops:

    new context → open the wizard → choose the shop → "Link a Marketing account" → authorize in TikTok's tab
    (the sandbox's consent page) → read the outcome → reload the wizard → close its tabs (as a person does:
    the page's unload handler runs) → close the context

When linkkit's slow-start notice appears instead of the wizard, the context waits 30 s more for the page to open
by itself, then presses the notice's Reload once, as a person would; each case is counted as an outcome, and
the time every page took to open is summarised (``open_seconds``).

Meanwhile a janitor unlinks what was linked (advancing the sandbox's clock past Seller Center's 24-hour rule), so
the shop never runs out of Marketing slots, and the health monitor runs as it does under ``linkkit dashboard``.

Recorded at the start (before any page) and at the end (after the last context closed and a settle time in which
the kernel count is polled until it is back at its start value, or ``--settle`` seconds pass): the number of
kernels (kernel processes under Voila: Voila standalone has no kernel list), the RSS of the whole server process
tree (sandbox, monitor, Voila and its kernels) and its open file descriptors. Every error seen is recorded: a
step that failed or timed out, an uncaught page error, a server answer of 500 or more. A refusal shown to the
person (e.g. an account already linked) is an outcome, not an error.

    .venv/bin/python benchmarks/soak.py --minutes 1 --contexts 2          # develop
    .venv/bin/python benchmarks/soak.py --minutes 15 --contexts 10 --save # the figure in results.json ("soak")
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._browser import CHROMIUM, CHROMIUM_ARGS, MAPLE, Demo, demo_stack  # noqa: E402
from linkkit.stack import CULL_IDLE_TIMEOUT, CULL_INTERVAL  # noqa: E402

SHOP_LABEL = "Maple & Co — US · Local seller"
MARKETING = ["maple.deals", "maple.studio", "maple.live", "maple.unbox", "maple.extra"]
STEP_TIMEOUT_MS = 60_000
#: Where screenshots of the first errors go (``--shots``); none when ``None``.
SHOTS: Path | None = None


# --- the server's resources -------------------------------------------------------------------------------------


def _tree(demo: Demo) -> list[psutil.Process]:
    found: list[psutil.Process] = []
    for popen in demo.stack.processes:
        try:
            root = psutil.Process(popen.pid)
            found += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return found


def _kernels(demo: Demo) -> int:
    voila = psutil.Process(demo.stack.processes[-1].pid)
    count = 0
    for child in voila.children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                count += 1
        except psutil.NoSuchProcess:
            continue
    return count


def resources(demo: Demo) -> dict[str, Any]:
    """Kernels, RSS (MiB) and open file descriptors of the server process tree, now."""
    rss = 0
    fds = 0
    processes = 0
    for process in _tree(demo):
        try:
            rss += process.memory_info().rss
            fds += process.num_fds()
            processes += 1
        except psutil.NoSuchProcess:
            continue
    return {"kernels": _kernels(demo), "rss_mib": round(rss / 2**20, 1), "fds": fds, "processes": processes}


# --- the janitor: frees Marketing slots ---------------------------------------------------------------------------


def janitor(demo: Demo, stop: threading.Event, errors: list[str], interval: float = 20.0) -> None:
    """Every ``interval`` seconds: advance the sandbox clock 25 h and unlink every Marketing link."""
    service = demo.service()
    try:
        while not stop.wait(interval):
            try:
                links = [link for link in service.links(MAPLE) if link.role.value == "marketing"]
                if not links:
                    continue
                assert service.sandbox is not None
                service.sandbox.advance_clock(25 * 3600)
                for link in links:
                    service.unlink(link.id)
            except Exception as exc:  # a refusal here is the janitor's problem, recorded as an error
                errors.append(f"janitor: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        service.store.close()


# --- one browser context's loop -----------------------------------------------------------------------------------


async def _authorize(context: Any, page: Any, demo: Demo, outcomes: Counter[str]) -> None:
    """Press Authorize, consent on the sandbox's TikTok page as a Marketing candidate, read the outcome."""
    async with context.expect_page() as popup_info:
        await page.get_by_role("button", name="Authorize with TikTok").click()
    popup = await popup_info.value
    await popup.wait_for_load_state()
    await popup.locator("#username").fill(random.choice(MARKETING))
    await popup.locator("#password").fill("pass_good")
    await popup.get_by_role("button", name="Authorize").click()
    sandbox = str(demo.stack.sandbox_url)
    await popup.wait_for_url(lambda url: not url.startswith(sandbox))  # back at linkkit's callback
    await popup.wait_for_load_state()
    text = " ".join((await popup.locator("body").inner_text()).split())
    outcomes["linked" if "TikTok authorized" in text else f"refused, shown: {text[:70]}"] += 1
    await popup.close(run_before_unload=True)


#: How long a context waits, once linkkit's slow-start notice is up, before it presses Reload.
PATIENCE_MS = 30_000


async def _opened(page: Any, shown: Any, outcomes: Counter[str], open_seconds: list[float], asked: float) -> None:
    """Wait for ``shown``. If linkkit's slow-start notice comes first, wait up to :data:`PATIENCE_MS` more for
    the page to open by itself, then press the notice's Reload once, as a person would. The seconds from
    ``asked`` (or from the Reload) to ``shown`` go to ``open_seconds``."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    notice = page.locator("#lk-slow-start")
    await shown.or_(notice).first.wait_for()
    if await notice.count():
        outcomes["slow-start notice shown"] += 1
        try:
            await shown.wait_for(timeout=PATIENCE_MS)
            outcomes["opened by itself after the notice"] += 1
        except PlaywrightTimeout:
            await notice.get_by_role("button", name="Reload").click()
            asked = time.monotonic()
            await shown.wait_for()
            outcomes["opened after its Reload"] += 1
    open_seconds.append(round(time.monotonic() - asked, 2))


async def _iteration(browser: Any, demo: Demo, slot: int, outcomes: Counter[str], errors: list[str],
                     open_seconds: list[float]) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    step = "open the wizard"

    def on_response(response: Any) -> None:
        if response.status >= 500:
            errors.append(f"context {slot}: HTTP {response.status} for {response.url.split('?')[0]}")

    context.on("response", on_response)
    try:
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"context {slot}: page error: {str(exc)[:200]}"))
        asked = time.monotonic()
        await page.goto(demo.wizard_url)
        await _opened(page, page.get_by_text("Step 1 of 5"), outcomes, open_seconds, asked)
        welcome = page.get_by_text("Welcome back")  # the shop has an unfinished link: the wizard resumes it
        if await welcome.count():
            outcomes["resumed an unfinished link"] += 1
        else:
            step = "choose the shop"
            await page.get_by_label(SHOP_LABEL).check()
            await page.get_by_role("button", name="Use this shop").click()
            await page.get_by_text("Seller Center rules that apply").or_(welcome).first.wait_for()
            button = page.get_by_role("button", name="Link a Marketing account")
            if await welcome.count():
                outcomes["resumed an unfinished link"] += 1
            elif not await button.is_enabled():
                outcomes["no Marketing slot"] += 1
            else:
                step = "choose Marketing"
                step4 = page.get_by_text("Account to link as")  # step 4's content (not the stepper's label)
                try:
                    await button.click(timeout=15_000)
                    await page.get_by_text("What linkkit asks TikTok for").or_(step4).first.wait_for()
                except PlaywrightTimeout:
                    if not await step4.count():
                        raise
                if await step4.count():  # another context's authorization finished: this wizard moved on to it
                    outcomes["moved on to another tab's link"] += 1
                else:
                    await _authorize(context, page, demo, outcomes)
        step = "reload the wizard"
        asked = time.monotonic()
        await page.reload()
        await _opened(page, page.get_by_text(re.compile(r"Step \d of 5")).first, outcomes, open_seconds, asked)
        outcomes["iterations"] += 1
    except Exception as exc:
        errors.append(f"context {slot}: {step}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if SHOTS is not None and len(errors) <= 5:
            SHOTS.mkdir(parents=True, exist_ok=True)
            for i, open_page in enumerate(context.pages):
                try:
                    await open_page.screenshot(path=str(SHOTS / f"soak-error-{len(errors)}-{i}.png"), full_page=True)
                except Exception:  # a page that cannot be shot has nothing to show
                    continue
    finally:
        for open_page in context.pages:  # as a person closes tabs: the page's unload shuts its kernel down
            try:
                await open_page.close(run_before_unload=True)
            except Exception as exc:
                errors.append(f"context {slot}: close: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        await context.close()


async def drive(demo: Demo, contexts: int, seconds: float, outcomes: Counter[str], errors: list[str],
                open_seconds: list[float]) -> None:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + seconds
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            async def loop(slot: int) -> None:
                while time.monotonic() < deadline:
                    await _iteration(browser, demo, slot, outcomes, errors, open_seconds)

            await asyncio.gather(*(loop(slot) for slot in range(contexts)))
        finally:
            await browser.close()


# --- the run ------------------------------------------------------------------------------------------------------


def settle(demo: Demo, baseline_kernels: int, seconds: float) -> float:
    """Wait until the kernel count is back at ``baseline_kernels`` (at most ``seconds``); returns the wait."""
    start = time.monotonic()
    while time.monotonic() - start < seconds and _kernels(demo) != baseline_kernels:
        time.sleep(1.0)
    time.sleep(min(10.0, seconds))  # and let memory and descriptors follow
    return round(time.monotonic() - start, 1)


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"pages": 0}
    ordered = sorted(values)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"pages": len(ordered), "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": ordered[-1]}


def run(minutes: float, contexts: int, settle_seconds: float, cull_idle: int = CULL_IDLE_TIMEOUT) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    open_seconds: list[float] = []  # from asking for the wizard (or pressing Reload) to seeing it, per page
    interval = min(CULL_INTERVAL, max(10, cull_idle // 4))
    with demo_stack(preheat=True, pool_size=1, cull_idle_timeout=cull_idle, cull_interval=interval) as demo:
        demo.connect_shop()
        deadline = time.monotonic() + 120  # the preheated kernels start after Voila answers
        while _kernels(demo) < 2 and time.monotonic() < deadline:
            time.sleep(1.0)
        time.sleep(5.0)
        start = resources(demo)
        print(f"start: {start}", flush=True)
        stop = threading.Event()
        cleaner = threading.Thread(target=janitor, args=(demo, stop, errors), daemon=True)
        cleaner.start()
        began = time.monotonic()
        peak: dict[str, Any] = dict(start)
        samples: list[list[float]] = []  # [seconds, kernels, rss_mib, fds] every 15 s: does memory plateau?

        def sample() -> None:
            while not stop.wait(15.0):
                now = resources(demo)
                samples.append([round(time.monotonic() - began), now["kernels"], now["rss_mib"], now["fds"]])
                for key in ("kernels", "rss_mib", "fds", "processes"):
                    peak[key] = max(peak[key], now[key])
                print(f"{time.monotonic() - began:6.0f} s: {now}  {dict(outcomes)}  errors={len(errors)}",
                      flush=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            asyncio.run(drive(demo, contexts, minutes * 60, outcomes, errors, open_seconds))
        finally:
            stop.set()
            cleaner.join(timeout=60)
            sampler.join(timeout=30)
        driven = round(time.monotonic() - began, 1)
        waited = settle(demo, start["kernels"], settle_seconds)
        end = resources(demo)
        print(f"end (after {waited} s settling): {end}", flush=True)
    return {
        "minutes": minutes, "contexts": contexts, "driven_s": driven, "settle_s": waited,
        "cull_idle_timeout_s": cull_idle, "cull_interval_s": interval,
        "start": start, "peak": peak, "end": end, "outcomes": dict(outcomes),
        "errors": len(errors), "error_samples": sorted(Counter(errors).items(), key=lambda kv: -kv[1])[:20],
        "samples": samples, "kernels_back": end["kernels"] == start["kernels"],
        "open_seconds": _summary(open_seconds),
        "rss_growth_mib": round(end["rss_mib"] - start["rss_mib"], 1), "fds_growth": end["fds"] - start["fds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="how long the contexts loop (default 15)")
    parser.add_argument("--contexts", type=int, default=10, help="browser contexts at once (default 10)")
    parser.add_argument("--settle", type=float, default=None,
                        help="seconds at most to wait for the kernel count to come back (default: long enough for "
                             "culling to reclaim orphaned kernels: the cull timeout + two cull passes + 60 s)")
    parser.add_argument("--cull-idle", type=int, default=CULL_IDLE_TIMEOUT,
                        help="seconds an orphaned kernel (no page connected) may idle before Voila shuts it down "
                             f"(default: the product's {CULL_IDLE_TIMEOUT}); shorter to see culling within a run")
    parser.add_argument("--save", action="store_true", help="write the 'soak' key of benchmarks/results.json")
    parser.add_argument("--shots", type=Path, help="save screenshots of the first five errors in this folder")
    args = parser.parse_args(argv)
    global SHOTS
    SHOTS = args.shots
    interval = min(CULL_INTERVAL, max(10, args.cull_idle // 4))
    settle_for = args.settle if args.settle is not None else args.cull_idle + 2 * interval + 60
    result = run(args.minutes, args.contexts, settle_for, args.cull_idle)
    print(json.dumps(result, indent=2))
    if args.save:
        from benchmarks._results import save

        save("soak", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
