"""JupyterHub for a team: every member logs in and gets their own linkkit dashboard, on one shared registry.

Run it with ``jupyterhub -f deploy/jupyterhub_config.py`` after ``pip install 'linkkit[postgres]' jupyterhub`` and
``npm install -g configurable-http-proxy``. Everything site-specific comes from the environment:

``LINKKIT_DATABASE_URL``    the shared registry (PostgreSQL, e.g. ``postgresql+psycopg://linkkit:…@db/linkkit``)
``LINKKIT_SECRET_KEY``      the shared token key: one key (or key list) for every machine, from a secret store
``LINKKIT_MODE``, ``LINKKIT_CLIENT_KEY`` … the TikTok app settings (live mode), passed through to every user
``LINKKIT_HUB_URL``         where the hub listens (default ``http://127.0.0.1:8000``)
``LINKKIT_HUB_PUBLIC_URL``  the hub's public address, e.g. ``https://links.example.com`` (default: LINKKIT_HUB_URL)
``LINKKIT_HUB_SPAWNER``     ``local`` (each member is an operating-system user: LocalProcessSpawner) or ``simple``
                            (every server runs as the hub's own user: SimpleLocalProcessSpawner; demos and tests)
``LINKKIT_HUB_USERS``       comma-separated user names allowed in (empty: any user the authenticator accepts)
``LINKKIT_HUB_DUMMY_PASSWORD``  demos and tests only: DummyAuthenticator with this shared password
``LINKKIT_HUB_STATE``       folder for the hub's own database and cookie secret (default: the current directory)
``LINKKIT_HUB_API_PORT`` / ``LINKKIT_HUB_PROXY_API_PORT``  loopback ports of the hub's and the proxy's APIs

TikTok must send everyone back to ONE registered redirect URI, while each member's dashboard lives under
``/user/<name>/``. JupyterHub's ``/hub/user-redirect/<path>`` forwards a logged-in person to ``/user/<them>/<path>``
with the query string kept, so the public URL every kernel gets is ``<hub public URL>/hub/user-redirect`` and the
redirect URI to register is ``<hub public URL>/hub/user-redirect/voila/render/01_link_accounts.ipynb``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import linkkit

c = get_config()  # type: ignore[name-defined]  # noqa: F821 (JupyterHub provides it)

PACKAGE = Path(linkkit.__file__).resolve().parent
HUB_URL = os.environ.get("LINKKIT_HUB_URL", "http://127.0.0.1:8000")
PUBLIC_URL = os.environ.get("LINKKIT_HUB_PUBLIC_URL", HUB_URL).rstrip("/")
STATE = Path(os.environ.get("LINKKIT_HUB_STATE", "."))  # the hub's own cookie secret and sqlite file

c.JupyterHub.bind_url = HUB_URL
# The hub's internal API and the proxy's API listen on loopback; their ports are settable when 8081/8001 are taken.
if os.environ.get("LINKKIT_HUB_API_PORT"):
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['LINKKIT_HUB_API_PORT']}"
if os.environ.get("LINKKIT_HUB_PROXY_API_PORT"):
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['LINKKIT_HUB_PROXY_API_PORT']}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"

# --- who may log in ----------------------------------------------------------------------------------------------
if os.environ.get("LINKKIT_HUB_DUMMY_PASSWORD"):
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["LINKKIT_HUB_DUMMY_PASSWORD"]
if os.environ.get("LINKKIT_HUB_USERS"):
    c.Authenticator.allowed_users = {u.strip() for u in os.environ["LINKKIT_HUB_USERS"].split(",") if u.strip()}
else:
    c.Authenticator.allow_all = True

# --- each member's server: Voila inside Jupyter Server, opening on the wizard ------------------------------------
c.JupyterHub.spawner_class = ("simple" if os.environ.get("LINKKIT_HUB_SPAWNER", "local") == "simple"
                              else "localprocess")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = str(PACKAGE / "notebooks")
c.Spawner.default_url = "/voila/render/01_link_accounts.ipynb"
c.Spawner.args = [
    "--VoilaConfiguration.template=linkkit",
    "--VoilaConfiguration.show_tracebacks=False",
    # one kernel per open page, orphans culled after 10 minutes without a browser (see linkkit.stack)
    "--MappingKernelManager.cull_idle_timeout=600",
    "--MappingKernelManager.cull_interval=60",
    "--MappingKernelManager.cull_connected=False",
]
if c.JupyterHub.spawner_class == "simple" and os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")  # a demo hub run as root (containers, CI); LocalProcessSpawner never is
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "LINKKIT_PUBLIC_URL": f"{PUBLIC_URL}/hub/user-redirect",
    "JUPYTER_PATH": os.pathsep.join(p for p in (str(PACKAGE / "share" / "jupyter"), os.environ.get("JUPYTER_PATH"))
                                    if p),
}
# The shared registry, the shared key and the app settings reach every member's kernels; JupyterHub itself sets
# JUPYTERHUB_USER, which linkkit records as the actor of every event.
c.Spawner.env_keep.extend(sorted(k for k in os.environ
                                 if k.startswith("LINKKIT_") and not k.startswith("LINKKIT_HUB_")))

# --- the sandbox, for a demo without TikTok credentials ----------------------------------------------------------
if os.environ.get("LINKKIT_MODE", "sandbox") == "sandbox" and not os.environ.get("LINKKIT_SANDBOX_URL"):
    port = os.environ.get("LINKKIT_SANDBOX_PORT", "8765")
    c.JupyterHub.services = [{"name": "linkkit-sandbox",
                              "command": [sys.executable, "-m", "linkkit.sandbox", "--port", port]}]
    c.Spawner.environment["LINKKIT_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
