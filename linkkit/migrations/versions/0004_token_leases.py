"""Refresh leases on stored tokens: who is refreshing a token and until when (design §4).

A process about to spend a refresh token writes its lease (holder and expiry) in a short transaction; the call
to TikTok happens outside any transaction, and the successor is stored by compare-and-swap on ``version``.
Another process that finds a live lease waits for the successor; an expired lease may be taken over.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("lease_holder", sa.String))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_holder")
