"""Secrets never reach the logs."""

from __future__ import annotations

import logging

import pytest

from linkkit import redact


@pytest.mark.parametrize("text", [
    "GET /api/v2/token/get?app_key=k&app_secret=SHHH&auth_code=C0DE",
    "POST body code=C0DE&code_verifier=VERIF&client_secret=SHHH",
    '{"access_token": "act.ABCDEFGHIJ", "refresh_token": "rft.ABCDEFGHIJ"}',
    "Authorization: Bearer act.ABCDEFGHIJ",
    "headers {'x-tts-access-token': 'TTP_ABCDEFGHIJ'}",
])
def test_patterns_are_redacted(text: str) -> None:
    cleaned = redact.redact(text)
    for secret in ("SHHH", "C0DE", "VERIF", "ABCDEFGHIJ"):
        assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_registered_secrets_are_redacted_anywhere() -> None:
    redact.register("plain-looking-secret-value")
    assert redact.redact("x plain-looking-secret-value y") == "x [REDACTED] y"


def test_installed_factory_redacts_third_party_records(caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug('"GET /x?access_token=%s HTTP/1.1" 200', "act.LEAKLEAKLEAK")
    assert "LEAKLEAK" not in caplog.text
    assert "[REDACTED]" in caplog.text
