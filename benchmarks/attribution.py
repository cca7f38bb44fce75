"""Entry point for ``make bench``: the attribution benchmark (see ``benchmarks/attribution/run.py``).

Example:
    $ .venv/bin/python benchmarks/attribution.py --rounds 5
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if sys.path[0] == str(Path(__file__).resolve().parent):  # don't let this file shadow the package
    sys.path.pop(0)

from benchmarks.attribution.run import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
