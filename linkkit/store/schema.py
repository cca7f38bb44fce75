"""The registry's tables (SQLAlchemy Core) and the schema revision this code knows."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "SCHEMA_VERSION",
    "UtcDateTime",
    "accounts",
    "link_checks",
    "link_events",
    "links",
    "metadata",
    "pending",
    "revocation_outbox",
    "schema_migrations",
    "shop_access",
    "shops",
    "tokens",
]

metadata = sa.MetaData()

UtcDateTime = sa.DateTime(timezone=True)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", UtcDateTime, nullable=False),
)

shops = sa.Table(
    "shops",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("region", sa.String, nullable=False),
    sa.Column("seller_type", sa.String, nullable=False),
    sa.Column("cipher", sa.String, nullable=False),
    sa.Column("code", sa.String, nullable=False, default=""),
    sa.Column("seller_name", sa.String, nullable=False, default=""),
    sa.Column("seller_open_id", sa.String, nullable=False, default=""),
    sa.Column("connected_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

#: Who may act on a shop (design §3.3): its owners (the principal that connected it; they grant and revoke)
#: and members (granted by an owner). A principal without a row here is refused with ``not_your_shop``.
shop_access = sa.Table(
    "shop_access",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shop_id", sa.String, sa.ForeignKey("shops.id"), nullable=False, index=True),
    sa.Column("principal", sa.String, nullable=False, index=True),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("granted_by", sa.String, nullable=False),
    sa.Column("granted_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("shop_id", "principal", name="uq_shop_access_principal"),
    sa.CheckConstraint("role IN ('owner', 'member')", name="ck_shop_access_role"),
)

accounts = sa.Table(
    "tiktok_accounts",
    metadata,
    sa.Column("open_id", sa.String, primary_key=True),
    sa.Column("display_name", sa.String, nullable=False),
    sa.Column("username", sa.String, nullable=False, default=""),
    sa.Column("avatar_url", sa.String, nullable=False, default=""),
    sa.Column("union_id", sa.String, nullable=False, default=""),
    sa.Column("is_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("follower_count", sa.Integer),
    sa.Column("region", sa.String),
    sa.Column("account_type", sa.String),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shop_id", sa.String, sa.ForeignKey("shops.id"), nullable=False),
    sa.Column("account_open_id", sa.String, sa.ForeignKey("tiktok_accounts.open_id"), nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("linked_at", UtcDateTime),
    sa.Column("unlinked_at", UtcDateTime),
    sa.Column("last_verified_at", UtcDateTime),
    sa.Column("scopes", sa.String, nullable=False, default=""),
    sa.Column("binding_evidence", sa.String),
    sa.CheckConstraint("role IN ('official', 'marketing')", name="ck_links_role"),
)
# One active Official per shop; one active link per (shop, account) — design §3.3.
sa.Index(
    "uq_links_one_official",
    links.c.shop_id,
    unique=True,
    sqlite_where=sa.and_(links.c.role == "official", links.c.unlinked_at.is_(None)),
    postgresql_where=sa.and_(links.c.role == "official", links.c.unlinked_at.is_(None)),
)
sa.Index(
    "uq_links_one_per_account",
    links.c.shop_id,
    links.c.account_open_id,
    unique=True,
    sqlite_where=links.c.unlinked_at.is_(None),
    postgresql_where=links.c.unlinked_at.is_(None),
)

link_checks = sa.Table(
    "link_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id"), nullable=False, index=True),
    sa.Column("run", sa.Integer, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String),
    sa.Column("detail", sa.String, nullable=False, default=""),
    sa.Column("checked_at", UtcDateTime, nullable=False),
)

link_events = sa.Table(
    "link_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("shop_id", sa.String),
    sa.Column("link_id", sa.Integer),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("detail", sa.String, nullable=False, default=""),
    sa.Column("username", sa.String, nullable=False, default=""),
    sa.Column("role", sa.String, nullable=False, default=""),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("subject", sa.String, nullable=False),  # open_id of the TikTok account or the seller
    sa.Column("access_token", sa.String, nullable=False),  # Fernet ciphertext
    sa.Column("refresh_token", sa.String, nullable=False),  # Fernet ciphertext
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("refresh_expires_at", UtcDateTime),
    sa.Column("scopes", sa.String, nullable=False, default=""),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("key_fp", sa.String(16), index=True),  # fingerprint of the key that encrypted this row
    sa.Column("lease_holder", sa.String),  # the process spending the refresh token right now (design §4)
    sa.Column("lease_until", UtcDateTime),  # when that lease lapses and may be taken over
    sa.UniqueConstraint("provider", "subject", name="uq_tokens_subject"),
)

pending = sa.Table(
    "pending_authorizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("state_hash", sa.String, nullable=False, unique=True),
    sa.Column("code_verifier", sa.String),  # Fernet ciphertext
    sa.Column("shop_id", sa.String),
    sa.Column("role", sa.String),
    sa.Column("redirect_uri", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
    sa.Column("link_id", sa.Integer),
    sa.Column("expected_username", sa.String),
    sa.Column("replace", sa.Boolean, nullable=False, default=False),
    sa.Column("outcome", sa.String),
    sa.Column("result_link_id", sa.Integer),
    sa.Column("key_fp", sa.String(16)),  # fingerprint of the key that encrypted code_verifier
)

revocation_outbox = sa.Table(
    "revocation_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("subject", sa.String, nullable=False),
    sa.Column("access_token", sa.String, nullable=False),  # Fernet ciphertext, kept until TikTok confirmed
    sa.Column("key_fp", sa.String(16)),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("pending_id", sa.Integer, index=True),  # set while held for a completion in progress
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("due_at", UtcDateTime, index=True),  # NULL while held
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.String),
)

#: The newest Alembic revision this code knows (revision ids are zero-padded numbers: ``"0002"``).
SCHEMA_VERSION = 6
HEAD_REVISION = f"{SCHEMA_VERSION:04d}"
#: pg_advisory_xact_lock key serialising migrations on PostgreSQL ("linkkit" in ASCII).
MIGRATION_LOCK = 0x6C696E6B6B6974
