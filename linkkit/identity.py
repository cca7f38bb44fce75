"""Who is acting: the actor recorded on every registry event (design §3.3).

In order: an explicit setting (``LINKKIT_ACTOR`` or the ``actor`` argument), ``JUPYTERHUB_USER`` when the
dashboard runs under JupyterHub, else the operating-system user running the kernel.

The actor is also the *principal* the service acts for (design §3.3): it sees and changes only the shops it
owns or was granted. The principal comes from the deployment, never from anything typed on a page: under
JupyterHub each user has their own server and ``JUPYTERHUB_USER``; a single-user install is its
operating-system user. :data:`SYSTEM_PRINCIPALS` are deployment components that act on every shop; a service
gets that power only when built with ``system=True`` (the monitor does), never from a name alone — a hub user
who happens to be called ``monitor`` is an ordinary principal.

Example:
    >>> current_actor({"LINKKIT_ACTOR": "ops@example"})
    'ops@example'
    >>> current_actor({"JUPYTERHUB_USER": "maria"})
    'maria'
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

__all__ = ["MONITOR_PRINCIPAL", "SYSTEM_PRINCIPALS", "UNKNOWN_ACTOR", "current_actor"]

UNKNOWN_ACTOR = "unknown"

#: The health monitor's principal (``linkkit monitor`` builds its service with ``system=True`` under it).
MONITOR_PRINCIPAL = "monitor"

#: Deployment components that may act on every shop, when their service is built with ``system=True``.
SYSTEM_PRINCIPALS: frozenset[str] = frozenset({MONITOR_PRINCIPAL})


def current_actor(environ: Mapping[str, str] | None = None, *, explicit: str | None = None) -> str:
    """The name events are recorded under.

    Args:
        environ: The environment to read (``os.environ`` when ``None``).
        explicit: A name given in code or settings; wins over everything else.

    Returns:
        The actor's name, never empty.
    """
    env = os.environ if environ is None else environ
    for candidate in (explicit, env.get("LINKKIT_ACTOR"), env.get("JUPYTERHUB_USER")):
        if candidate and candidate.strip():
            return candidate.strip()
    if environ is not None:  # an explicit environment without a name: don't read the real process
        return env.get("USER") or env.get("USERNAME") or UNKNOWN_ACTOR
    try:
        return getpass.getuser() or UNKNOWN_ACTOR
    except (OSError, KeyError):
        return UNKNOWN_ACTOR
