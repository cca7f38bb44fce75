"""nbval (lax) runs the dashboard notebooks against a sandbox this test starts; the notebooks read LINKKIT_*."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import connect_shop, link_account, world_credentials

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


def find_secrets(outputs_file: Path, secrets: dict[str, str]) -> list[tuple[str, str]]:
    """(cell, name of the secret) for every secret (name -> value) found in the saved outputs of the nbval run.

    The failure names the secret, never shows it.
    """
    hits = []
    for line in outputs_file.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = json.dumps(record["outputs"]) + "".join(str(o.get("text", "")) for o in record["outputs"]
                                                        if isinstance(o, dict))
        hits += [(record["nodeid"], name) for name, value in sorted(secrets.items()) if value and value in text]
    return hits


def test_secret_scanner_finds_a_planted_secret(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text(json.dumps({"nodeid": "nb::Cell 0", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "token act.PLANTED-123 leaked"}]}) + "\n")
    assert find_secrets(outputs, {"access token": "act.PLANTED-123", "other": "never-there"}) == [
        ("nb::Cell 0", "access token")]


def test_notebooks_run_under_nbval(sandbox: Any, tmp_path: Path, secret_key: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKKIT_", "OAUTHLIB_"))}
    creds = world_credentials(sandbox.url)
    # A registry with a connected shop and a linked account, so the pages have tokens they could leak.
    from linkkit.config import Settings
    from linkkit.linking import LinkService
    from linkkit.models import Role

    registry = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    seeded = LinkService.from_settings(Settings(
        mode="sandbox", sandbox_url=sandbox.url, public_url="http://127.0.0.1:8866", database_url=registry,
        secret_key=secret_key, **creds))
    [shop, *_] = connect_shop(seeded)
    link_account(seeded, shop.id, Role.OFFICIAL, "maple.official")
    env.update({
        "LINKKIT_MODE": "sandbox",
        "LINKKIT_SANDBOX_URL": sandbox.url,
        "LINKKIT_PUBLIC_URL": "http://127.0.0.1:8866",
        "LINKKIT_DATABASE_URL": registry,
        "LINKKIT_SECRET_KEY": secret_key,
        "LINKKIT_CLIENT_KEY": creds["client_key"],
        "LINKKIT_CLIENT_SECRET": creds["client_secret"],
        "LINKKIT_APP_KEY": creds["app_key"],
        "LINKKIT_APP_SECRET": creds["app_secret"],
        "LINKKIT_SERVICE_ID": creds["service_id"],
        "LINKKIT_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "NBVAL_OUTPUTS_FILE": str(tmp_path / "outputs.jsonl"),
    })
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-p", "tests.ui.nbval_outputs",
         "-q", "-o", "addopts=",
         "-W", "ignore::DeprecationWarning", *NOTEBOOKS, ANALYST_NOTEBOOK],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    expected = sum(code_cells(name) for name in [*NOTEBOOKS, ANALYST_NOTEBOOK])
    assert f"{expected} passed" in result.stdout, result.stdout[-2000:]
    # Scan what the notebooks printed and displayed for every secret of this environment: app and client
    # secrets, the encryption key, every token in the registry, every code and PKCE verifier TikTok saw.
    from linkkit.crypto import TokenBox

    box = TokenBox(secret_key)
    with seeded.store.engine.connect() as conn:
        import sqlalchemy as sa

        rows = conn.execute(sa.text("SELECT access_token, refresh_token FROM tokens")).all()
    tokens = {f"token {i}": box.decrypt(cipher) for i, cipher in enumerate(c for row in rows for c in row)}
    assert len(tokens) >= 4, "the seeded shop and account tokens"
    # The sandbox records secrets only as fingerprints, so read what it issued from its in-process state.
    kit = sandbox.app.backend.login_kit
    sent = {f"{kind} issued by TikTok #{i}": value
            for kind, issued in (("code", kit.codes), ("access token", kit.access), ("refresh token", kit.refresh))
            for i, value in enumerate(issued)}
    assert sent, "the notebooks' flows got codes and tokens from the sandbox"
    secrets = {"client secret": creds["client_secret"], "app secret": creds["app_secret"],
               "secret key": secret_key, **tokens, **sent}
    outputs = tmp_path / "outputs.jsonl"
    assert len(outputs.read_text(encoding="utf-8").splitlines()) == expected, "every cell's outputs were saved"
    assert find_secrets(outputs, secrets) == []
