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
    try:
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("urllib3.connectionpool").debug('"GET /x?access_token=%s HTTP/1.1" 200',
                                                              "act.LEAKLEAKLEAK")
    finally:
        redact.uninstall()
    assert "LEAKLEAK" not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_recent_secrets_are_bounded() -> None:
    first = "canary-first-0000000"
    redact.register(first)
    for n in range(redact.MAX_RECENT_SECRETS):
        redact.register(f"filler-secret-{n:08d}")
    assert len(redact._recent) == redact.MAX_RECENT_SECRETS
    assert first not in redact._recent, "the oldest secret is forgotten first"
    assert redact.redact(f"x {'filler-secret-' + format(redact.MAX_RECENT_SECRETS - 1, '08d')} y") == "x [REDACTED] y"


def _record_with_exception(secret: str) -> logging.LogRecord:
    try:
        raise RuntimeError(f"GET /api/v2/token/refresh?app_secret={secret}&refresh_token={secret}")
    except RuntimeError:
        import sys

        return logging.LogRecord("t", logging.ERROR, __file__, 1, "failed %s", (secret,), sys.exc_info(),
                                 sinfo=f"Stack (most recent call last):\n  refresh_token={secret}")


def test_filter_redacts_message_exception_and_stack() -> None:
    secret = "canary-exc-secret-0001"
    redact.register(secret)
    record = _record_with_exception(secret)
    assert redact.RedactingFilter().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert secret not in text
    assert "RuntimeError" in text and "Stack (most recent call last)" in text, "the traceback is still shown"
    assert record.exc_info is None


def test_nothing_is_installed_by_importing_or_constructing(tmp_path: object) -> None:
    """Importing linkkit and building a service patch nothing process-wide (run in a clean interpreter)."""
    import subprocess
    import sys

    code = (
        "import logging, requests_oauthlib.oauth2_session as m\n"
        "factory, check = logging.getLogRecordFactory(), m.is_secure_transport\n"
        "import linkkit, linkkit.linking, linkkit.ui, linkkit.tiktok.login_kit\n"
        "from linkkit.config import Settings\n"
        "from linkkit.crypto import TokenBox\n"
        "from linkkit.store import Store\n"
        "from cryptography.fernet import Fernet\n"
        "key = Fernet.generate_key().decode()\n"
        f"s = Settings(database_url='sqlite:///{tmp_path}/r.db', secret_key=key)\n"
        "linkkit.LinkService(s, Store(s.resolved_database_url, TokenBox(key)))\n"
        "assert logging.getLogRecordFactory() is factory, 'record factory replaced'\n"
        "assert m.is_secure_transport is check, 'transport check patched'\n"
        "import os; assert 'OAUTHLIB_INSECURE_TRANSPORT' not in os.environ\n"
        "print('clean')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "clean"
