"""A pytest plugin for the nbval run: writes every executed cell's outputs to ``$NBVAL_OUTPUTS_FILE``.

nbval keeps the outputs it produced on the cell item (``test_outputs``) and never writes them to disk; this
plugin saves them (one JSON object per line: ``{"nodeid": ..., "outputs": [...]}``) so the caller can scan
them. Load it with ``-p tests.ui.nbval_outputs``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)  # makereport is firstresult: run before the report is made, return None
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> None:
    path = os.environ.get("NBVAL_OUTPUTS_FILE")
    outputs = getattr(item, "test_outputs", None)
    if not path or call.when != "call" or outputs is None:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"nodeid": item.nodeid, "outputs": outputs}, default=str) + "\n")
