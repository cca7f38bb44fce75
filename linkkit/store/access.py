"""Who may act on which shop: owners and members (``shop_access``, revision 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linkkit.store.base import StoreBase
from linkkit.store.database import as_utc, utc_now
from linkkit.store.schema import shop_access

__all__ = ["MEMBER", "OWNER", "AccessMixin", "ShopAccess"]

OWNER = "owner"
MEMBER = "member"


@dataclass(frozen=True)
class ShopAccess:
    """One principal's access to one shop."""

    shop_id: str
    principal: str
    role: str
    granted_by: str
    granted_at: datetime


class AccessMixin(StoreBase):
    """Owners and members of shops. The checks themselves live in :class:`~linkkit.linking.LinkService`."""

    def add_access(self, shop_id: str, principal: str, role: str, granted_by: str, *,
                   conn: Connection | None = None) -> bool:
        """Give ``principal`` ``role`` on the shop; an existing row is changed only to raise member → owner.

        Returns whether anything changed.
        """
        with self._maybe(conn) as c:
            found = c.execute(sa.select(shop_access.c.role).where(
                shop_access.c.shop_id == shop_id, shop_access.c.principal == principal)).scalar()
            if found == role or found == OWNER:
                return False
            if found is not None:
                c.execute(shop_access.update().where(shop_access.c.shop_id == shop_id,
                                                     shop_access.c.principal == principal).values(role=role))
                return True
            c.execute(shop_access.insert().values(shop_id=shop_id, principal=principal, role=role,
                                                  granted_by=granted_by, granted_at=self._now()))
            return True

    def remove_access(self, shop_id: str, principal: str, *, conn: Connection | None = None) -> bool:
        with self._maybe(conn) as c:
            done = c.execute(shop_access.delete().where(shop_access.c.shop_id == shop_id,
                                                        shop_access.c.principal == principal))
            return bool(done.rowcount)

    def access_role(self, shop_id: str, principal: str, *, conn: Connection | None = None) -> str | None:
        """``"owner"``, ``"member"`` or ``None`` (no access)."""
        with self._maybe_read(conn) as c:
            role = c.execute(sa.select(shop_access.c.role).where(
                shop_access.c.shop_id == shop_id, shop_access.c.principal == principal)).scalar()
            return str(role) if role is not None else None

    def shop_ids_of(self, principal: str) -> set[str]:
        """The shops ``principal`` owns or is a member of."""
        with self._read() as conn:
            return {str(r) for r in conn.execute(
                sa.select(shop_access.c.shop_id).where(shop_access.c.principal == principal)).scalars()}

    def access_list(self, shop_id: str, *, conn: Connection | None = None, lock: bool = False) -> list[ShopAccess]:
        """The shop's owners, then members. With ``lock`` (inside a write transaction) the rows stay locked
        until it ends (PostgreSQL ``FOR UPDATE``; SQLite's write transaction already excludes other writers)."""
        query = (sa.select(shop_access).where(shop_access.c.shop_id == shop_id)
                 .order_by(shop_access.c.role.desc(), shop_access.c.principal))
        with self._maybe_read(conn) as c:
            rows = c.execute(query.with_for_update() if lock else query).mappings()
            return [ShopAccess(r["shop_id"], r["principal"], r["role"], r["granted_by"],
                               as_utc(r["granted_at"]) or utc_now()) for r in rows]
