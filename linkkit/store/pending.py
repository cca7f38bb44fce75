"""Pending authorizations: minted, claimed once, resolved, purged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linkkit.crypto import hash_secret
from linkkit.models import (
    PendingAuthorization,
    Provider,
    Role,
)
from linkkit.store.base import StoreBase
from linkkit.store.database import as_utc, new_id, utc_now
from linkkit.store.schema import (
    links,
    pending,
    revocation_outbox,
)


class PendingMixin(StoreBase):
    """Pending authorizations: minted, claimed once, resolved, purged."""

    # --- pending authorizations ---------------------------------------------------------------------------

    def add_pending(self, *, provider: Provider, state: str, code_verifier: str | None, shop_id: str | None,
                    role: Role | None, redirect_uri: str, expires_at: datetime, link_id: int | None = None,
                    expected_username: str | None = None, replace: bool = False,
                    conn: Connection | None = None) -> int:
        with self._maybe(conn) as conn:
            if code_verifier:
                self._check_keys(conn)
            result = conn.execute(pending.insert().values(
                provider=provider.value, state_hash=hash_secret(state),
                code_verifier=self._box.encrypt(code_verifier) if code_verifier else None,
                key_fp=self._box.fingerprint if code_verifier else None,
                shop_id=shop_id, role=role.value if role else None, redirect_uri=redirect_uri,
                created_at=self._now(), expires_at=expires_at, link_id=link_id,
                expected_username=expected_username, replace=replace,
            ))
            return new_id(result)

    def pending(self, pending_id: int) -> PendingAuthorization | None:
        with self._read() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id)).mappings().first()
        return self._pending(row) if row else None

    def claim_pending(self, state: str, now: datetime) -> tuple[PendingAuthorization, str | None, bool] | str:
        """Mark the pending authorization for ``state`` used, exactly once.

        Returns ``(record, code_verifier, replace)`` or a reason code: ``state_mismatch`` (unknown),
        ``authorization_reused`` (already used), ``authorization_abandoned`` (its completion was interrupted and
        resolved) or ``authorization_expired``. The claim is one UPDATE guarded
        by ``used_at IS NULL``, so two kernels racing on one callback cannot both win.
        """
        state_hash = hash_secret(state)
        with self._write() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.state_hash == state_hash)).mappings().first()
            if row is None:
                return "state_mismatch"
            if row["used_at"] is not None:  # an interrupted one says so (it never completed)
                abandoned = row["outcome"] == "authorization_abandoned"
                return "authorization_abandoned" if abandoned else "authorization_reused"
            if (as_utc(row["expires_at"]) or now) <= now:
                conn.execute(pending.update().where(pending.c.id == row["id"])
                             .values(used_at=now, outcome="authorization_expired"))
                return "authorization_expired"
            claimed = conn.execute(pending.update()
                                   .where(sa.and_(pending.c.id == row["id"], pending.c.used_at.is_(None)))
                                   .values(used_at=now))
            if claimed.rowcount != 1:
                return "authorization_reused"
            verifier = self._box.decrypt(row["code_verifier"]) if row["code_verifier"] else None
            record = self._pending({**row, "used_at": now})
            return record, verifier, bool(row["replace"])

    def finish_pending(self, pending_id: int, outcome: str, result_link_id: int | None = None, *,
                       conn: Connection | None = None) -> None:
        """Record the outcome of a claimed authorization (inside ``conn``'s transaction when given)."""
        with self._maybe(conn) as c:
            c.execute(pending.update().where(pending.c.id == pending_id)
                         .values(outcome=outcome, result_link_id=result_link_id, code_verifier=None, key_fp=None))

    def stale_claims(self, now: datetime) -> list[PendingAuthorization]:
        """Claimed authorizations with no outcome whose time is up: the process completing them died."""
        with self._read() as conn:
            rows = conn.execute(sa.select(pending).where(
                pending.c.used_at.is_not(None), pending.c.outcome.is_(None), pending.c.expires_at <= now,
            ).order_by(pending.c.id)).mappings().all()
        return [self._pending(r) for r in rows]

    def resolve_claim(self, pending_id: int, now: datetime) -> PendingAuthorization | None:
        """End a dead claim with what was actually stored, in one transaction.

        The commit that stores a link also records the outcome and deletes the held grant, so a dead claim is
        checked against the registry: an active link of the pending's shop and role, for the held grant's
        account, created after the authorization began → ``ok`` with that link (its held row is forgotten);
        otherwise ``authorization_abandoned`` and the held grant becomes due for revocation. Returns the
        resolved record, or ``None`` when another process resolved it first.
        """
        with self._write() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id).with_for_update()
                               ).mappings().first()
            if row is None or row["used_at"] is None or row["outcome"] is not None:
                return None
            held = sa.and_(revocation_outbox.c.pending_id == pending_id, revocation_outbox.c.due_at.is_(None))
            subjects = [s for (s,) in conn.execute(sa.select(revocation_outbox.c.subject).where(held))]
            link_id = None
            if subjects and row["shop_id"]:
                link_id = conn.execute(sa.select(links.c.id).where(
                    links.c.shop_id == row["shop_id"], links.c.role == row["role"],
                    links.c.account_open_id.in_(subjects), links.c.unlinked_at.is_(None),
                    links.c.created_at >= row["created_at"]).limit(1)).scalar()
            outcome = "ok" if link_id is not None else "authorization_abandoned"
            conn.execute(pending.update().where(pending.c.id == pending_id).values(
                outcome=outcome, result_link_id=link_id, code_verifier=None, key_fp=None))
            if link_id is not None:
                conn.execute(revocation_outbox.delete().where(held))
            else:
                conn.execute(revocation_outbox.update().where(held)
                             .values(due_at=now, reason="authorization_abandoned"))
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id)).mappings().first()
        return self._pending(row)

    def purge_pending(self, before: datetime) -> int:
        """Delete pending authorizations that expired before ``before`` and are not a live claim; returns how
        many. (A claimed one without outcome is resolved first, by :meth:`resolve_claim`.)"""
        with self._write() as conn:
            done = sa.or_(pending.c.used_at.is_(None), pending.c.outcome.is_not(None))
            result = conn.execute(pending.delete().where(pending.c.expires_at < before, done))
            return int(result.rowcount or 0)

    @staticmethod
    def _pending(row: Any) -> PendingAuthorization:
        return PendingAuthorization(
            id=row["id"], provider=Provider(row["provider"]), shop_id=row["shop_id"],
            role=Role(row["role"]) if row["role"] else None, redirect_uri=row["redirect_uri"],
            created_at=as_utc(row["created_at"]) or utc_now(), expires_at=as_utc(row["expires_at"]) or utc_now(),
            used_at=as_utc(row["used_at"]), link_id=row["link_id"], expected_username=row["expected_username"],
            outcome=row["outcome"], result_link_id=row["result_link_id"],
        )

