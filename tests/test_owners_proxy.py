"""Behind an authenticating proxy: the principal is the user the trusted header names, never the server's user.

The deployer names the header in ``LINKKIT_TRUSTED_USER_HEADER``; the dashboard server passes it to page kernels
(Voila's ``http_header_envs``) and the authorize/callback routes build their service from it. A page or route
request without it is refused (``config_invalid``); JupyterHub's and the OS user's identity are untouched.
"""

from __future__ import annotations

from typing import Any

import pytest
from tornado.httputil import HTTPHeaders
from voila.configuration import VoilaConfiguration

from linkkit.config import Settings
from linkkit.errors import ConfigError
from linkkit.identity import current_actor, header_env_name, user_from_headers
from linkkit.web.app import pass_trusted_header
from linkkit.web.handlers import WebContext

PROXY = {"LINKKIT_TRUSTED_USER_HEADER": "X-Forwarded-User"}


def test_header_env_name_follows_rfc3875() -> None:
    assert header_env_name("X-Forwarded-User") == "HTTP_X_FORWARDED_USER"


def test_a_kernel_behind_the_proxy_acts_as_the_header_s_user() -> None:
    env = {**PROXY, "VOILA_KERNEL_ID": "k1", "HTTP_X_FORWARDED_USER": " maria ", "JUPYTERHUB_USER": "hub",
           "LINKKIT_ACTOR": "server", "USER": "root"}
    assert current_actor(env) == "maria"
    assert current_actor(env, explicit="monitor") == "monitor"  # code that names its principal (the monitor)


@pytest.mark.parametrize("extra", [{"VOILA_KERNEL_ID": "k1"}, {"VOILA_PREHEAT": "True"},
                                   {"VOILA_KERNEL_ID": "k1", "HTTP_X_FORWARDED_USER": "  "}])
def test_a_kernel_without_the_header_is_refused_not_served_as_the_server_s_user(extra: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        current_actor({**PROXY, "USER": "root", "LINKKIT_ACTOR": "server", **extra})
    assert caught.value.reason == "config_invalid" and "X-Forwarded-User" in caught.value.message


def test_outside_a_page_kernel_the_usual_identity_applies() -> None:
    assert current_actor({**PROXY, "USER": "ops"}) == "ops"  # the CLI on the server
    assert current_actor({"JUPYTERHUB_USER": "maria", "HTTP_X_FORWARDED_USER": "eve", "VOILA_KERNEL_ID": "k"}) \
        == "maria", "without LINKKIT_TRUSTED_USER_HEADER, no header is trusted"


def test_user_from_headers() -> None:
    headers = HTTPHeaders({"x-forwarded-user": "maria"})
    assert user_from_headers(headers, PROXY) == "maria"  # header names are case-insensitive
    assert user_from_headers(headers, {}) is None  # no proxy configured: the server's identity
    with pytest.raises(ConfigError):
        user_from_headers(HTTPHeaders({"x-other": "eve"}), PROXY)


def test_the_server_passes_the_header_to_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    config = VoilaConfiguration()
    pass_trusted_header(config)
    assert config.http_header_envs == []
    monkeypatch.setenv("LINKKIT_TRUSTED_USER_HEADER", "X-Forwarded-User")
    config.http_header_envs = ["X-Other"]
    pass_trusted_header(config)
    pass_trusted_header(config)
    assert config.http_header_envs == ["X-Other", "X-Forwarded-User"]


@pytest.mark.integration
def test_the_routes_service_acts_as_the_header_s_user(sandbox_server: Any, registry_url: str, secret_key: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKKIT_TRUSTED_USER_HEADER", "X-Forwarded-User")
    monkeypatch.setenv("LINKKIT_ACTOR", "server")
    settings = Settings(sandbox_url=sandbox_server.url, database_url=registry_url, secret_key=secret_key)
    web = WebContext(lambda: settings)
    service = web.service(HTTPHeaders({"X-Forwarded-User": "maria"}))
    try:
        assert service.actor == "maria" and not service.system
    finally:
        service.store.close()
    with pytest.raises(ConfigError):
        web.service(HTTPHeaders({}))
