"""A pass's cost and its leftovers: TikTok calls per link counted at the sandbox, and the revocation outbox
drained by the monitor. Each test runs on SQLite and PostgreSQL against the in-process sandbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

import linkkit.linking.outbox as outbox_module
from linkkit.models import Role
from linkkit.monitor import Monitor
from tests.integration.conftest import MAPLE, Harness, alive

pytestmark = pytest.mark.integration

USER_INFO = "/v2/user/info/"


def recorded(h: Harness) -> Counter[str]:
    return Counter(str(r["path"]).split("?")[0] for r in h.control("GET", "/requests")["requests"])


def test_a_pass_asks_login_kit_once_per_link_and_seller_center_once_per_shop(
        h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    h.connect()
    usernames = ["maple.official", "maple.deals", "maple.studio", "maple.live", "maple.unbox"]
    links = [h.bind(h.authorize(MAPLE, Role.OFFICIAL if i == 0 else Role.MARKETING, name))
             for i, name in enumerate(usernames)]
    monitor = make_monitor()
    h.control("DELETE", "/requests")
    report = monitor.run_once()
    paths = recorded(h)
    assert report.verified == len(links) and report.errors == []
    assert paths[USER_INFO] == len(links)  # exactly one user-info call per link
    # The binding check reads the shop's lists (linked accounts, LIVEs, videos): once per shop, not per link.
    shop_reads = {path: n for path, n in paths.items() if path != USER_INFO}
    assert shop_reads and all(n <= 2 for n in shop_reads.values()), shop_reads
    assert sum(paths.values()) <= 2 * len(links), paths


class Died(BaseException):
    """Stands for a process killed mid-drain (not a LinkkitError: nothing catches it)."""


def test_a_revocation_left_in_the_outbox_is_done_by_one_monitor_pass(
        h: Harness, make_monitor: Callable[..., Monitor], monkeypatch: pytest.MonkeyPatch) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]  # Seller Center's 24 h unlink rule

    def die(point: str) -> None:
        if point == "outbox.revoking":
            raise Died

    monkeypatch.setattr(outbox_module, "crash_point", die)
    with pytest.raises(Died):
        h.service.unlink(link.id)  # the unlink committed; the process died before TikTok was asked
    monkeypatch.undo()
    assert [r["reason"] for r in h.service.store.outbox()] == ["unlinked"]
    assert alive(h) == ["maple.deals"]
    report = make_monitor().run_once()
    assert "outbox" in report.jobs_run and report.revoked == 1
    assert alive(h) == [] and h.service.store.outbox() == []
