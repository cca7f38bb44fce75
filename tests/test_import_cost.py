"""What a dashboard kernel pays for on its first line (issue 8 item 10: cold time to interactive).

Each check runs in a fresh interpreter, so modules that other tests imported do not count. These are behaviours
(which modules load), not timings: the timings live in ``benchmarks/dashboard_tti.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "plotly", "duckdb", "numpy", "pyarrow", "linkkit.analytics", "linkkit.ui.analytics_view")


def loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The modules of ``names`` that a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_wizard_and_the_panel_loads_no_analytics_stack() -> None:
    code = ("from linkkit.ui import accounts_app, onboarding_app\n"
            "import linkkit.ui.views, linkkit.ui.wizard, linkkit.ui.accounts, linkkit.ui.alerts")
    assert loaded_after(code, HEAVY) == []


def test_import_linkkit_does_not_load_the_registry_or_http_clients() -> None:
    assert loaded_after("import linkkit, linkkit.ui", ("sqlalchemy", "requests", "linkkit.store")) == []


def test_the_lazy_names_still_resolve() -> None:
    code = ("import linkkit\nfrom linkkit import LinkService, ShopOverview\n"
            "assert linkkit.LinkService is LinkService and LinkService.__module__ == 'linkkit.linking.service'")
    assert loaded_after(code, ("linkkit.linking",)) == ["linkkit.linking"]
