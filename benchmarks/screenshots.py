"""Retake the README's screenshots (``docs/screenshots/*.png``) from a running sandbox dashboard.

Starts the stack ``make dashboard`` runs (sandbox + Voila with the linkkit template) on free ports over a fresh
registry, drives Debian's Chromium through the journeys a seller takes and saves one PNG per view:

- the wizard's five steps (``wizard-1-connect`` … ``wizard-5-connected``) and step 1 at 420 px;
- a refusal with its specific cause (``wizard-3-refused-region``: a GB account for a US shop);
- a denied consent (``wizard-3-denied``) and a link awaiting evidence (``wizard-4-awaiting-evidence``);
- the panel: links (``panel-1-links``), the 24-hour unlink refusal, history, troubleshooter, analytics;
- Cedar Goods' links imported from Seller Center and its history (``panel-7-cedar-imported``, ``-history``);
- the panel and its analytics at 420 px.

Usage:  python benchmarks/screenshots.py [--only NAME ...] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._browser import CHROMIUM, CHROMIUM_ARGS, Demo, demo_stack, link_row  # noqa: E402

SHOP_LABEL = "Maple & Co — US · Local seller"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 420, "height": 900}
CONTENT_HEIGHT = """() => Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll('*')]
  .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight)
  .map(e => e.scrollHeight + e.getBoundingClientRect().top + window.scrollY))"""


class Shooter:
    def __init__(self, browser: Any, demo: Demo, out: Path) -> None:
        self.browser = browser
        self.demo = demo
        self.out = out
        self.taken: list[Path] = []

    def page(self, url: str, viewport: dict[str, int] = WIDE) -> Any:
        context = self.browser.new_context(viewport=viewport)
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(url)
        return page

    def shot(self, page: Any, name: str) -> None:
        page.wait_for_timeout(400)  # let transitions and focus rings settle
        path = self.out / f"{name}.png"
        # Voila scrolls an inner container, so a "full page" shot stops at the viewport: grow the viewport to
        # the content instead, shoot, and give the page its size back.
        size = page.viewport_size
        height = page.evaluate(CONTENT_HEIGHT)
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 24, 8000))})
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
        page.set_viewport_size(size)
        self.taken.append(path)
        print(f"saved {path.name}", flush=True)

    # ------------------------------------------------------------------ helpers

    def wizard(self, viewport: dict[str, int] = WIDE) -> Any:
        page = self.page(self.demo.wizard_url, viewport)
        page.get_by_text("Step 1 of 5").wait_for()
        return page

    @staticmethod
    def choose(page: Any, role: str) -> None:
        page.get_by_label(SHOP_LABEL).check()
        page.get_by_role("button", name="Use this shop").click()
        page.get_by_text("Seller Center rules that apply").wait_for()
        page.get_by_role("button", name=f"Link {'an' if role == 'Official' else 'a'} {role} account").click()
        page.get_by_text("What linkkit asks TikTok for").wait_for()

    @staticmethod
    def authorize(page: Any, username: str, *, allow: bool = True) -> Any:
        with page.context.expect_page() as popup_info:
            page.get_by_role("button", name="Authorize with TikTok").click()
        popup = popup_info.value
        popup.wait_for_load_state()
        popup.locator("#username").fill(username)
        popup.locator("#password").fill("pass_good")
        popup.get_by_role("button", name="Authorize" if allow else "Cancel").click()
        return popup


def wizard_steps(s: Shooter) -> None:
    first = s.wizard()
    first.get_by_role("button", name="Authorize linkkit in Seller Center").wait_for()
    s.shot(first, "wizard-1-connect")
    narrow = s.wizard(NARROW)
    narrow.get_by_role("button", name="Authorize linkkit in Seller Center").wait_for()
    s.shot(narrow, "wizard-1-connect-420px")
    s.demo.connect_shop()
    page = s.wizard()
    page.get_by_label(SHOP_LABEL).wait_for()
    page.get_by_label(SHOP_LABEL).check()
    page.get_by_role("button", name="Use this shop").click()
    page.get_by_text("Seller Center rules that apply").wait_for()
    s.shot(page, "wizard-2-choose")
    page.get_by_role("button", name="Link an Official account").click()
    page.get_by_text("What linkkit asks TikTok for").wait_for()
    s.shot(page, "wizard-3-permissions")
    popup = s.authorize(page, "maple.official")
    popup.get_by_text("TikTok authorized @maple.official").wait_for()
    page.get_by_text("Sandbox Seller Center").wait_for()
    s.shot(page, "wizard-4-seller-center")
    page.get_by_role("button", name="1 · Send the invitation (as the seller)").click()
    page.get_by_text("Invitation sent").wait_for()
    page.get_by_role("button", name="2 · Accept it in the TikTok app (as @maple.official)").click()
    page.get_by_text("Invitation accepted. Verify the link.").wait_for()
    page.get_by_role("button", name="Verify the link").click()
    page.locator(".lk-connected").wait_for()
    s.shot(page, "wizard-5-connected")


def wizard_off_the_happy_path(s: Shooter) -> None:
    page = s.wizard()
    s.choose(page, "Marketing")
    popup = s.authorize(page, "maple.deals", allow=False)
    page.get_by_text("You declined the permissions on TikTok").first.wait_for()
    popup.close()
    s.shot(page, "wizard-3-denied")
    page = s.wizard()
    s.choose(page, "Marketing")
    popup = s.authorize(page, "london.creator")
    try:
        page.get_by_text("registered in GB").first.wait_for()
    except Exception:
        s.shot(page, "failed-refusal-wizard")
        s.shot(popup, "failed-refusal-popup")
        raise
    popup.close()
    s.shot(page, "wizard-3-refused-region")
    page = s.wizard()
    s.choose(page, "Marketing")
    popup = s.authorize(page, "maple.deals")
    page.get_by_text("Sandbox Seller Center").wait_for()
    popup.close()
    page.get_by_role("button", name="Seller Center already shows it as linked").click()
    page.get_by_text("Awaiting evidence").first.wait_for()
    s.shot(page, "wizard-4-awaiting-evidence")


def panel(s: Shooter) -> None:
    from linkkit.models import Role

    for name in ("maple.studio", "maple.live"):
        s.demo.link(Role.MARKETING, name)
    page = s.page(s.demo.panel_url)
    link_row(page, "@maple.official").wait_for()
    s.shot(page, "panel-1-links")
    link_row(page, "@maple.studio").get_by_role("button", name="Unlink").click()
    page.get_by_role("button", name="Unlink @maple.studio").click()
    page.get_by_text("Reason code: unlink_too_early").wait_for()
    s.shot(page, "panel-2-unlink-refused")
    page = s.page(s.demo.panel_url)
    link_row(page, "@maple.official").wait_for()
    page.get_by_role("tab", name="History").click()
    page.get_by_text("Authorized on TikTok").first.wait_for()
    s.shot(page, "panel-4-history")
    page.get_by_role("tab", name="Troubleshooter").click()
    page.get_by_text("What happened?").first.wait_for()
    s.shot(page, "panel-5-troubleshooter")
    page.get_by_role("tab", name="Analytics").click()
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=90_000)
    s.shot(page, "panel-6-analytics")
    narrow = s.page(s.demo.panel_url, NARROW)
    link_row(narrow, "@maple.official").wait_for()
    s.shot(narrow, "panel-1-links-420px")
    narrow.get_by_role("tab", name="Analytics").click()
    narrow.locator(".js-plotly-plot").nth(2).wait_for(timeout=90_000)
    s.shot(narrow, "panel-6-analytics-420px")


def cedar(s: Shooter) -> None:
    s.demo.connect_shop("cedar_seller")
    page = s.page(s.demo.panel_url)
    page.locator(".lk-trow").first.wait_for()
    page.get_by_label("Shop").select_option(label=next(
        o for o in page.get_by_label("Shop").locator("option").all_inner_texts() if "Cedar" in o))
    page.get_by_text("Found in Seller Center").first.wait_for()
    s.shot(page, "panel-7-cedar-imported")
    page.get_by_role("tab", name="History").click()
    page.locator(".lk-events td", has_text="Found in Seller Center").first.wait_for()
    s.shot(page, "panel-7-cedar-history")


SCENES: dict[str, Callable[[Shooter], None]] = {
    "wizard": wizard_steps, "off-path": wizard_off_the_happy_path, "panel": panel, "cedar": cedar,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENES), help="scenes to take (default: all, in order)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    names = args.only or list(SCENES)
    failed: list[str] = []
    with demo_stack(preheat=False) as demo, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        shooter = Shooter(browser, demo, args.out)
        try:
            if "wizard" not in names:  # the other scenes start where the wizard's left off
                from linkkit.models import Role

                demo.connect_shop()
                demo.link(Role.OFFICIAL, "maple.official")
            for name in names:
                try:
                    SCENES[name](shooter)
                except Exception as exc:  # take the other scenes; report this one
                    print(f"scene {name} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
                    failed.append(name)
        finally:
            browser.close()
    print(f"{len(shooter.taken)} screenshots in {args.out}; failed scenes: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
