"""Link-flow throughput against the in-process sandbox: authorization round trips per second, p50/p95.

One round trip = ``begin_authorization`` → the consent page submitted (``/_sandbox/consent``) →
``complete_authorization`` (pending claimed, code exchanged with PKCE, user info, Seller Center eligibility,
rules, one registry transaction). The first five are new links (1 Official, 4 Marketing); the rest re-authorize
("repair") those links, which walks the same path. Run: ``python benchmarks/link_flow.py [--rounds N] [--runs R]``.

Each run is a fresh sandbox and registry. Reported per run: throughput, p50, p95, and the registry commits and
TCP connections one completion costs (counted with SQLAlchemy's ``commit`` event and the HTTP session's pool);
the headline is the worst run (lowest throughput).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet
from sqlalchemy import event

from benchmarks._results import save
from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.linking import LinkService
from linkkit.models import Role
from linkkit.sandbox import SandboxServer
from linkkit.store import Store

ACCOUNTS = [("maple.official", Role.OFFICIAL), ("maple.deals", Role.MARKETING), ("maple.studio", Role.MARKETING),
            ("maple.live", Role.MARKETING), ("maple.unbox", Role.MARKETING)]


def run(rounds: int) -> dict[str, float]:
    with SandboxServer(port=0) as sandbox, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(sandbox_url=sandbox.url, database_url=f"sqlite:///{tmp}/r.db",
                            secret_key=Fernet.generate_key().decode())
        store = Store(settings.resolved_database_url, TokenBox(settings.secret_key))
        commits = [0]
        event.listen(store.engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
        service = LinkService(settings, store)
        assert service.sandbox is not None
        start = service.begin_shop_authorization()
        shop = service.complete_authorization(service.sandbox.consent(start.url, "maple_seller")).shops[0]
        links = []
        latencies = []
        completion_commits = []
        begin_commits = []
        t_all = time.perf_counter()
        for n in range(rounds):
            username, role = ACCOUNTS[n % len(ACCOUNTS)]
            t0 = time.perf_counter()
            before_begin = commits[0]
            if n < len(ACCOUNTS):
                begun = service.begin_authorization(shop.id, role)
            else:
                begun = service.begin_authorization(shop.id, role, link_id=links[n % len(ACCOUNTS)])
            begin_commits.append(commits[0] - before_begin)
            callback = service.sandbox.consent(begun.url, username)
            before = commits[0]
            result = service.complete_authorization(callback)
            completion_commits.append(commits[0] - before)
            latencies.append(time.perf_counter() - t0)
            if n < len(ACCOUNTS):
                assert result.link is not None
                links.append(result.link.id)
        wall = time.perf_counter() - t_all
    latencies.sort()
    return {
        "rounds": rounds,
        "links_per_second": round(rounds / wall, 2),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "commits_per_completion": max(completion_commits),
        "commits_per_begin": max(begin_commits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = [run(args.rounds) for _ in range(args.runs)]
    worst = min(runs, key=lambda r: r["links_per_second"])
    save("link_flow", {**worst, "worst_of_runs": len(runs), "runs": runs})
    for r in runs:
        print(f"| link flow run | {r['links_per_second']} links/s | p50 {r['p50_ms']} ms | p95 {r['p95_ms']} ms | "
              f"{r['commits_per_completion']} commits/completion | {r['commits_per_begin']} commits/begin |")
    print(f"| link flow (in-process sandbox), worst of {len(runs)} | {worst['links_per_second']} links/s | "
          f"p50 {worst['p50_ms']} ms | p95 {worst['p95_ms']} ms | {worst['rounds']} rounds |")


if __name__ == "__main__":
    main()
