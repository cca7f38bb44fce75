"""One monitor pass over many links against the in-process sandbox: time, peak memory, requests per link.

The demo world has a handful of shops and accounts, so the registry is fanned out: the demo seller's Maple
shop is connected and five Maple accounts authorized for real (real tokens), then ``--shops`` registry shops
are added that carry Maple's ``shop_cipher`` and seller, each with ``--links-per-shop`` links whose accounts
hold copies of those real tokens. Every TikTok call the pass makes is therefore a real call to the sandbox
over loopback (user info, the shop's video and LIVE lists, Seller Center's linked accounts), and the checks'
outcomes (identity mismatch, rule limits) do not change what a pass costs.

Run: ``python benchmarks/monitor_pass.py [--shops 500] [--links-per-shop 10] [--concurrency 4] [--save]``.
Requests are counted by a response hook on the service's one HTTP session (every TikTok call goes through it),
grouped by path, so the counts are exact at any size; ``tcp_connections`` is how many connections that
session's pools opened (keep-alive: a handful, not one per request). On small runs (under 2,000 requests)
the sandbox's own request log is compared with the hook's count (``sandbox_log_agrees``).
``cpu_seconds`` is the process's CPU time during the pass (the in-process sandbox's included): on a loaded
machine it says more about direction than ``seconds`` does.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from cryptography.fernet import Fernet

from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.identity import MONITOR_PRINCIPAL
from linkkit.linking import LinkService
from linkkit.models import Provider, Role, Shop, TikTokAccount
from linkkit.monitor import Monitor, MonitorConfig, MonitorRegistry
from linkkit.sandbox import SandboxServer
from linkkit.store import Store
from linkkit.store import links as links_table
from linkkit.tiktok.http import make_session

MAPLE = "7494100000000000101"
ACCOUNTS = [("maple.official", Role.OFFICIAL), ("maple.deals", Role.MARKETING), ("maple.studio", Role.MARKETING),
            ("maple.live", Role.MARKETING), ("maple.unbox", Role.MARKETING)]


def _populate(service: LinkService, shops: int, per_shop: int) -> int:
    assert service.sandbox is not None
    start = service.begin_shop_authorization()
    service.complete_authorization(service.sandbox.consent(start.url, "maple_seller"))
    real = []
    for username, role in ACCOUNTS:
        begin = service.begin_authorization(MAPLE, role)
        result = service.complete_authorization(service.sandbox.consent(begin.url, username))
        assert result.link is not None
        real.append(service.store.token(Provider.LOGIN_KIT, result.link.account.open_id))
    maple = service.shop(MAPLE)
    store = service.store
    now = service.now()
    with store.transaction() as conn:
        for i in range(shops):
            shop_id = f"bench-shop-{i:04d}"
            store.upsert_shop(Shop(id=shop_id, name=f"Bench shop {i}", region=maple.region,
                                   seller_type=maple.seller_type, cipher=maple.cipher,
                                   seller_name=maple.seller_name, seller_open_id=maple.seller_open_id), conn=conn)
            # One account per link, as in life (an account is linked to one shop), each holding a copy of a
            # real grant's tokens.
            for k in range(per_shop):
                token = real[k % len(real)]
                assert token is not None
                open_id = f"bench-{i:04d}-{k:02d}"
                store.upsert_account(TikTokAccount(open_id=open_id, display_name=f"Bench {i}/{k}",
                                                   username=f"bench.{i:04d}.{k:02d}"), conn=conn)
                store.save_token(Provider.LOGIN_KIT, open_id, access_token=token.access_token,
                                 refresh_token=token.refresh_token, expires_at=token.expires_at,
                                 refresh_expires_at=token.refresh_expires_at, scopes=token.scopes, conn=conn)
            # Written as rows, not through insert_link: ten links per shop break Seller Center's role limits,
            # which insert_link enforces. The pass's cost does not depend on the checks' outcomes.
            conn.execute(links_table.insert(), [
                {"shop_id": shop_id, "account_open_id": f"bench-{i:04d}-{k:02d}",
                 "role": (Role.OFFICIAL if k == 0 else Role.MARKETING).value, "created_at": now,
                 "scopes": ",".join(sorted(token.scopes))} for k in range(per_shop)])
    return len(store.links())


def _connections(session: requests.Session) -> int:
    """TCP connections opened by the session's connection pools so far."""
    total = 0
    for adapter in session.adapters.values():
        for pool in list(adapter.poolmanager.pools._container.values()):
            total += pool.num_connections
    return total


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(shops: int, per_shop: int, concurrency: int) -> dict[str, object]:
    with SandboxServer(port=0) as sandbox, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(sandbox_url=sandbox.url, database_url=f"sqlite:///{tmp}/r.db",
                            secret_key=Fernet.generate_key().decode())
        by_path: Counter[str] = Counter()
        counting = False

        def count(response: requests.Response, *args: object, **kwargs: object) -> None:
            if counting:
                by_path[requests.utils.urlparse(response.url).path] += 1

        session = make_session(max_retries=settings.max_retries)
        session.hooks["response"].append(count)
        # As `linkkit monitor` builds it: the monitor acts on every shop (the shops here have no owners).
        service = LinkService(settings, Store(settings.resolved_database_url, TokenBox(settings.secret_key)),
                              session=session, actor=MONITOR_PRINCIPAL, system=True)
        links = _populate(service, shops, per_shop)
        monitor = Monitor(service, MonitorRegistry(service.store),
                          MonitorConfig(interval_seconds=3600, concurrency=concurrency), holder="bench")
        requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=10).raise_for_status()
        connections_before = _connections(session)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        counting = True
        cpu_started, started = _cpu(), time.perf_counter()
        report = monitor.run_once()
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu_started
        counting = False
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        connections = _connections(session) - connections_before
        total = sum(by_path.values())
        agrees = None
        if total < 2000:  # the sandbox keeps its last 2,000 requests only
            recorded = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=60).json()["requests"]
            agrees = Counter(str(r.get("path", "")).split("?")[0] for r in recorded) == by_path
        service.store.close()
    user_info = sum(n for path, n in by_path.items() if path.startswith("/v2/user/info"))
    return {
        "shops": shops, "links": links, "concurrency": concurrency, "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "links_per_second": round(links / elapsed, 1) if elapsed else None,
        "peak_rss_mib": round(rss_after / 1024, 1),
        "rss_growth_during_pass_mib": round((rss_after - rss_before) / 1024, 1),
        "verified": report.verified, "jobs_run": report.jobs_run,
        "requests_per_link": {path: round(n / links, 2) for path, n in sorted(by_path.items())},
        "requests_total_per_link": round(total / links, 2),
        "user_info_per_link": round(user_info / links, 2),
        "binding_reads_per_link": round((total - user_info) / links, 2),
        "tcp_connections": connections,
        "sandbox_log_agrees": agrees,
        "all_verified": report.verified == links,
        "target": "<= 60 s; <= 1 user-info + 1 binding-check call per link",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=500)
    parser.add_argument("--links-per-shop", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--save", action="store_true", help="write the figures into benchmarks/results.json")
    args = parser.parse_args()
    result = run(args.shops, args.links_per_shop, args.concurrency)
    print(json.dumps(result, indent=2))
    if args.save:
        from benchmarks._results import save

        save("monitor_pass", result)


if __name__ == "__main__":
    main()
