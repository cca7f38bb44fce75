"""The monitor's settings: the ``[monitor]`` table of ``linkkit.toml`` (and two secrets from the environment).

``linkkit.toml``::

    [monitor]
    schedule = "*/15 * * * *"          # cron, five fields (APScheduler's CronTrigger.from_crontab)
    # interval_seconds = 30            # instead of schedule: a fixed interval (demo / sandbox)
    refresh_window_minutes = 60        # refresh access tokens expiring within this window
    expiry_warning_days = [7, 1]       # `expiring` events this many days before an authorization ends
    concurrency = 4                    # links verified at once
    rate_limit_retries = 3             # retries of a link TikTok rate-limited, with exponential backoff
    rate_limit_backoff_seconds = 2.0
    lease_seconds = 600                # how long a job's lease lasts while it runs
    channels = ["dashboard", "email", "webhook"]
    alerts_per_link_per_day = 3        # beyond this, a link's alerts on a channel are suppressed
    repair_url = "{public_url}/voila/render/01_link_accounts.ipynb?repair={link_id}"
    shop_url = "{public_url}/voila/render/01_link_accounts.ipynb?shop_id={shop_id}"
    listen = "127.0.0.1:8870"
    webhook_path = "/webhooks/tiktok-shop"

    [monitor.email]
    host = "smtp.example.com"
    port = 587
    starttls = true
    username = "alerts@example.com"    # password: LINKKIT_MONITOR_SMTP_PASSWORD
    sender = "linkkit <alerts@example.com>"
    recipients = ["seller@example.com"]
    ca_file = ""                       # extra CA bundle for STARTTLS (self-signed relays)
    digest = false                     # true: one email a day with every alert

    [monitor.webhook]
    url = "https://hooks.slack.com/services/…"   # signing secret: LINKKIT_MONITOR_WEBHOOK_SECRET
    max_attempts = 5
    backoff_seconds = 30.0
    digest = false

Example:
    >>> config = MonitorConfig.from_mapping({"interval_seconds": 30, "expiry_warning_days": [7, 1]})
    >>> config.interval_seconds, config.expiry_warning_days
    (30, (7, 1))
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from linkkit.errors import ConfigError

__all__ = ["CHANNELS", "INTERVAL_ENV", "EmailConfig", "MonitorConfig", "WebhookConfig", "load_config"]

CHANNELS = ("dashboard", "email", "webhook")
DEFAULT_REPAIR_URL = "{public_url}/voila/render/01_link_accounts.ipynb?repair={link_id}"
DEFAULT_SHOP_URL = "{public_url}/voila/render/01_link_accounts.ipynb?shop_id={shop_id}"
#: Overrides the schedule with a fixed interval in seconds (the sandbox dashboard's fast demo schedule).
INTERVAL_ENV = "LINKKIT_MONITOR_INTERVAL_SECONDS"


@dataclass(frozen=True)
class EmailConfig:
    """SMTP settings for the email channel (the password comes from ``LINKKIT_MONITOR_SMTP_PASSWORD``)."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    recipients: tuple[str, ...] = ()
    ca_file: str = ""
    timeout: float = 15.0
    digest: bool = False


@dataclass(frozen=True)
class WebhookConfig:
    """The outgoing webhook (the signing secret comes from ``LINKKIT_MONITOR_WEBHOOK_SECRET``)."""

    url: str = ""
    secret: str = field(default="", repr=False)
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    timeout: float = 10.0
    digest: bool = False


