"""Run the attribution and dashboard benchmarks: every variant in its own process, rounds shuffled.

Writes the ``"attribution"`` key of ``benchmarks/results.json`` (read-modify-write: other benchmarks own the
other keys) and prints Markdown tables for the README.

- **Engine scaling**: for each size (default 1M, 3M, 10M, 30M orders; ``--with-100m`` adds 100M) every
  variant runs in its own process, in a shuffled order each round; the table gives the median of all
  rounds and the worst round beside it, with peak RSS. All variants must give the same answer (orders
  credited, GMV, groups, and a per-account fingerprint), or the run fails.
- **Dashboard**: the model's build time and peak RSS, and the redraw time of every filter kind, at 10M
  orders (``--dashboard-orders``); ``--with-100m`` also opens the dashboard on 100M orders once.

Timing boundaries are the same for every variant: the clock starts with the Parquet paths and stops with
the pandas result in hand; each variant's imports (``IMPORTS`` in ``variants.py``) run *before* the clock
and are reported apart as ``median_import_s`` (excluded for all variants alike).

The machine is shared: the load average at the start and end of each size is recorded beside the times.

Example:
    $ .venv/bin/python benchmarks/attribution.py                       # 1M-30M, dashboard at 10M
    $ .venv/bin/python benchmarks/attribution.py --sizes 200000 --rounds 1 --dashboard-orders 200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
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
t0 = time.perf_counter(); c0 = time.process_time()
df = fn(orders, links)
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
acc = df["account_id"].astype("int64")
json.dump({{"wall_s": wall, "cpu_s": cpu, "import_s": import_s, "peak_rss_bytes": rss,
           "attributed": int(df["orders"].sum()), "groups": len(df),
           "gmv": round(float(df["gmv"].sum()), 2),
           "fingerprint": int((acc % 1000003 * df["orders"].astype("int64")).sum())}}, open(out, "w"))
"""

