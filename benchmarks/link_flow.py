"""Link-flow throughput against the in-process sandbox: authorization round trips per second, p50/p95.

One round trip = ``begin_authorization`` → the consent page submitted (``/_sandbox/consent``) →
``complete_authorization`` (pending claimed, code exchanged with PKCE, user info, Seller Center eligibility,
rules, one registry transaction). The first five are new links (1 Official, 4 Marketing); the rest re-authorize
("repair") those links, which walks the same path. Run: ``python benchmarks/link_flow.py [--rounds N]``.
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

from benchmarks._results import save
from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.linking import LinkService
from linkkit.models import Role
from linkkit.sandbox import SandboxServer
from linkkit.store import Store

ACCOUNTS = [
    ("maple.official", Role.OFFICIAL),
    ("maple.deals", Role.MARKETING),
    ("maple.studio", Role.MARKETING),
    ("maple.live", Role.MARKETING),
    ("maple.unbox", Role.MARKETING),
]


def run(rounds: int) -> dict[str, float]:
    with SandboxServer(port=0) as sandbox, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sandbox_url=sandbox.url, database_url=f"sqlite:///{tmp}/r.db", secret_key=Fernet.generate_key().decode()
        )
        service = LinkService(settings, Store(settings.resolved_database_url, TokenBox(settings.secret_key)))
        assert service.sandbox is not None
        start = service.begin_shop_authorization()
        shop = service.complete_authorization(service.sandbox.consent(start.url, "maple_seller")).shops[0]
        links = []
        latencies = []
        t_all = time.perf_counter()
        for n in range(rounds):
            username, role = ACCOUNTS[n % len(ACCOUNTS)]
            t0 = time.perf_counter()
            if n < len(ACCOUNTS):
                begun = service.begin_authorization(shop.id, role)
            else:
                begun = service.begin_authorization(shop.id, role, link_id=links[n % len(ACCOUNTS)])
            result = service.complete_authorization(service.sandbox.consent(begun.url, username))
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    result = run(args.rounds)
    save("link_flow", result)
    print(
        f"| link flow (in-process sandbox) | {result['links_per_second']} links/s | "
        f"p50 {result['p50_ms']} ms | p95 {result['p95_ms']} ms | {result['rounds']} rounds |"
    )


if __name__ == "__main__":
    main()
