"""The team deployment, for real: JupyterHub with ``deploy/jupyterhub_config.py`` on loopback, two members logged in
through Chromium, each on their own wizard, each wizard's kernel running as that member.

Needs JupyterHub (pip) and configurable-http-proxy (npm; ``make hub-deps`` puts it in .venv/node).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from cryptography.fernet import Fernet

from linkkit.cli import free_port
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
CHP_DIR = ROOT / ".venv" / "node" / "node_modules" / ".bin"
PASSWORD = "correct horse battery"
USERS = ("alice", "bob")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[dict[str, Any]]:
    path = os.pathsep.join(p for p in (str(CHP_DIR), str(Path(sys.executable).parent), os.environ.get("PATH")) if p)
    assert shutil.which("configurable-http-proxy", path=path), "configurable-http-proxy is missing: make hub-deps"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKKIT_", "JUPYTERHUB_"))}
    env.update({
        "PATH": path,
        "LINKKIT_HUB_URL": f"http://127.0.0.1:{port}",
        "LINKKIT_HUB_API_PORT": str(free_port()),
        "LINKKIT_HUB_PROXY_API_PORT": str(free_port()),
        "LINKKIT_HUB_SPAWNER": "simple",
        "LINKKIT_HUB_DUMMY_PASSWORD": PASSWORD,
        "LINKKIT_HUB_USERS": ",".join(USERS),
        "LINKKIT_HUB_STATE": str(tmp_path),
        "LINKKIT_SANDBOX_PORT": str(free_port()),
        "LINKKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "LINKKIT_SECRET_KEY": Fernet.generate_key().decode(),
        "LINKKIT_HOME": str(tmp_path / "home"),
    })
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "deploy" / "jupyterhub_config.py")],
                                   cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = env["LINKKIT_HUB_URL"]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(f"{url}/hub/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("JupyterHub did not start:\n" + log.read_text()[-3000:])
        yield {"url": url, "process": process, "env": env, "log": log}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def kernel_environments(hub_process: subprocess.Popen[bytes]) -> list[dict[str, str]]:
    found = []
    for child in psutil.Process(hub_process.pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child.environ())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_two_members_log_in_and_each_gets_a_wizard_running_as_them(hub: dict[str, Any], browser: Any) -> None:
    pages = {}
    for user in USERS:
        context = browser.new_context()
        context.set_default_timeout(120_000)
        page = context.new_page()
        page.goto(f"{hub['url']}/hub/login")
        page.locator("#username_input").fill(user)
        page.locator("#password_input").fill(PASSWORD)
        page.locator("#login_submit").click()
        try:
            page.wait_for_url(f"**/user/{user}/voila/render/01_link_accounts.ipynb*")
            page.get_by_text("Step 1 of 5").wait_for()
        except Exception:
            shot(page, f"failed-hub-{user}")
            raise AssertionError(f"{user}'s wizard did not open:\n" + hub["log"].read_text()[-3000:]) from None
        pages[user] = page

    environments = kernel_environments(hub["process"])
    by_user = {user: [e for e in environments if e.get("JUPYTERHUB_USER") == user] for user in USERS}
    assert all(by_user.values()), f"a member has no kernel of their own: {[e.get('JUPYTERHUB_USER') for e in environments]}"
    for user, envs in by_user.items():
        for env in envs:
            # One registered redirect URI for the team, the shared registry and key in every member's kernel.
            assert env["LINKKIT_PUBLIC_URL"] == f"{hub['url']}/hub/user-redirect", user
            assert env["LINKKIT_DATABASE_URL"] == hub["env"]["LINKKIT_DATABASE_URL"], user
            assert env["LINKKIT_SECRET_KEY"] == hub["env"]["LINKKIT_SECRET_KEY"], user
    # Who did what: each member's wizard minted its Seller Center authorization in their own kernel (Jupyter
    # Server has no linkkit routes, so step 1 mints in the kernel); the shared registry's events name them.
    from linkkit.config import Settings
    from linkkit.linking import LinkService

    service = LinkService.from_settings(Settings(
        mode="sandbox", sandbox_url=f"http://127.0.0.1:{hub['env']['LINKKIT_SANDBOX_PORT']}",
        database_url=hub["env"]["LINKKIT_DATABASE_URL"], secret_key=hub["env"]["LINKKIT_SECRET_KEY"]))
    deadline = time.monotonic() + 60
    actors: set[str] = set()
    while time.monotonic() < deadline and not set(USERS) <= actors:
        # The registry's own log (the test is no member: LinkService would show it none of their shops).
        actors = {e.actor for e in service.store.events(kinds=["authorization_started"])}
        time.sleep(0.5)
    service.store.close()
    assert set(USERS) <= actors, f"events were written as {sorted(actors)}"
    for page in pages.values():
        page.context.close()
