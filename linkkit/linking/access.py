"""Owners and members: who may act on a shop, and what a principal sees (see ``docs/owners.md``).

Every shop has owners and may have members (``shop_access``); a service acts for one principal and only on its
shops, unless it is a deployment component built with ``system=True`` (the monitor). The per-record refusal
(``not_your_shop``) lives in :meth:`linkkit.linking.ports.Ports.check_access`; this module holds the rest: the
listings' filter and the owners' actions on access itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from linkkit.errors import AccessDenied, InvalidInput
from linkkit.linking import boundary as check
from linkkit.linking.ports import Ports
from linkkit.models import LinkEvent, Shop
from linkkit.store import MEMBER, OWNER, ShopAccess

__all__ = ["AccessControl"]


class AccessControl:
    """The principal's view of the registry and the owners' grant/revoke.

    Args:
        ports: The service's ports (registry, principal, system flag, event log).
        shop: The service's checked shop lookup (refuses a stranger with ``not_your_shop``).
    """

    def __init__(self, ports: Ports, shop: Callable[[str], Shop]) -> None:
        self._p = ports
        self._shop = shop

    def visible_ids(self) -> set[str] | None:
        """The shop ids the principal may see; ``None`` for a system principal (every shop)."""
        return None if self._p.system else self._p.registry.shop_ids_of(self._p.actor)

    def events(self, found: Sequence[LinkEvent]) -> list[LinkEvent]:
        """Of events read without a shop filter: the principal's shops', and its own events of no shop."""
        if self._p.system:
            return list(found)
        visible = self._p.registry.shop_ids_of(self._p.actor)
        return [e for e in found if (e.shop_id in visible if e.shop_id is not None else e.actor == self._p.actor)]

    def _require_owner(self, shop_id: str) -> None:
        self._shop(shop_id)  # not_your_shop for a stranger
        if not self._p.system and self._p.registry.access_role(shop_id, self._p.actor) != OWNER:
            raise AccessDenied("Only an owner of this shop can change who has access.", reason="not_your_shop")

    def members(self, shop_id: str) -> list[ShopAccess]:
        shop_id = check.shop_id(shop_id)
        self._shop(shop_id)
        return self._p.registry.access_list(shop_id)

    def grant(self, shop_id: str, principal: str, role: str = MEMBER) -> bool:
        shop_id, principal = check.shop_id(shop_id), check.principal(principal)
        if role not in (OWNER, MEMBER):
            raise InvalidInput("An access role must be 'owner' or 'member'.", reason="invalid_input")
        self._require_owner(shop_id)
        store = self._p.registry
        with store.transaction() as conn:
            changed = store.add_access(shop_id, principal, role, self._p.actor, conn=conn)
            if changed:
                self._p.event("access_granted", shop_id=shop_id, detail=f"{principal} ({role})", conn=conn)
        return changed

    def revoke(self, shop_id: str, principal: str) -> bool:
        shop_id, principal = check.shop_id(shop_id), check.principal(principal)
        self._require_owner(shop_id)
        store = self._p.registry
        with store.transaction() as conn:
            rows = store.access_list(shop_id, conn=conn, lock=True)  # two owners removing each other
            owners = [a.principal for a in rows if a.role == OWNER]
            if owners == [principal]:
                raise InvalidInput("The shop's last owner cannot be removed; make someone else an owner first.",
                                   reason="invalid_input")
            removed = store.remove_access(shop_id, principal, conn=conn)
            if removed:
                self._p.event("access_revoked", shop_id=shop_id, detail=principal, conn=conn)
        return removed
