"""nbval (lax) runs the dashboard notebooks against a sandbox this test starts; the notebooks read LINKKIT_*."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import world_credentials

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["linkkit/notebooks/01_link_accounts.ipynb", "linkkit/notebooks/02_linked_accounts.ipynb"]
ANALYST_NOTEBOOK = "linkkit/notebooks/03_explore_link_and_sales_data.ipynb"


def code_cells(name: str) -> int:
    return sum(cell["cell_type"] == "code" for cell in json.loads((ROOT / name).read_text())["cells"])

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_notebooks_are_committed_without_outputs_or_logic() -> None:
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / name).read_text(encoding="utf-8"))
        code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
        assert len(code) == 1, name
        assert code[0]["outputs"] == [] and code[0]["execution_count"] is None, name
        assert "linkkit.ui" in "".join(code[0]["source"]) and len("".join(code[0]["source"]).splitlines()) <= 3


def test_notebooks_run_under_nbval(sandbox: Any, tmp_path: Path, secret_key: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKKIT_", "OAUTHLIB_"))}
    creds = world_credentials(sandbox.url)
    env.update({
        "LINKKIT_MODE": "sandbox",
        "LINKKIT_SANDBOX_URL": sandbox.url,
        "LINKKIT_PUBLIC_URL": "http://127.0.0.1:8866",
        "LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": secret_key,
        "LINKKIT_CLIENT_KEY": creds["client_key"],
        "LINKKIT_CLIENT_SECRET": creds["client_secret"],
        "LINKKIT_APP_KEY": creds["app_key"],
        "LINKKIT_APP_SECRET": creds["app_secret"],
        "LINKKIT_SERVICE_ID": creds["service_id"],
        "LINKKIT_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    })
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", "-o", "addopts=",
         "-W", "ignore::DeprecationWarning", *NOTEBOOKS, ANALYST_NOTEBOOK],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    expected = sum(code_cells(name) for name in [*NOTEBOOKS, ANALYST_NOTEBOOK])
    assert f"{expected} passed" in result.stdout, result.stdout[-2000:]
