"""The health monitor's tables: health events, alert deliveries, received webhooks, leases, shop health.

Their definitions (and all of their SQL) live in :mod:`linkkit.monitor.registry`; this revision creates the
same tables, so the registry has one schema path. Before this revision existed the monitor created its
tables itself (``create_all``): a registry where it already did so has them, and they are left as they are
(the definitions were identical), only the revision is recorded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)

TABLES = ("monitor_health_events", "monitor_alert_deliveries", "monitor_webhooks_received", "monitor_leases",
          "monitor_shop_health")


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "monitor_health_events" not in existing:
        op.create_table(
            "monitor_health_events",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", UtcDateTime, nullable=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("shop_id", sa.String, nullable=True),
            sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id"), nullable=True),
            sa.Column("reason", sa.String(64), nullable=True),
            sa.Column("detail", sa.String, nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("dedupe_key", sa.String(255), nullable=False),
            sa.CheckConstraint("kind IN ('expiring', 'broken', 'repaired', 'deauthorized')", name="ck_health_kind"),
            sa.UniqueConstraint("dedupe_key", name="uq_health_dedupe"),
        )
        op.create_index("ix_monitor_health_events_at", "monitor_health_events", ["at"])
        op.create_index("ix_monitor_health_events_shop_id", "monitor_health_events", ["shop_id"])
        op.create_index("ix_monitor_health_events_link_id", "monitor_health_events", ["link_id"])
    if "monitor_alert_deliveries" not in existing:
        op.create_table(
            "monitor_alert_deliveries",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.Integer, sa.ForeignKey("monitor_health_events.id"), nullable=False),
            sa.Column("channel", sa.String(20), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", UtcDateTime, nullable=True),
            sa.Column("last_error", sa.String, nullable=False),
            sa.Column("created_at", UtcDateTime, nullable=False),
            sa.Column("sent_at", UtcDateTime, nullable=True),
            sa.Column("read_at", UtcDateTime, nullable=True),
            sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'suppressed', 'digest', 'digested')",
                               name="ck_delivery_status"),
            sa.UniqueConstraint("event_id", "channel", name="uq_delivery_event_channel"),
        )
        op.create_index("ix_monitor_alert_deliveries_next_attempt_at", "monitor_alert_deliveries",
                        ["next_attempt_at"])
    if "monitor_webhooks_received" not in existing:
        op.create_table(
            "monitor_webhooks_received",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("tts_notification_id", sa.String(128), nullable=False),
            sa.Column("type", sa.Integer, nullable=True),
            sa.Column("shop_id", sa.String, nullable=True),
            sa.Column("received_at", UtcDateTime, nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("deliveries", sa.Integer, nullable=False),
            sa.Column("handled_at", UtcDateTime, nullable=True),
            sa.Column("outcome", sa.String(64), nullable=True),
            sa.UniqueConstraint("tts_notification_id", name="uq_webhook_notification"),
        )
    if "monitor_leases" not in existing:
        op.create_table(
            "monitor_leases",
            sa.Column("name", sa.String(128), primary_key=True),
            sa.Column("holder", sa.String(255), nullable=False),
            sa.Column("expires_at", UtcDateTime, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
        )
    if "monitor_shop_health" not in existing:
        op.create_table(
            "monitor_shop_health",
            sa.Column("shop_id", sa.String, primary_key=True),
            sa.Column("deauthorized_at", UtcDateTime, nullable=True),
            sa.Column("authorization_expires_at", UtcDateTime, nullable=True),
            sa.Column("updated_at", UtcDateTime, nullable=False),
        )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
