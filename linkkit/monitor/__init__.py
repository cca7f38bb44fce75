"""linkkit.monitor: links that look after themselves.

A health monitor (token refresh before expiry, scheduled re-verification, expiry warnings), a TikTok Shop
webhook receiver (types 6 and 7) and alerts (dashboard, email, outgoing webhook), on the shared registry.

Example:
    >>> from linkkit.monitor import Monitor, MonitorConfig
    >>> MonitorConfig().channels
    ('dashboard',)
"""

from linkkit.monitor.alerts import Alert, AlertDispatcher, render_alert, sign_payload
from linkkit.monitor.config import EmailConfig, MonitorConfig, WebhookConfig, load_config
from linkkit.monitor.registry import AlertDelivery, HealthEvent, MonitorRegistry, ReceivedWebhook, ShopHealth
from linkkit.monitor.service import Monitor, PassReport
from linkkit.monitor.webhooks import ReceiverServer, expected_signature, make_app, serve

__all__ = [
    "Alert",
    "AlertDelivery",
    "AlertDispatcher",
    "EmailConfig",
    "HealthEvent",
    "Monitor",
    "MonitorConfig",
    "MonitorRegistry",
    "PassReport",
    "ReceivedWebhook",
    "ReceiverServer",
    "ShopHealth",
    "WebhookConfig",
    "expected_signature",
    "load_config",
    "make_app",
    "render_alert",
    "serve",
    "sign_payload",
]
