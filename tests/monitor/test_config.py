"""The [monitor] table of linkkit.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkkit.errors import ConfigError
from linkkit.monitor.config import MonitorConfig, load_config

TOML = """
[linkkit]
mode = "sandbox"

[monitor]
schedule = "*/5 * * * *"
expiry_warning_days = [14, 3]
channels = ["dashboard", "email", "webhook"]
concurrency = 8

[monitor.email]
host = "127.0.0.1"
port = 2525
sender = "linkkit <a@example.com>"
recipients = ["seller@example.com"]

[monitor.webhook]
url = "https://hooks.example.com/x"
"""


def test_the_monitor_table_is_read_with_secrets_from_the_environment(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "linkkit.toml"
    path.write_text(TOML)
    monkeypatch.setenv("LINKKIT_MONITOR_WEBHOOK_SECRET", "whsec-canary-123456")
    config = load_config(path)
    assert config.expiry_warning_days == (14, 3)
    assert config.channels == ("dashboard", "email", "webhook")
    assert (config.email.port, config.email.recipients, config.concurrency) == (2525, ("seller@example.com",), 8)
    assert config.webhook.secret == "whsec-canary-123456"
    assert config.pass_interval_seconds == 300
    assert "whsec-canary" not in repr(config)


def test_a_secret_written_into_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "linkkit.toml"
    path.write_text('[monitor]\n[monitor.webhook]\nurl = "https://x"\nsecret = "s3cr3t-in-file"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.reason == "config_invalid"
    assert "s3cr3t-in-file" not in str(caught.value)


@pytest.mark.parametrize("table", [{"chanels": ["dashboard"]}, {"channels": ["pager"]},
                                   {"channels": ["webhook"], "webhook": {"url": "https://x"}},
                                   {"expiry_warning_days": [0]}])
def test_invalid_tables_are_refused(table: dict) -> None:
    with pytest.raises(ConfigError) as caught:
        MonitorConfig.from_mapping(table, env={})
    assert caught.value.reason == "config_invalid"


def test_no_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "missing.toml") == MonitorConfig.from_mapping({}, env={})
