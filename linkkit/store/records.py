"""Shops, TikTok accounts, links, their checks and events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linkkit import rules
from linkkit.errors import LinkError, RuleViolation
from linkkit.models import (
    EVENT_CHECK_UNAVAILABLE,
    EVIDENCE_IMPORTED,
    CheckName,
    Link,
    LinkCheck,
    LinkEvent,
    Provider,
    Role,
    Shop,
    TikTokAccount,
    derive_status,
)
from linkkit.store.base import StoreBase
from linkkit.store.database import as_utc, new_id, utc_now
from linkkit.store.schema import (
    accounts,
    link_checks,
    link_events,
    links,
    shops,
    tokens,
)

#: Links with their account and token lifetimes, in display order (built once; callers add ``where``).
_LINKS = (
    sa.select(links, accounts, tokens.c.expires_at.label("token_expires_at"),
              tokens.c.refresh_expires_at.label("token_refresh_expires_at"))
    .join(accounts, accounts.c.open_id == links.c.account_open_id)
    .outerjoin(tokens, sa.and_(tokens.c.provider == Provider.LOGIN_KIT.value,
                               tokens.c.subject == links.c.account_open_id))
    .order_by(links.c.role.desc(), links.c.created_at, links.c.id)
)


class RecordsMixin(StoreBase):
    """Shops, TikTok accounts, links, their checks and events."""

    # --- shops --------------------------------------------------------------------------------------------

    def upsert_shop(self, shop: Shop, *, conn: Connection | None = None) -> None:
        values = {
            "name": shop.name, "region": shop.region, "seller_type": shop.seller_type, "cipher": shop.cipher,
            "code": shop.code, "seller_name": shop.seller_name, "seller_open_id": shop.seller_open_id,
            "updated_at": self._now(),
        }
        with self._maybe(conn) as c:
            found = c.execute(sa.select(shops.c.id).where(shops.c.id == shop.id)).first()
            if found:
                c.execute(shops.update().where(shops.c.id == shop.id).values(**values))
            else:
                c.execute(shops.insert().values(id=shop.id, connected_at=self._now(), **values))

    def shops(self) -> list[Shop]:
        with self._read() as conn:
            rows = conn.execute(sa.select(shops).order_by(shops.c.connected_at, shops.c.name)).mappings()
            return [self._shop(r) for r in rows]

    def shop(self, shop_id: str) -> Shop | None:
        with self._read() as conn:
            row = conn.execute(sa.select(shops).where(shops.c.id == shop_id)).mappings().first()
            return self._shop(row) if row else None

    @staticmethod
    def _shop(row: Any) -> Shop:
        return Shop(
            id=row["id"], name=row["name"], region=row["region"], seller_type=row["seller_type"],
            cipher=row["cipher"], code=row["code"], seller_name=row["seller_name"],
            seller_open_id=row["seller_open_id"],
        )

    # --- accounts -----------------------------------------------------------------------------------------

    def upsert_account(self, account: TikTokAccount, *, conn: Connection | None = None) -> None:
        values = {
            "display_name": account.display_name, "username": account.username, "avatar_url": account.avatar_url,
            "union_id": account.union_id, "is_verified": account.is_verified,
            "follower_count": account.follower_count, "region": account.region,
            "account_type": account.account_type, "updated_at": self._now(),
        }
        with self._maybe(conn) as c:
            updated = c.execute(accounts.update().where(accounts.c.open_id == account.open_id).values(**values))
            if updated.rowcount == 0:
                c.execute(accounts.insert().values(open_id=account.open_id, **values))

    @staticmethod
    def _account(row: Any) -> TikTokAccount:
        return TikTokAccount(
            open_id=row["open_id"], display_name=row["display_name"], username=row["username"],
            avatar_url=row["avatar_url"], union_id=row["union_id"], is_verified=row["is_verified"],
            follower_count=row["follower_count"], region=row["region"], account_type=row["account_type"],
        )

    # --- links --------------------------------------------------------------------------------------------

    def insert_link(self, shop_id: str, open_id: str, role: Role, scopes: Sequence[str], *,
                    conn: Connection | None = None) -> int:
        """Store a new active link, after re-checking Seller Center's rules inside this transaction.

        The shop's row is locked first (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite's writers already hold the
        database's write lock from ``BEGIN IMMEDIATE``), so two processes adding links to one shop take turns
        and the second sees the first's link: the role limits (one Official, at most four Marketing, never both
        roles for one account) hold under concurrency, not only in the check made before consent.

        Raises:
            RuleViolation: A rule refuses the link (its reason code, e.g. ``marketing_limit_reached``); the
                transaction is rolled back.
            LinkError: The shop is not in the registry (``shop_not_connected``).
        """
        with self._maybe(conn) as c:
            shop_row = c.execute(sa.select(shops).where(shops.c.id == shop_id).with_for_update()).mappings().first()
            account_row = c.execute(sa.select(accounts).where(accounts.c.open_id == open_id)).mappings().first()
            if shop_row is None:
                raise LinkError("This shop is not connected to linkkit.", reason="shop_not_connected")
            if account_row is None:
                raise LinkError("This TikTok account is not in the registry.", reason="link_not_found")
            active = self.active_links_touching(shop_id, open_id, conn=c)
            violations = rules.check_candidate(self._shop(shop_row), active, self._account(account_row), role)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
            result = c.execute(links.insert().values(
                shop_id=shop_id, account_open_id=open_id, role=role.value, created_at=self._now(),
                scopes=",".join(sorted(scopes)),
            ))
            return new_id(result)

    def update_link(self, link_id: int, *, conn: Connection | None = None, **values: Any) -> None:
        allowed = {"linked_at", "unlinked_at", "last_verified_at", "scopes", "binding_evidence", "account_open_id"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if "scopes" in values and not isinstance(values["scopes"], str):
            values["scopes"] = ",".join(sorted(values["scopes"]))
        with self._maybe(conn) as c:
            c.execute(links.update().where(links.c.id == link_id).values(**values))

    def reauthorize_link(self, link_id: int, open_id: str, scopes: Sequence[str], *, conn: Connection) -> bool:
        """Record a repair's new consent on an active link (one statement); ``False`` when it is not active.

        A link imported from Seller Center (known by username only) becomes authorized by ``open_id``.
        """
        imported = links.c.binding_evidence == EVIDENCE_IMPORTED
        done = conn.execute(links.update().where(links.c.id == link_id, links.c.unlinked_at.is_(None)).values(
            scopes=",".join(sorted(scopes)),
            account_open_id=sa.case((imported, open_id), else_=links.c.account_open_id),
            binding_evidence=sa.case((imported, "seller_center"), else_=links.c.binding_evidence),
        ))
        return done.rowcount == 1

    def link(self, link_id: int, *, with_checks: bool = True, conn: Connection | None = None) -> Link | None:
        """One link (``with_checks=False``: one query, its ``status`` and ``checks`` not filled in — for rules
        and ownership, never to show a person)."""
        found = self._links(links.c.id == link_id, with_checks=with_checks, conn=conn)
        return found[0] if found else None

    def links(self, shop_id: str | None = None, *, include_unlinked: bool = False,
              open_id: str | None = None, conn: Connection | None = None) -> list[Link]:
        clauses = []
        if shop_id is not None:
            clauses.append(links.c.shop_id == shop_id)
        if open_id is not None:
            clauses.append(links.c.account_open_id == open_id)
        if not include_unlinked:
            clauses.append(links.c.unlinked_at.is_(None))
        return self._links(*clauses, conn=conn)

    def active_links_touching(self, shop_id: str, open_id: str | None = None, *,
                              conn: Connection | None = None) -> list[Link]:
        """The active links of the shop and of the account (anywhere; no account: the shop's only): what Seller
        Center's rules look at.

        One query, without the links' checks: the rules read roles, accounts and link times only, so the
        returned links' ``status`` and ``checks`` are not filled in (never show these links to a person).
        """
        touching = links.c.shop_id == shop_id
        if open_id is not None:
            touching = sa.or_(touching, links.c.account_open_id == open_id)
        return self._links(links.c.unlinked_at.is_(None), touching, conn=conn, with_checks=False)

    def _links(self, *where: Any, conn: Connection | None = None, with_checks: bool = True) -> list[Link]:
        query = _LINKS.where(*where)
        with self._maybe_read(conn) as c:
            rows = list(c.execute(query).mappings())
            ids = [r["id"] for r in rows] if with_checks else []
            checks = self._latest_checks(c, ids)
            unavailable = self._latest_unavailable(c, ids)
        result = []
        for r in rows:
            account = self._account(r)
            link_checks_ = checks.get(r["id"], ())
            unlinked_at = as_utc(r["unlinked_at"])
            linked_at = as_utc(r["linked_at"])
            last_verified_at = as_utc(r["last_verified_at"])
            failed_at, failed_reason = unavailable.get(r["id"], (None, None))
            result.append(Link(
                id=r["id"], shop_id=r["shop_id"], account=account, role=Role(r["role"]),
                status=derive_status(unlinked_at=unlinked_at, linked_at=linked_at, checks=link_checks_,
                                     binding_evidence=r["binding_evidence"]),
                created_at=as_utc(r["created_at"]) or utc_now(), linked_at=linked_at, unlinked_at=unlinked_at,
                last_verified_at=last_verified_at,
                token_expires_at=as_utc(r["token_refresh_expires_at"]) or as_utc(r["token_expires_at"]),
                access_expires_at=as_utc(r["token_expires_at"]),
                scopes=tuple(s for s in r["scopes"].split(",") if s), binding_evidence=r["binding_evidence"],
                checks=link_checks_, last_check_failed_at=failed_at, last_check_failed_reason=failed_reason,
            ))
        return result

    @staticmethod
    def _latest_unavailable(conn: Connection, link_ids: list[int]) -> dict[int, tuple[datetime, str]]:
        """Links whose latest verification could not check (no completed run since): (when, reason code)."""
        if not link_ids:
            return {}
        kinds = (EVENT_CHECK_UNAVAILABLE, "verified", "check_failed")
        latest = (
            sa.select(sa.func.max(link_events.c.id).label("id"))
            .where(link_events.c.link_id.in_(link_ids), link_events.c.kind.in_(kinds))
            .group_by(link_events.c.link_id).subquery()
        )
        rows = conn.execute(
            sa.select(link_events.c.link_id, link_events.c.at, link_events.c.detail)
            .where(link_events.c.id.in_(sa.select(latest.c.id)), link_events.c.kind == EVENT_CHECK_UNAVAILABLE)
        ).mappings()
        return {r["link_id"]: (as_utc(r["at"]) or utc_now(), r["detail"].split(":", 1)[0]) for r in rows}

    @staticmethod
    def _latest_checks(conn: Connection, link_ids: list[int]) -> dict[int, tuple[LinkCheck, ...]]:
        if not link_ids:
            return {}
        latest = (
            sa.select(link_checks.c.link_id, sa.func.max(link_checks.c.run).label("run"))
            .where(link_checks.c.link_id.in_(link_ids)).group_by(link_checks.c.link_id).subquery()
        )
        rows = conn.execute(
            sa.select(link_checks)
            .join(latest, sa.and_(latest.c.link_id == link_checks.c.link_id, latest.c.run == link_checks.c.run))
            .order_by(link_checks.c.id)
        ).mappings()
        out: dict[int, list[LinkCheck]] = {}
        for r in rows:
            out.setdefault(r["link_id"], []).append(LinkCheck(
                link_id=r["link_id"], name=CheckName(r["name"]), ok=r["ok"], reason=r["reason"],
                detail=r["detail"], checked_at=as_utc(r["checked_at"]) or utc_now(),
            ))
        return {k: tuple(v) for k, v in out.items()}

    def record_checks(self, link_id: int, checks: Sequence[LinkCheck], *, conn: Connection | None = None) -> None:
        """Store one verification run's checks (a run is the unit status is derived from)."""
        with self._maybe(conn) as c:
            run = (c.execute(sa.select(sa.func.max(link_checks.c.run)).where(link_checks.c.link_id == link_id))
                   .scalar() or 0) + 1
            c.execute(link_checks.insert(), [
                {"link_id": link_id, "run": run, "name": ch.name.value, "ok": ch.ok, "reason": ch.reason,
                 "detail": ch.detail, "checked_at": ch.checked_at} for ch in checks
            ])

    def link_intervals(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        """Every link that Seller Center bound, with its interval — the analytics' join table."""
        query = (
            sa.select(links.c.id.label("link_id"), links.c.shop_id, shops.c.name.label("shop_name"),
                      shops.c.region, links.c.account_open_id, accounts.c.username, accounts.c.display_name,
                      links.c.role, links.c.linked_at, links.c.unlinked_at)
            .join(shops, shops.c.id == links.c.shop_id)
            .join(accounts, accounts.c.open_id == links.c.account_open_id)
            .where(links.c.linked_at.is_not(None))
            .order_by(links.c.shop_id, links.c.linked_at)
        )
        if shop_id is not None:
            query = query.where(links.c.shop_id == shop_id)
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for r in rows:
            r["linked_at"], r["unlinked_at"] = as_utc(r["linked_at"]), as_utc(r["unlinked_at"])
        return rows

    # --- events -------------------------------------------------------------------------------------------

    def add_event(self, kind: str, *, shop_id: str | None = None, link_id: int | None = None,
                  actor: str = "linkkit", detail: str = "", username: str = "", role: str = "",
                  conn: Connection | None = None) -> None:
        with self._maybe(conn) as c:
            c.execute(link_events.insert().values(
                at=self._now(), kind=kind, shop_id=shop_id, link_id=link_id, actor=actor, detail=detail,
                username=username, role=role,
            ))

    def events(self, shop_id: str | None = None, *, kinds: Sequence[str] | None = None,
               link_id: int | None = None, limit: int = 200) -> list[LinkEvent]:
        query = sa.select(link_events).order_by(link_events.c.at.desc(), link_events.c.id.desc()).limit(limit)
        if shop_id is not None:
            query = query.where(link_events.c.shop_id == shop_id)
        if kinds:
            query = query.where(link_events.c.kind.in_(list(kinds)))
        if link_id is not None:
            query = query.where(link_events.c.link_id == link_id)
        with self._read() as conn:
            return [
                LinkEvent(id=r["id"], at=as_utc(r["at"]) or utc_now(), kind=r["kind"], shop_id=r["shop_id"],
                          link_id=r["link_id"], actor=r["actor"], detail=r["detail"], username=r["username"],
                          role=r["role"])
                for r in conn.execute(query).mappings()
            ]

