"""Record which key encrypted each stored secret (its fingerprint, never the key).

A process whose ``LINKKIT_SECRET_KEY`` lacks a recorded key is refused at start, instead of failing on every
token. Rows written before this revision are fingerprinted when a process that can decrypt them opens the
registry. ``schema_migrations`` gets row ``2`` so linkkit 0.1 (which knew only ``1``) refuses this registry
rather than writing secrets without a fingerprint.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("key_fp", sa.String(16)))
        batch.create_index("ix_tokens_key_fp", ["key_fp"])
    with op.batch_alter_table("pending_authorizations") as batch:
        batch.add_column(sa.Column("key_fp", sa.String(16)))
    migrations = sa.table("schema_migrations", sa.column("version", sa.Integer),
                          sa.column("applied_at", sa.DateTime(timezone=True)))
    op.bulk_insert(migrations, [{"version": 2, "applied_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.execute("DELETE FROM schema_migrations WHERE version = 2")
    with op.batch_alter_table("pending_authorizations") as batch:
        batch.drop_column("key_fp")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_index("ix_tokens_key_fp")
        batch.drop_column("key_fp")
