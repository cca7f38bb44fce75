"""Alerts over loopback: a real local SMTP server with STARTTLS (aiosmtpd), a local webhook endpoint."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from linkkit.monitor import Monitor
from tests.integration.conftest import Harness
from tests.monitor.conftest import connected_link, rebind, secrets_in, unbind_in_seller_center

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "whsec-canary-7f3a9b2c1d"
SMTP_PASSWORD = "smtp-canary-password-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "smtp.pem", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.event = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default), session))
        self.event.set()
        return "250 OK"


class _Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"alerts" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[_Inbox, int, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=_Authenticator(), auth_require_tls=True)
    controller.start()
    try:
        yield inbox, port, cert
    finally:
        controller.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]
    fail_first: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append((dict(self.headers), body))
        status = 500 if len(type(self).received) <= type(self).fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def hook_server() -> Iterator[tuple[type[_Hook], str]]:
    handler = type("Hook", (_Hook,), {"received": [], "fail_first": 2})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _email_monitor(make_monitor: Callable[..., Monitor], port: int, cert: Path, monkeypatch: pytest.MonkeyPatch,
                   *, alerts_per_link_per_day: int = 3, **extra: Any) -> Monitor:
    monkeypatch.setenv("LINKKIT_MONITOR_SMTP_PASSWORD", SMTP_PASSWORD)
    return make_monitor(channels=["dashboard", "email"], alerts_per_link_per_day=alerts_per_link_per_day, email={
        "host": "127.0.0.1", "port": port, "sender": "linkkit <alerts@example.com>",
        "recipients": ["seller@example.com"], "username": "alerts", "ca_file": str(cert), **extra})


def test_a_broken_link_emails_the_seller_over_starttls_with_the_repair_link(
        h: Harness, make_monitor: Callable[..., Monitor], smtp: tuple[_Inbox, int, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, cert = smtp
    link = connected_link(h)
    monitor = _email_monitor(make_monitor, port, cert, monkeypatch)
    monitor.run_once()
    unbind_in_seller_center(h, link)
    report = monitor.run_once()
    assert inbox.event.wait(10)
    assert report.deliveries == {"sent": 2}
    ((rcpt, message, session),) = inbox.messages
    assert rcpt == ["seller@example.com"]
    assert session.ssl is not None  # the message travelled after STARTTLS
    assert message["Subject"] == ("[linkkit] @maple.unbox (Marketing) in Maple & Co is broken: "
                                  "The link does not show in Seller Center yet")
    text = message.get_content()
    assert f"http://127.0.0.1:8866/voila/render/01_link_accounts.ipynb?repair={link.id}" in text
    assert "What to do — The link does not show in Seller Center yet:" in text
    for secret in [*secrets_in(h), SMTP_PASSWORD]:
        assert secret not in text and secret not in message["Subject"]
    # One alert per event per channel: later passes send nothing more.
    monitor.run_once()
    assert len(inbox.messages) == 1


def test_the_dashboard_lists_alerts_until_read(h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    monitor = make_monitor()
    monitor.run_once()
    unbind_in_seller_center(h, link)
    monitor.run_once()
    ((delivery, alert),) = monitor.alerts(shop_id=link.shop_id)
    assert (alert.kind, alert.link_id, alert.reason) == ("broken", link.id, "binding_not_visible")
    assert alert.troubleshooting_steps and alert.repair_url.endswith(f"repair={link.id}")
    assert monitor.alerts(shop_id="another-shop") == []
    monitor.mark_read(delivery.id)
    assert monitor.alerts(shop_id=link.shop_id) == []
    assert len(monitor.alerts(shop_id=link.shop_id, unread_only=False)) == 1


def test_the_outgoing_webhook_is_signed_slack_compatible_and_retried(
        h: Harness, make_monitor: Callable[..., Monitor], hook_server: tuple[type[_Hook], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    handler, url = hook_server
    monkeypatch.setenv("LINKKIT_MONITOR_WEBHOOK_SECRET", WEBHOOK_SECRET)
    link = connected_link(h)
    monitor = make_monitor(channels=["webhook"], webhook={"url": url, "backoff_seconds": 0.0, "max_attempts": 5})
    monitor.run_once()
    unbind_in_seller_center(h, link)
    outcomes = [monitor.run_once().deliveries for _ in range(4)]
    assert outcomes == [{"retry": 1}, {"retry": 1}, {"sent": 1}, {}]
    assert len(handler.received) == 3  # two failures, one success, then nothing
    headers, body = handler.received[-1]
    timestamp, mac = (part.split("=", 1)[1] for part in headers["X-Linkkit-Signature"].split(","))
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    payload = json.loads(body)
    assert payload["text"].startswith("@maple.unbox (Marketing) in Maple & Co is broken.")
    assert payload["event"] == {"id": payload["event"]["id"], "kind": "broken", "link_id": link.id,
                                "shop_id": link.shop_id, "reason": "binding_not_visible"}
    assert payload["repair_url"].endswith(f"repair={link.id}")
    for secret in [*secrets_in(h), WEBHOOK_SECRET]:
        assert secret not in body.decode()
    (delivery,) = monitor.registry.deliveries(channel="webhook")
    assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_alerts_about_one_link_are_rate_limited(h: Harness, make_monitor: Callable[..., Monitor],
                                                smtp: tuple[_Inbox, int, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, cert = smtp
    link = connected_link(h)
    monitor = _email_monitor(make_monitor, port, cert, monkeypatch, alerts_per_link_per_day=1)
    monitor.run_once()
    unbind_in_seller_center(h, link)  # broken
    monitor.run_once()
    rebind(h, link)  # repaired, within the same day
    monitor.run_once()
    assert [e.kind for e in reversed(monitor.registry.health_events())] == ["broken", "repaired"]
    assert [d.status for d in monitor.registry.deliveries(channel="email")] == ["sent", "suppressed"]
    assert len(inbox.messages) == 1
    assert [d.status for d in monitor.registry.deliveries(channel="dashboard")] == ["sent", "sent"]


def test_the_daily_digest_sends_one_email_with_every_alert(h: Harness, make_monitor: Callable[..., Monitor],
                                                           smtp: tuple[_Inbox, int, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, cert = smtp
    link = connected_link(h)
    monitor = _email_monitor(make_monitor, port, cert, monkeypatch, digest=True)
    monitor.run_once()
    unbind_in_seller_center(h, link)
    monitor.run_once()
    rebind(h, link)
    monitor.run_once()
    h.control("POST", "/clock", {"advance_seconds": 86400})
    monitor.run_once()
    subjects = [m["Subject"] for _, m, _ in inbox.messages]
    assert subjects == ["[linkkit] Daily digest: 1 alert", "[linkkit] Daily digest: 1 alert"]
    assert [d.status for d in monitor.registry.deliveries(channel="email")] == ["digested", "digested"]
