"""Reconciliation: import the links Seller Center already holds (design §3.2).

Run when a shop is connected and on every verify. Bindings linkkit does not know are stored as links marked
``found in Seller Center, not authorized in linkkit`` (``binding_evidence = seller_center_import``), with their
dates, so the rules checked before consent count them and the shop's history shows them. Authorizing such a
link (Repair) attaches the real TikTok account to it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from linkkit.errors import LinkkitError
from linkkit.linking.ports import Ports
from linkkit.models import EVIDENCE_IMPORTED, Link, Shop, TikTokAccount
from linkkit.seller_center.base import SellerCenterLink

__all__ = ["IMPORTED_OPEN_ID_PREFIX", "reconcile"]

log = logging.getLogger(__name__)

#: Accounts found in Seller Center have no Login Kit ``open_id`` until authorized; this prefix marks theirs.
IMPORTED_OPEN_ID_PREFIX = "seller-center:"
_SAME_LINK = timedelta(days=2)  # Seller Center's and linkkit's dates of one link differ by the verify delay


def _known(found: SellerCenterLink, links: list[Link]) -> bool:
    same = [link for link in links if link.role is found.role
            and link.account.username.lower() == found.username.lower()]
    if found.unlinked_at is None:
        return any(link.active for link in same)
    if found.linked_at is None:
        return bool(same)
    return any(abs((link.linked_at or link.created_at) - found.linked_at) <= _SAME_LINK for link in same)


def reconcile(ports: Ports, shop: Shop) -> list[Link]:
    """Import the shop's Seller Center links that the registry lacks; returns the links imported.

    A Seller Center that cannot be read leaves the registry as it is (logged; the next verify tries again).
    """
    now = ports.clock.now()
    try:
        found = ports.seller_center.existing_links(shop, now)
    except LinkkitError as exc:
        log.info("Seller Center links of shop %s could not be read (%s); not reconciled.", shop.id, exc.reason)
        return []
    links = ports.links(shop.id, include_unlinked=True)
    new = [row for row in found if row.username and not _known(row, links)]
    if not new:
        return []
    ids: list[int] = []
    with ports.registry.transaction() as conn:
        for row in new:
            account = TikTokAccount(open_id=f"{IMPORTED_OPEN_ID_PREFIX}{row.username.lower()}",
                                    display_name=row.display_name or row.username, username=row.username)
            ports.registry.upsert_account(account, conn=conn)
            link_id = ports.registry.insert_link(shop.id, account.open_id, row.role, (), conn=conn)
            values: dict[str, object] = {"binding_evidence": EVIDENCE_IMPORTED, "linked_at": row.linked_at or now}
            if row.unlinked_at is not None:
                values["unlinked_at"] = row.unlinked_at
            ports.registry.update_link(link_id, conn=conn, **values)
            since = f"{row.linked_at:%Y-%m-%d}" if row.linked_at else "an unknown date"
            until = f" until {row.unlinked_at:%Y-%m-%d}" if row.unlinked_at else ""
            seen = ("found in Seller Center" if row.source == "seller_center" else
                    "seen in the shop's analytics under its linked accounts")
            ports.event("found_in_seller_center", shop_id=shop.id, link_id=link_id, username=row.username,
                        role=row.role.value, conn=conn,
                        detail=f"{seen}: linked {since}{until}; not authorized in linkkit")
            ids.append(link_id)
    return [ports.link(link_id) for link_id in ids]
