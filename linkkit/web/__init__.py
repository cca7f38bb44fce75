"""linkkit's routes in the Voila server: authorizations begun and finished without a kernel.

- ``GET {base}/linkkit/authorize`` mints the authorization (state + PKCE) when the seller presses Authorize, binds
  its ``state`` to the browser (signed, HttpOnly, SameSite=Lax cookie) and redirects to TikTok.
- ``GET {base}/linkkit/callback`` — and the redirect URI's own path when that is the onboarding notebook —
  completes it once, shows the specific outcome and records it for the wizard's tab.

``python -m linkkit.web`` runs Voila with these routes (:class:`linkkit.web.app.LinkkitVoila`); under
``jupyter server`` they load as a server extension (``--ServerApp.jpserver_extensions={"linkkit.web": True}``).

Example:
    >>> from linkkit.web import _jupyter_server_extension_points
    >>> _jupyter_server_extension_points()
    [{'module': 'linkkit.web'}]
"""

from __future__ import annotations

import os
from typing import Any

__all__: list[str] = []


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "linkkit.web"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Add the ``/linkkit/`` routes to a Jupyter server (the notebook route stays Voila's)."""
    from linkkit.web.app import BASE_ENV, default_context, linkkit_handlers

    base_url = serverapp.web_app.settings.get("base_url", "/")
    serverapp.web_app.add_handlers(".*$", linkkit_handlers(base_url, default_context()))
    os.environ[BASE_ENV] = base_url
