"""linkkit installed as a user installs it: ``pip install`` into a fresh venv outside the repository, then
``linkkit dashboard`` from another directory serves the wizard. Slow (it installs the runtime from the lockfile, from
pip's cache when it is warm)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from linkkit.cli import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]


def pip(venv: Path, *args: str) -> None:
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *args], check=True, timeout=800)


def test_pip_install_then_linkkit_dashboard_from_any_directory(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip(venv, "--require-hashes", "-r", str(ROOT / "requirements" / "runtime.txt"))
    pip(venv, "--no-deps", str(ROOT))  # a real (non-editable) install: only what the wheel ships
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKKIT_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(LINKKIT_HOME=str(tmp_path / "home"), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "linkkit"), "dashboard", "--port", str(port), "--sandbox-port", str(sandbox_port)],
            cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/voila/render/01_link_accounts.ipynb"
        deadline = time.monotonic() + 180
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(url, timeout=60)
                break
            except requests.RequestException:
                time.sleep(0.5)
        assert process.poll() is None, log.read_text()
        assert answer is not None and answer.status_code == 200
        assert "jupyter-config-data" in answer.text
        assert "static/linkkit.css" in answer.text  # linkkit's own template, shipped in the wheel
        site = next((venv / "lib").glob("python3*/site-packages"))
        assert (site / "linkkit" / "notebooks" / "01_link_accounts.ipynb").is_file()
        assert not (site / "linkkit" / "notebooks").is_relative_to(ROOT)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert "Stopping" in log.read_text()
