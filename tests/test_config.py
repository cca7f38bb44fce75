"""Settings: sandbox by default, live needs credentials, one place where endpoints differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkkit.config import Settings
from linkkit.errors import ConfigError


def test_sandbox_is_the_default() -> None:
    settings = Settings.load()
    assert settings.mode == "sandbox"
    assert settings.endpoints.login_token == "http://127.0.0.1:8765/v2/oauth/token/"
    assert settings.redirect_uri == "http://127.0.0.1:8866/voila/render/01_link_accounts.ipynb"


def test_live_mode_needs_app_credentials_when_tiktok_is_called() -> None:
    settings = Settings(mode="live")  # reading the registry needs no app secrets
    with pytest.raises(ConfigError) as caught:
        settings.require_credentials()
    assert caught.value.reason == "config_invalid"
    assert "LINKKIT_CLIENT_KEY" in caught.value.message


def test_a_live_service_refuses_tiktok_calls_without_credentials(tmp_path: Any, secret_key: str) -> None:
    from linkkit.linking import LinkService

    service = LinkService.from_settings(Settings(mode="live", database_url=f"sqlite:///{tmp_path}/r.db",
                                                 secret_key=secret_key))
    assert service.links() == []  # the registry is readable
    with pytest.raises(ConfigError) as caught:
        service.begin_shop_authorization()
    assert "LINKKIT_APP_SECRET" in caught.value.message
    assert service.store.counts()["pending_authorizations"] == 0, "nothing was minted"


def test_live_endpoints_are_tiktoks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"LINKKIT_MODE": "live", "LINKKIT_CLIENT_KEY": "ck", "LINKKIT_CLIENT_SECRET": "cs",
                        "LINKKIT_APP_KEY": "ak", "LINKKIT_APP_SECRET": "as", "LINKKIT_SERVICE_ID": "7"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load()
    assert settings.endpoints.login_authorize == "https://www.tiktok.com/v2/auth/authorize/"
    assert settings.endpoints.shop_token_get == "https://auth.tiktok-shops.com/api/v2/token/get"
    assert settings.endpoints.seller_center_api is None
    assert "cs" not in repr(settings) and "'as'" not in repr(settings)


def test_toml_file_and_unknown_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "linkkit.toml"
    config.write_text('[linkkit]\npublic_url = "http://127.0.0.1:9999"\n')
    monkeypatch.setenv("LINKKIT_CONFIG", str(config))
    assert Settings.load().public_url == "http://127.0.0.1:9999"
    config.write_text('[linkkit]\npublik_url = "typo"\n')
    with pytest.raises(ConfigError) as caught:
        Settings.load()
    assert "publik_url" in caught.value.message


def test_invalid_mode() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(mode="production")
    assert caught.value.reason == "config_invalid"