DASH_CHILD = r"""
import json, resource, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from benchmarks.attribution.dashboard import measure
res = measure(Path(sys.argv[1]), Path(sys.argv[2]), repeats=int(sys.argv[3]),
              memory_limit=sys.argv[4] or None)
res["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump(res, open(sys.argv[5], "w"))
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


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _size(n: int, variants: list[str], rounds: int, shops: int) -> dict[str, Any]:
    from benchmarks.attribution.generate import generate

    orders, links = generate(n, shops)
    load_start = _load()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for r in range(rounds):
        order = list(variants)
        random.shuffle(order)
        for name in order:
            res = _child(CHILD.format(root=str(ROOT)), name, str(orders), str(links))
            runs[name].append(res)
            print(
                f"{n:>11,} round {r + 1}: {name:8s} {res['wall_s']:7.2f} s {res['peak_rss_bytes'] / 2**20:7.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
    answers = {(x["attributed"], x["gmv"], x["groups"], x["fingerprint"]) for rs in runs.values() for x in rs}
    summary = {
        name: {
            "median_wall_s": round(statistics.median(x["wall_s"] for x in rs), 3),
            "worst_wall_s": round(max(x["wall_s"] for x in rs), 3),
            "median_cpu_s": round(statistics.median(x["cpu_s"] for x in rs), 3),
            "median_import_s": round(statistics.median(x["import_s"] for x in rs), 3),
            "peak_rss_mib": round(max(x["peak_rss_bytes"] for x in rs) / 2**20, 1),
            "rounds": len(rs),
            "attributed_orders": rs[0]["attributed"],
            "groups": rs[0]["groups"],
            "gmv": rs[0]["gmv"],
            "fingerprint": rs[0]["fingerprint"],
        }
        for name, rs in runs.items()
    }
    return {
        "orders": n,
        "results_agree": len(answers) == 1,
        "loadavg_start": load_start,
        "loadavg_end": _load(),
        "variants": summary,
    }


def main(argv: list[str] | None = None) -> int:
    from benchmarks.attribution.generate import generate
    from benchmarks.attribution.variants import VARIANTS

    parser = argparse.ArgumentParser(description="linkkit attribution benchmark")
    parser.add_argument("--sizes", default="1000000,3000000,10000000,30000000")
    parser.add_argument("--shops", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size up to 10M")
    parser.add_argument("--large-rounds", type=int, default=3, help="rounds per size above 10M, 100M included")
    parser.add_argument("--dashboard-orders", type=int, default=10_000_000)
    parser.add_argument("--dashboard-repeats", type=int, default=7)
    parser.add_argument("--with-100m", action="store_true", help="also 100M orders (memory-heavy; run alone)")
    parser.add_argument("--no-write", action="store_true", help="do not update benchmarks/results.json")
    parser.add_argument(
        "--only-100m", action="store_true", help="run just the 100M size and dashboard, merged into the last results"
    )
    args = parser.parse_args(argv)
    if args.only_100m:
        return only_100m(args.shops, args.large_rounds)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    scaling: list[dict[str, Any]] = []
    for n in sizes:
        rounds = args.rounds if n <= 10_000_000 else args.large_rounds
        scaling.append(_size(n, list(VARIANTS), rounds, args.shops))
    fastest = None
    ref = next((s for s in scaling if s["orders"] == 10_000_000), scaling[-1] if scaling else None)
    if ref is not None:
        fastest = min(("duckdb", "polars", "pandas"), key=lambda k: ref["variants"][k]["median_wall_s"])
    if args.with_100m and fastest is not None:
        # pandas peaks at ~19 GiB at 100M: it fits this 24 GiB machine only when nothing else is running
        scaling.append(_size_100m(fastest, args.large_rounds, args.shops))

    d_orders, d_links = generate(args.dashboard_orders, args.shops)
    dash = _child(DASH_CHILD.format(root=str(ROOT)), str(d_orders), str(d_links), str(args.dashboard_repeats), "")
    dash_load = _load()
    dash100 = None
    if args.with_100m:
        o100, l100 = generate(100_000_000, args.shops)
        dash100 = _child(DASH_CHILD.format(root=str(ROOT)), str(o100), str(l100), "3", "8GB")

    def ratio(s: dict[str, Any], a: str, b: str) -> float:
        return round(s["variants"][b]["median_wall_s"] / s["variants"][a]["median_wall_s"], 3)

    table = []
    for s in scaling:
        v = s["variants"]
        rivals = [k for k in v if k != "linkkit"]
        best = min((k for k in rivals if k != "pandas"), key=lambda k: v[k]["median_wall_s"], default=None)
        row: dict[str, Any] = {
            "orders": s["orders"],
            "linkkit_s": v["linkkit"]["median_wall_s"],
            "linkkit_worst_s": v["linkkit"]["worst_wall_s"],
            "linkkit_mib": v["linkkit"]["peak_rss_mib"],
            "fastest_rival": best,
            "fastest_rival_s": v[best]["median_wall_s"] if best else None,
            "fastest_rival_worst_s": v[best]["worst_wall_s"] if best else None,
            "fastest_rival_mib": v[best]["peak_rss_mib"] if best else None,
            "pandas_s": v["pandas"]["median_wall_s"] if "pandas" in v else None,
            "pandas_worst_s": v["pandas"]["worst_wall_s"] if "pandas" in v else None,
            "pandas_mib": v["pandas"]["peak_rss_mib"] if "pandas" in v else None,
            "linkkit_vs_fastest_rival": round(v["linkkit"]["median_wall_s"] / v[best]["median_wall_s"], 3)
            if best
            else None,
            "pandas_vs_linkkit": ratio(s, "linkkit", "pandas") if "pandas" in v else None,
            "results_agree": s["results_agree"],
            "loadavg_start": s["loadavg_start"],
        }
        if "pandas" not in v:
            row["pandas_note"] = "not run: ~18 GiB extrapolated from its 10M-30M peaks (24 GiB machine, shared)"
        table.append(row)
    ten = next((r for r in table if r["orders"] == 10_000_000), None)
    dash_worst = dash["worst_filter_median_s"]
    checks = {
        "results_agree_every_size": all(s["results_agree"] for s in scaling),
        "linkkit_within_1_1x_of_fastest_rival_every_size": all(
            (r["linkkit_vs_fastest_rival"] or 99) <= 1.1 for r in table
        ),
        "linkkit_5x_faster_than_pandas_at_10m": bool(ten and (ten["pandas_vs_linkkit"] or 0) >= 5),
        "dashboard_build_le_5_s": dash["build_s"] <= 5.0,
        "dashboard_build_le_2_gib": dash["peak_rss_bytes"] <= 2 * 2**30,
        "dashboard_every_filter_le_200_ms_median": dash_worst <= 0.2,
    }
    record: dict[str, Any] = {
        "shops": args.shops,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "shared": "see the load averages recorded beside each size (1-minute load at the start of a size)",
        },
        "task": "credit orders to links by the attribution rule (overlapping Official/Marketing links), "
        "then daily GMV and orders per (shop, account, day); wall time from Parquet to a pandas result",
        "scaling": table,
        "sizes": scaling,
        "dashboard": {
            "orders": args.dashboard_orders,
            "build_s": round(dash["build_s"], 3),
            "peak_rss_mib": round(dash["peak_rss_bytes"] / 2**20, 1),
            "duckdb_bytes_per_order": round(dash["order_table_bytes"] / args.dashboard_orders, 1),
            "redraw_median_ms_by_filter": {k: round(v * 1000, 1) for k, v in dash["redraw_median_s_by_filter"].items()},
            "redraw_worst_ms_by_filter": {k: round(v * 1000, 1) for k, v in dash["redraw_max_s_by_filter"].items()},
            "worst_filter": dash["worst_filter"],
            "worst_filter_median_ms": round(dash_worst * 1000, 1),
            "slowest_single_redraw_ms": round(dash["redraw_max_s"] * 1000, 1),
            "repeats": dash["repeats"],
            "loadavg_end": dash_load,
        },
        "checks": checks,
    }
    if dash100 is not None:
        record["dashboard_100m"] = {
            "orders": 100_000_000,
            "build_s": round(dash100["build_s"], 3),
            "peak_rss_mib": round(dash100["peak_rss_bytes"] / 2**20, 1),
            "worst_filter": dash100["worst_filter"],
            "worst_filter_median_ms": round(dash100["worst_filter_median_s"] * 1000, 1),
            "redraw_median_ms_by_filter": {
                k: round(v * 1000, 1) for k, v in dash100["redraw_median_s_by_filter"].items()
            },
        }
    if not args.no_write:
        existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        previous = existing.get("attribution") or {}
        for key in ("dashboard_100m", "engine_100m"):  # the 100M figures stay until a --with-100m run replaces them
            if key not in record and key in previous:
                record[key] = previous[key]
        existing["attribution"] = record
        RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")

    print(
        "| orders | linkkit s (worst) | MiB | fastest rival | s (worst) | MiB | pandas s (worst) | MiB | "
        "linkkit / rival | pandas / linkkit | load |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in table:
        pandas = f"{r['pandas_s']:.2f} ({r['pandas_worst_s']:.2f})" if r["pandas_s"] else "not run"
        print(
            f"| {r['orders']:,} | {r['linkkit_s']:.2f} ({r['linkkit_worst_s']:.2f}) | {r['linkkit_mib']:.0f} "
            f"| {r['fastest_rival']} | {r['fastest_rival_s']:.2f} ({r['fastest_rival_worst_s']:.2f}) "
            f"| {r['fastest_rival_mib']:.0f} | {pandas} | {r['pandas_mib'] or 0:.0f} "
            f"| {r['linkkit_vs_fastest_rival']:.2f} | {r['pandas_vs_linkkit'] or 0:.1f} | {r['loadavg_start'][0]} |"
        )
    print(json.dumps(record["dashboard"], indent=2))
    print("Checks: " + ", ".join(f"{k} {'OK' if v else 'FAILED'}" for k, v in checks.items()))
    return 0 if checks["results_agree_every_size"] else 1


def _size_100m(fastest: str, rounds: int, shops: int) -> dict[str, Any]:
    """100M orders: linkkit and the fastest rival shuffled as at every size, then pandas in rounds of its own.

    pandas peaks at ~19 GiB here, which pushes the 2.2 GB orders file out of the page cache: a variant run
    right after it would read the file from disk and lose ~1 s that the others do not.
    """
    engines = _size(100_000_000, ["linkkit", fastest], rounds, shops)
    pandas = _size(100_000_000, ["pandas"], rounds, shops)
    agree = engines["results_agree"] and pandas["results_agree"]
    answers = {
        (v["attributed_orders"], v["gmv"], v["groups"], v["fingerprint"])
        for s in (engines, pandas)
        for v in s["variants"].values()
    }
    agree = agree and len(answers) == 1
    return {**engines, "results_agree": agree, "loadavg_end": pandas["loadavg_end"],
            "variants": {**engines["variants"], **pandas["variants"]}}


def only_100m(shops: int, rounds: int) -> int:
    """100M orders alone (memory-heavy): linkkit and the fastest rival at 10M, then the dashboard, merged."""
    from benchmarks.attribution.generate import generate

    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    record = existing.get("attribution", {})
    ten = next((r for r in record.get("scaling", []) if r["orders"] == 10_000_000), None)
    fastest = ten["fastest_rival"] if ten else "duckdb"
    size = _size_100m(fastest, rounds, shops)
    v = size["variants"]
    row = {
        "orders": 100_000_000,
        "linkkit_s": v["linkkit"]["median_wall_s"],
        "linkkit_worst_s": v["linkkit"]["worst_wall_s"],
        "linkkit_mib": v["linkkit"]["peak_rss_mib"],
        "fastest_rival": fastest,
        "fastest_rival_s": v[fastest]["median_wall_s"],
        "fastest_rival_worst_s": v[fastest]["worst_wall_s"],
        "fastest_rival_mib": v[fastest]["peak_rss_mib"],
        "pandas_s": v["pandas"]["median_wall_s"],
        "pandas_worst_s": v["pandas"]["worst_wall_s"],
        "pandas_mib": v["pandas"]["peak_rss_mib"],
        "linkkit_vs_fastest_rival": round(v["linkkit"]["median_wall_s"] / v[fastest]["median_wall_s"], 3),
        "pandas_vs_linkkit": round(v["pandas"]["median_wall_s"] / v["linkkit"]["median_wall_s"], 3),
        "results_agree": size["results_agree"],
        "loadavg_start": size["loadavg_start"],
    }
    o100, l100 = generate(100_000_000, shops)
    dash = _child(DASH_CHILD.format(root=str(ROOT)), str(o100), str(l100), "3", "8GB")
    record.pop("engine_100m", None)  # measured now: the row below replaces any "not run" note
    record["scaling"] = [r for r in record.get("scaling", []) if r["orders"] != 100_000_000] + [row]
    record["sizes"] = [s for s in record.get("sizes", []) if s["orders"] != 100_000_000] + [size]
    checks = record.setdefault("checks", {})
    checks["results_agree_every_size"] = all(s["results_agree"] for s in record["sizes"])
    checks["linkkit_within_1_1x_of_fastest_rival_every_size"] = all(
        (r["linkkit_vs_fastest_rival"] or 99) <= 1.1 for r in record["scaling"]
    )
    record["dashboard_100m"] = {
        "orders": 100_000_000,
        "duckdb_memory_limit": "8GB",
        "repeats": 3,
        "build_s": round(dash["build_s"], 3),
        "peak_rss_mib": round(dash["peak_rss_bytes"] / 2**20, 1),
        "duckdb_bytes_per_order": round(dash["order_table_bytes"] / 100_000_000, 1),
        "worst_filter": dash["worst_filter"],
        "worst_filter_median_ms": round(dash["worst_filter_median_s"] * 1000, 1),
        "redraw_median_ms_by_filter": {k: round(x * 1000, 1) for k, x in dash["redraw_median_s_by_filter"].items()},
        "loadavg_end": _load(),
    }
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing["attribution"] = record
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    print(json.dumps({"row": row, "dashboard_100m": record["dashboard_100m"]}, indent=2))
    return 0 if size["results_agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
