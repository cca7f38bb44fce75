"""Owners and members of each shop: the boundary between sellers sharing one registry.

``shop_access`` holds one row per (shop, principal) with the role ``owner`` (connected the shop; grants and
revokes access) or ``member`` (granted by an owner). Every ``LinkService`` operation that names a shop or a link
checks it; a principal without a row is refused with ``not_your_shop``.

Existing shops get one owner each, in this order:

1. the actor of the shop's earliest ``shop_connected`` event;
2. else the actor of the shop's earliest event of any kind;
3. else the identity running the upgrade (:func:`linkkit.identity.current_actor`: ``LINKKIT_ACTOR``,
   ``JUPYTERHUB_USER`` or the operating-system user).

Other people who used a shop before this revision keep no access until an owner grants it
(``linkkit access grant SHOP USER``).

It follows the revocation outbox (0005).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MIGRATION_ACTOR = "migration 0006"


def upgrade() -> None:
    from linkkit.identity import current_actor

    access = op.create_table(
        "shop_access",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("shop_id", sa.String, sa.ForeignKey("shops.id"), nullable=False, index=True),
        sa.Column("principal", sa.String, nullable=False, index=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("granted_by", sa.String, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shop_id", "principal", name="uq_shop_access_principal"),
        sa.CheckConstraint("role IN ('owner', 'member')", name="ck_shop_access_role"),
    )
    conn = op.get_bind()
    shops = sa.table("shops", sa.column("id", sa.String))
    events = sa.table("link_events", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                      sa.column("shop_id", sa.String), sa.column("actor", sa.String))
    shop_ids = [row[0] for row in conn.execute(sa.select(shops.c.id).order_by(shops.c.id))]
    if not shop_ids:
        return
    fallback = current_actor()
    now = datetime.now(UTC)
    rows = []
    for shop_id in shop_ids:
        owner = None
        for where in (events.c.kind == "shop_connected", sa.true()):
            owner = conn.execute(sa.select(events.c.actor).where(events.c.shop_id == shop_id, where)
                                 .order_by(events.c.id).limit(1)).scalar()
            if owner:
                break
        rows.append({"shop_id": shop_id, "principal": owner or fallback, "role": "owner",
                     "granted_by": MIGRATION_ACTOR, "granted_at": now})
    op.bulk_insert(access, rows)


def downgrade() -> None:
    op.drop_table("shop_access")
