"""The actor recorded on events: explicit setting, then JupyterHub's user, then the OS user."""

from __future__ import annotations

import getpass

import pytest

from linkkit.identity import current_actor


def test_explicit_wins() -> None:
    assert current_actor({"LINKKIT_ACTOR": "ops", "JUPYTERHUB_USER": "maria"}, explicit="cli-user") == "cli-user"


def test_setting_then_jupyterhub_then_os_user() -> None:
    assert current_actor({"LINKKIT_ACTOR": "ops", "JUPYTERHUB_USER": "maria"}) == "ops"
    assert current_actor({"JUPYTERHUB_USER": "maria", "USER": "root"}) == "maria"
    assert current_actor({"USER": "root"}) == "root"
    assert current_actor({}) == "unknown"


def test_process_default_is_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKKIT_ACTOR", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert current_actor() == getpass.getuser()
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    assert current_actor() == "hub-user"
