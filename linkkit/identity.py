"""Who is acting: the actor recorded on every registry event (design §3.3).

In order: the ``actor`` argument; behind a proxy, the user the proxy names in the header
``LINKKIT_TRUSTED_USER_HEADER`` names (see below); ``LINKKIT_ACTOR``; ``JUPYTERHUB_USER`` when the dashboard
runs under JupyterHub; else the operating-system user running the kernel.

Behind a proxy (one dashboard server for several people), the deployer sets ``LINKKIT_TRUSTED_USER_HEADER`` to the
header their authenticating proxy sets (e.g. ``X-Forwarded-User``) — and the proxy must strip that header from
what clients send. The dashboard server hands it to each page's kernel (Voila's ``http_header_envs``, as
``HTTP_X_FORWARDED_USER``) and to linkkit's authorize and callback routes; a page request without it is refused
(:func:`user_from_headers`, and :func:`current_actor` inside a Voila kernel), never served as the server's user.

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

__all__ = ["MONITOR_PRINCIPAL", "SYSTEM_PRINCIPALS", "TRUSTED_HEADER_ENV", "UNKNOWN_ACTOR", "current_actor",
           "header_env_name", "trusted_header", "user_from_headers"]

#: Names the header an authenticating proxy sets to the signed-in user (unset: no proxy identity).
TRUSTED_HEADER_ENV = "LINKKIT_TRUSTED_USER_HEADER"

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

    Raises:
        ConfigError: Inside a dashboard kernel behind a proxy, the request carried no trusted user header.
    """
    env = os.environ if environ is None else environ
    if explicit and explicit.strip():
        return explicit.strip()
    header = trusted_header(env)
    if header:
        value = (env.get(header_env_name(header)) or "").strip()
        if value:
            return value
        if "VOILA_KERNEL_ID" in env or "VOILA_PREHEAT" in env:  # a page's kernel: never the server's user
            raise _missing_header(header)
    for candidate in (env.get("LINKKIT_ACTOR"), env.get("JUPYTERHUB_USER")):
        if candidate and candidate.strip():
            return candidate.strip()
    if environ is not None:  # an explicit environment without a name: don't read the real process
        return env.get("USER") or env.get("USERNAME") or UNKNOWN_ACTOR
    try:
        return getpass.getuser() or UNKNOWN_ACTOR
    except (OSError, KeyError):
        return UNKNOWN_ACTOR


def trusted_header(environ: Mapping[str, str] | None = None) -> str | None:
    """The header an authenticating proxy names the user in (``LINKKIT_TRUSTED_USER_HEADER``), or ``None``."""
    env = os.environ if environ is None else environ
    return (env.get(TRUSTED_HEADER_ENV) or "").strip() or None


def header_env_name(header: str) -> str:
    """The variable a header reaches a kernel as (RFC 3875 §4.1.18, as Voila does): ``HTTP_X_FORWARDED_USER``."""
    return "HTTP_" + header.upper().replace("-", "_")


def user_from_headers(headers: Mapping[str, str], environ: Mapping[str, str] | None = None) -> str | None:
    """The user a request's trusted header names; ``None`` when no proxy header is configured.

    Raises:
        ConfigError: The header is configured and the request does not carry it (the request did not come
            through the proxy): refuse rather than act as the server's user.
    """
    header = trusted_header(environ)
    if header is None:
        return None
    value = (headers.get(header) or "").strip()
    if not value:
        raise _missing_header(header)
    return value


def _missing_header(header: str) -> Exception:
    from linkkit.errors import ConfigError

    return ConfigError(f"This dashboard takes the signed-in user from the {header} header its proxy sets, and "
                       "this request did not carry it: open linkkit through the proxy's address.",
                       reason="config_invalid")
