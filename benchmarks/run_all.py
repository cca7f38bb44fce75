"""Run every benchmark in turn (``make bench``); each writes its key of ``benchmarks/results.json``.

Not here: ``soak.py`` (15 minutes of ten browsers; run it on its own with ``--save``) and mutation testing
(``make mutate``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [["link_flow.py"], ["attribution.py"], ["dashboard_tti.py"], ["analytics_tti.py"],
              ["monitor_pass.py", "--save"]]


def main() -> int:
    failed = []
    for name, *args in BENCHMARKS:
        path = HERE / name
        if not path.exists():
            print(f"skipping {name}: not present")
            continue
        print(f"== {name}", flush=True)
        if subprocess.call([sys.executable, str(path), *args], cwd=HERE.parent) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
