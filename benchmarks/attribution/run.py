"""Run the attribution benchmark: every variant in its own process, interleaved, then a table.

Writes the ``"attribution"`` key of ``benchmarks/results.json`` (read-modify-write: other benchmarks own the
other keys) and prints a Markdown table for the README.

Example:
    $ .venv/bin/python benchmarks/attribution.py            # 10M orders, 5 rounds
    $ .venv/bin/python benchmarks/attribution.py --orders 200000 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results.json"

CHILD = r"""
import importlib, json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from benchmarks.attribution.variants import IMPORTS, VARIANTS
name, orders, links, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
fn = VARIANTS[name]
t_imp = time.perf_counter()
for module in IMPORTS[name]:
    importlib.import_module(module)
import_s = time.perf_counter() - t_imp
t0 = time.perf_counter()
df = fn(orders, links)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
gmv = round(float(df["gmv"].sum()), 2)
json.dump({{"wall_s": wall, "import_s": import_s, "peak_rss_bytes": rss,
           "attributed": int(df["orders"].sum()), "groups": len(df),
           "gmv": gmv}}, open(out, "w"))
"""

DASH_CHILD = r"""
import json, resource, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from benchmarks.attribution.dashboard import measure
res = measure(Path(sys.argv[1]), Path(sys.argv[2]))
res["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump(res, open(sys.argv[3], "w"))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        subprocess.run(
            [sys.executable, "-c", code, *args, out], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.attribution.generate import generate
    from benchmarks.attribution.variants import VARIANTS

    parser = argparse.ArgumentParser(description="linkkit attribution benchmark")
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--shops", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dashboard-orders", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true", help="do not update benchmarks/results.json")
    args = parser.parse_args(argv)

    orders, links = generate(args.orders, args.shops)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for r in range(args.rounds):  # interleaved round-robin, one process per run
        for name in VARIANTS:
            res = _child(CHILD.format(root=str(ROOT)), name, str(orders), str(links))
            runs[name].append(res)
            print(
                f"round {r + 1}: {name:8s} {res['wall_s']:6.2f} s  {res['peak_rss_bytes'] / 2**20:7.0f} MiB",
                file=sys.stderr,
            )

    answers = {(r["attributed"], r["gmv"], r["groups"]) for rs in runs.values() for r in rs}
    agree = len(answers) == 1
    summary: dict[str, Any] = {}
    for name, rs in runs.items():
        summary[name] = {
            "median_wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),
            "median_import_s": round(statistics.median(r["import_s"] for r in rs), 3),
            "peak_rss_mib": round(max(r["peak_rss_bytes"] for r in rs) / 2**20, 1),
            "attributed_orders": rs[0]["attributed"],
            "groups": rs[0]["groups"],
            "gmv": rs[0]["gmv"],
        }
    d_orders, d_links = generate(args.dashboard_orders, max(50, args.shops // 10))
    dash = _child(DASH_CHILD.format(root=str(ROOT)), str(d_orders), str(d_links))
    lk = summary["linkkit"]["median_wall_s"]
    fastest_engine = min(summary[n]["median_wall_s"] for n in ("duckdb", "polars"))
    checks = {
        "results_agree": agree,
        "linkkit_le_1_5_s": lk <= 1.5,
        "linkkit_le_1_gib": summary["linkkit"]["peak_rss_mib"] <= 1024,
        "linkkit_5x_faster_than_pandas": summary["pandas"]["median_wall_s"] >= 5 * lk,
        "linkkit_within_1_2x_of_fastest_engine": lk <= 1.2 * fastest_engine,
        "dashboard_redraw_le_200_ms": dash["redraw_median_s"] <= 0.2,
    }
    record = {
        "orders": args.orders,
        "shops": args.shops,
        "links": 4 * args.shops,
        "rounds": args.rounds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "variants": summary,
        "dashboard": {
            "orders": args.dashboard_orders,
            "redraw_median_s": round(dash["redraw_median_s"], 4),
            "redraw_max_s": round(dash["redraw_max_s"], 4),
            "prepare_s": round(dash["prepare_s"], 3),
            "filter_changes": int(dash["filter_changes"]),
            "peak_rss_mib": round(dash["peak_rss_bytes"] / 2**20, 1),
        },
        "checks": checks,
    }
    if not args.no_write:
        existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        existing["attribution"] = record
        RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")

    print(
        f"Attribution + daily GMV per account, {args.orders:,} orders, {args.shops:,} shops, "
        f"{4 * args.shops:,} link intervals; median of {args.rounds} runs, each in its own process; "
        "wall time from Parquet files to a pandas result, library imports excluded (listed separately).\n"
    )
    print("| variant | median wall s | import s | peak RSS MiB | attributed orders | GMV |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in summary.items():
        print(
            f"| {name} | {s['median_wall_s']:.2f} | {s['median_import_s']:.2f} | {s['peak_rss_mib']:.0f} "
            f"| {s['attributed_orders']:,} | {s['gmv']:,.2f} |"
        )
    print(
        f"\nDashboard filter change on {args.dashboard_orders:,} orders (model + 4 figures, in-kernel): "
        f"median {dash['redraw_median_s'] * 1000:.0f} ms, max {dash['redraw_max_s'] * 1000:.0f} ms.\n"
    )
    print("Checks: " + ", ".join(f"{k} {'OK' if v else 'FAILED'}" for k, v in checks.items()))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