@dataclass(frozen=True)
class MonitorConfig:
    """Everything the monitor needs besides the registry and the TikTok clients."""

    schedule: str = "*/15 * * * *"
    interval_seconds: float | None = None
    refresh_window_minutes: float = 60.0
    expiry_warning_days: tuple[int, ...] = (7, 1)
    concurrency: int = 4
    rate_limit_retries: int = 3
    rate_limit_backoff_seconds: float = 2.0
    lease_seconds: float = 600.0
    channels: tuple[str, ...] = ("dashboard",)
    alerts_per_link_per_day: int = 3
    repair_url: str = DEFAULT_REPAIR_URL
    shop_url: str = DEFAULT_SHOP_URL
    listen: str = "127.0.0.1:8870"
    webhook_path: str = "/webhooks/tiktok-shop"
    email: EmailConfig = field(default_factory=EmailConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.channels) - set(CHANNELS))
        if unknown:
            raise ConfigError(f"[monitor] channels: unknown channel(s) {', '.join(unknown)}; use {CHANNELS}.",
                              reason="config_invalid")
        if any(d <= 0 for d in self.expiry_warning_days):
            raise ConfigError("[monitor] expiry_warning_days must be positive.", reason="config_invalid")
        if self.concurrency < 1:
            raise ConfigError("[monitor] concurrency must be at least 1.", reason="config_invalid")
        if "email" in self.channels and not (self.email.host and self.email.sender and self.email.recipients):
            raise ConfigError("[monitor.email] needs host, sender and recipients.", reason="config_invalid")
        if "webhook" in self.channels and not (self.webhook.url and self.webhook.secret):
            raise ConfigError("[monitor.webhook] needs url, and LINKKIT_MONITOR_WEBHOOK_SECRET must be set.",
                              reason="config_invalid")

    @property
    def refresh_window_seconds(self) -> float:
        return self.refresh_window_minutes * 60

    @property
    def pass_interval_seconds(self) -> float:
        """Seconds between passes: the interval, or the cron schedule's shortest gap."""
        if self.interval_seconds:
            return float(self.interval_seconds)
        from datetime import UTC, datetime

        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(self.schedule, timezone=UTC)
        first = trigger.get_next_fire_time(None, datetime.now(UTC))
        second = trigger.get_next_fire_time(first, first) if first else None
        if first is None or second is None:
            return 900.0
        return max(1.0, (second - first).total_seconds())

    def with_(self, **changes: Any) -> MonitorConfig:
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, table: dict[str, Any], env: dict[str, str] | None = None) -> MonitorConfig:
        """Build from a parsed ``[monitor]`` table; secrets from ``env`` (``os.environ`` by default)."""
        env = dict(os.environ) if env is None else env
        values = dict(table)
        email = dict(values.pop("email", {}) or {})
        hook = dict(values.pop("webhook", {}) or {})
        _known(cls, values, "[monitor]")
        _known(EmailConfig, email, "[monitor.email]")
        _known(WebhookConfig, hook, "[monitor.webhook]")
        if "password" in email or "secret" in hook:
            raise ConfigError("Put the SMTP password and webhook secret in LINKKIT_MONITOR_SMTP_PASSWORD / "
                              "LINKKIT_MONITOR_WEBHOOK_SECRET, not in linkkit.toml.", reason="config_invalid")
        email["password"] = env.get("LINKKIT_MONITOR_SMTP_PASSWORD", "")
        hook["secret"] = env.get("LINKKIT_MONITOR_WEBHOOK_SECRET", "")
        for key in ("recipients",):
            if key in email:
                email[key] = tuple(email[key])
        for key in ("channels", "expiry_warning_days"):
            if key in values:
                values[key] = tuple(values[key])
        try:
            return cls(**values, email=EmailConfig(**email), webhook=WebhookConfig(**hook))
        except TypeError as exc:
            raise ConfigError(f"[monitor] is not valid: {exc}", reason="config_invalid") from exc


def _known(cls: Any, values: dict[str, Any], where: str) -> None:
    names = {f.name for f in fields(cls)} - {"email", "webhook", "password", "secret"}
    unknown = sorted(set(values) - names - {"password", "secret"})
    if unknown:
        raise ConfigError(f"Unknown setting(s) in {where}: {', '.join(unknown)}.", reason="config_invalid")


def load_config(path: str | Path | None = None) -> MonitorConfig:
    """Read ``[monitor]`` from ``path`` (default ``$LINKKIT_CONFIG`` or ``./linkkit.toml``); defaults if absent.

    ``$LINKKIT_MONITOR_INTERVAL_SECONDS``, when set, replaces the schedule with that fixed interval.
    """
    config_path = Path(path) if path is not None else Path(os.environ.get("LINKKIT_CONFIG", "linkkit.toml"))
    table: dict[str, Any] = {}
    if config_path.is_file():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path} is not valid TOML: {exc}", reason="config_invalid") from exc
        table = dict(data.get("monitor", {}) or {})
    interval = os.environ.get(INTERVAL_ENV, "").strip()
    if interval:
        try:
            table["interval_seconds"] = float(interval)
        except ValueError:
            raise ConfigError(f"{INTERVAL_ENV} must be a number of seconds.", reason="config_invalid") from None
        if table["interval_seconds"] <= 0:
            raise ConfigError(f"{INTERVAL_ENV} must be positive.", reason="config_invalid")
    return MonitorConfig.from_mapping(table)
