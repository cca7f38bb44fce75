"""The revocation outbox: "revoke this grant" rows committed with the registry change that ends the grant.

A row holds the grant's access token (Fernet ciphertext, with the encrypting key's fingerprint) until TikTok
confirmed the revoke; a worker (``LinkService.drain_outbox``) deletes it then, or counts the attempt and
backs off. A row tied to a pending authorization (``pending_id``) is *held*: it guards a grant obtained by a
completion that has not stored its link yet, is deleted by the commit that stores the link, and becomes due
when the authorization ends any other way (refused, abandoned). ``pending_authorizations`` gets an index on
``expires_at`` for the purge of old rows.

It follows the token leases (0004).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revocation_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("access_token", sa.String, nullable=False),
        sa.Column("key_fp", sa.String(16)),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("pending_id", sa.Integer, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String),
    )
    op.create_index("ix_pending_authorizations_expires_at", "pending_authorizations", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_authorizations_expires_at", "pending_authorizations")
    op.drop_table("revocation_outbox")
