"""The registry as linkkit 0.1 created it (the schema its hand-rolled migration called version 1).

Registries created before Alembic already have these tables and a ``schema_migrations`` row ``1``; the
registry stamps them with this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    migrations = op.create_table(
        "schema_migrations",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("applied_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "shops",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("region", sa.String, nullable=False),
        sa.Column("seller_type", sa.String, nullable=False),
        sa.Column("cipher", sa.String, nullable=False),
        sa.Column("code", sa.String, nullable=False),
        sa.Column("seller_name", sa.String, nullable=False),
        sa.Column("seller_open_id", sa.String, nullable=False),
        sa.Column("connected_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "tiktok_accounts",
        sa.Column("open_id", sa.String, primary_key=True),
        sa.Column("display_name", sa.String, nullable=False),
        sa.Column("username", sa.String, nullable=False),
        sa.Column("avatar_url", sa.String, nullable=False),
        sa.Column("union_id", sa.String, nullable=False),
        sa.Column("is_verified", sa.Boolean, nullable=False),
        sa.Column("follower_count", sa.Integer),
        sa.Column("region", sa.String),
        sa.Column("account_type", sa.String),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    links = op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("shop_id", sa.String, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("account_open_id", sa.String, sa.ForeignKey("tiktok_accounts.open_id"), nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("linked_at", UtcDateTime),
        sa.Column("unlinked_at", UtcDateTime),
        sa.Column("last_verified_at", UtcDateTime),
        sa.Column("scopes", sa.String, nullable=False),
        sa.Column("binding_evidence", sa.String),
        sa.CheckConstraint("role IN ('official', 'marketing')", name="ck_links_role"),
    )
    active_official = sa.and_(links.c.role == "official", links.c.unlinked_at.is_(None))
    op.create_index("uq_links_one_official", "links", ["shop_id"], unique=True,
                    sqlite_where=active_official, postgresql_where=active_official)
    op.create_index("uq_links_one_per_account", "links", ["shop_id", "account_open_id"], unique=True,
                    sqlite_where=links.c.unlinked_at.is_(None), postgresql_where=links.c.unlinked_at.is_(None))
    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id"), nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String),
        sa.Column("detail", sa.String, nullable=False),
        sa.Column("checked_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_link_checks_link_id", "link_checks", ["link_id"])
    op.create_table(
        "link_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("shop_id", sa.String),
        sa.Column("link_id", sa.Integer),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("detail", sa.String, nullable=False),
        sa.Column("username", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
    )
    op.create_index("ix_link_events_at", "link_events", ["at"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("access_token", sa.String, nullable=False),
        sa.Column("refresh_token", sa.String, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("refresh_expires_at", UtcDateTime),
        sa.Column("scopes", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("provider", "subject", name="uq_tokens_subject"),
    )
    op.create_table(
        "pending_authorizations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("state_hash", sa.String, nullable=False, unique=True),
        sa.Column("code_verifier", sa.String),
        sa.Column("shop_id", sa.String),
        sa.Column("role", sa.String),
        sa.Column("redirect_uri", sa.String, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
        sa.Column("link_id", sa.Integer),
        sa.Column("expected_username", sa.String),
        sa.Column("replace", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String),
        sa.Column("result_link_id", sa.Integer),
    )
    op.bulk_insert(migrations, [{"version": 1, "applied_at": datetime.now(UTC)}])


def downgrade() -> None:
    for table in ("pending_authorizations", "tokens", "link_events", "link_checks", "links", "tiktok_accounts",
                  "shops", "schema_migrations"):
        op.drop_table(table)
