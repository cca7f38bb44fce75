"""Voila with linkkit's authorize and callback routes: what ``linkkit dashboard`` serves.

Voila 0.5's standalone server (``python -m voila``) is a plain tornado application: it loads no Jupyter server
extensions (``--ServerApp.jpserver_extensions`` and ``jupyter_server_config`` files are not read by it). So
:class:`LinkkitVoila` subclasses it and puts linkkit's handlers in front of Voila's own:

- ``{base}/linkkit/authorize`` and ``{base}/linkkit/callback`` (:mod:`linkkit.web.handlers`);
- when the redirect URI the settings decide is the onboarding notebook's Voila URL (today's default, and what is
  registered with TikTok), that route too: a request carrying a callback is finished by the server, any other
  request renders the notebook exactly as Voila does;
- an access log that records paths, never query strings (the callback's ``code`` and ``state``).

It also tells the kernels it starts (``LINKKIT_WEB_BASE``) that the routes exist, so the wizard's Authorize
control is a link to ``/linkkit/authorize``. Run it as ``python -m linkkit.web <notebooks> [voila options]``.
Under ``jupyter server`` with Voila's server extension, :func:`linkkit.web._load_jupyter_server_extension`
adds the two ``/linkkit/`` routes instead.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import tornado.web
from jupyter_server.utils import url_path_join
from tornado.log import access_log
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from linkkit.web.handlers import (
    AuthorizeHandler,
    CallbackHandler,
    CallbackMixin,
    LinkkitHandler,
    WebContext,
    is_callback_query,
)

__all__ = ["BASE_ENV", "LinkkitVoila", "linkkit_handlers", "log_request", "main", "pass_trusted_header"]

log = logging.getLogger(__name__)

#: Environment variable that tells a kernel the server has linkkit's routes, and under which base URL.
BASE_ENV = "LINKKIT_WEB_BASE"


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log line without the query string (a callback's code and state never reach a log)."""
    status = handler.get_status()
    method = access_log.info if status < 400 else access_log.warning if status < 500 else access_log.error
    request = handler.request
    method("%d %s %s %.2fms", status, request.method, request.path, 1000.0 * request.request_time())


def default_context() -> WebContext:
    from linkkit.config import Settings

    return WebContext(Settings.load)


def linkkit_handlers(base_url: str, web: WebContext) -> list[tuple[str, type[LinkkitHandler], dict[str, Any]]]:
    """The ``/linkkit/`` routes under ``base_url``."""
    return [
        (url_path_join(base_url, r"/linkkit/authorize"), AuthorizeHandler, {"web": web}),
        (url_path_join(base_url, r"/linkkit/callback/?"), CallbackHandler, {"web": web}),
    ]


class CallbackAwareVoilaHandler(CallbackMixin, LinkkitHandler, TornadoVoilaHandler):
    """The onboarding notebook's route: finishes a callback in the server, renders the notebook otherwise."""

    def initialize(self, web: WebContext, **kwargs: Any) -> None:
        self.web = web
        TornadoVoilaHandler.initialize(self, **kwargs)

    def set_default_headers(self) -> None:
        TornadoVoilaHandler.set_default_headers(self)

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        if is_callback_query(self.request.query):
            self.set_header("Cache-Control", "no-store")
            self.set_header("Referrer-Policy", "no-referrer")
            await self.finish_callback()
            return
        await TornadoVoilaHandler.get(self, path)


class LinkkitVoila(Voila):
    """Voila plus linkkit's routes (see the module docstring)."""

    name = "linkkit-voila"

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        os.environ[BASE_ENV] = self.base_url  # the kernels inherit it
        pass_trusted_header(self.voila_configuration)

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        settings["log_function"] = log_request
        return settings

    def init_handlers(self) -> list[Any]:
        voila = list(super().init_handlers())
        web = default_context()
        ours: list[Any] = list(linkkit_handlers(self.server_url, web))
        try:
            redirect_path = _redirect_path(web)
        except Exception:  # a settings problem shows on the page itself; keep serving
            log.exception("linkkit settings could not be read; the notebook route is Voila's own")
            redirect_path = ""
        prefix = url_path_join(self.server_url, "/voila/render/")
        if redirect_path.startswith(prefix):
            notebook = redirect_path[len(prefix):]
            render = next((h for h in voila if h[0] == url_path_join(self.server_url, r"/voila/render/(.*)")),
                          None)
            if render is not None:
                ours.append((url_path_join(self.server_url, rf"/voila/render/({re.escape(notebook)})"),
                             CallbackAwareVoilaHandler, {**render[2], "web": web}))
        return ours + voila


def pass_trusted_header(configuration: Any) -> None:
    """Behind a proxy (``LINKKIT_TRUSTED_USER_HEADER``), hand that header to each page's kernel (Voila's
    ``http_header_envs``), where :func:`linkkit.identity.current_actor` reads the user from it."""
    from linkkit.identity import trusted_header

    header = trusted_header()
    passed = list(configuration.http_header_envs)
    if header and header.lower() not in {h.lower() for h in passed}:
        configuration.http_header_envs = [*passed, header]


def _redirect_path(web: WebContext) -> str:
    from urllib.parse import urlsplit

    return urlsplit(web.settings.redirect_uri).path


def main() -> None:
    """``python -m linkkit.web``: Voila with linkkit's routes."""
    LinkkitVoila.launch_instance()
