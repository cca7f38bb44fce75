"""Encrypted tokens with refresh leases, grants held for a completion, and the revocation outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linkkit.models import (
    Provider,
)
from linkkit.store.base import StoreBase
from linkkit.store.database import as_utc, foreign_key_error, new_id, utc_now
from linkkit.store.schema import (
    accounts,
    pending,
    revocation_outbox,
    tokens,
)


@dataclass(frozen=True)
class StoredToken:
    """A decrypted token pair, handed only to TikTok clients. Its repr hides the secrets."""

    provider: Provider
    subject: str
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    version: int
    lease_holder: str | None = None
    lease_until: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"StoredToken(provider={self.provider.value!r}, subject={self.subject!r}, "
            f"expires_at={self.expires_at.isoformat()}, access_token=<hidden>, refresh_token=<hidden>)"
        )


@dataclass(frozen=True)
class DueRevocation:
    """An outbox row due for TikTok's revoke endpoint. Its repr hides the token."""

    id: int
    provider: Provider
    subject: str
    access_token: str
    attempts: int
    in_use: bool  # the account is still connected through linkkit: drop the row, never revoke
    stored: str  # the row's ciphertext: with ``id``, it names this very row

    def __repr__(self) -> str:
        return (f"DueRevocation(id={self.id}, provider={self.provider.value!r}, subject={self.subject!r}, "
                f"attempts={self.attempts}, in_use={self.in_use}, access_token=<hidden>)")


class SecretsMixin(StoreBase):
    """Encrypted tokens with refresh leases, grants held for a completion, and the revocation outbox."""

    # --- tokens -------------------------------------------------------------------------------------------

    def save_token(self, provider: Provider, subject: str, *, access_token: str, refresh_token: str,
                   expires_at: datetime, refresh_expires_at: datetime | None, scopes: Sequence[str],
                   conn: Connection | None = None) -> None:
        values = {
            "access_token": self._box.encrypt(access_token), "refresh_token": self._box.encrypt(refresh_token),
            "expires_at": expires_at, "refresh_expires_at": refresh_expires_at,
            "scopes": ",".join(sorted(scopes)), "updated_at": self._now(), "key_fp": self._box.fingerprint,
            "lease_holder": None, "lease_until": None,  # a new grant ends any refresh lease
        }
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        with self._maybe(conn) as c:
            self._check_keys(c)  # never mix keys: another process's key wrote here since we started
            updated = c.execute(tokens.update().where(where).values(version=tokens.c.version + 1, **values))
            if updated.rowcount == 0:
                c.execute(tokens.insert().values(provider=provider.value, subject=subject, version=1, **values))

    def token(self, provider: Provider, subject: str, *, conn: Connection | None = None) -> StoredToken | None:
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        with self._maybe_read(conn) as c:
            row = c.execute(sa.select(tokens).where(where)).mappings().first()
        if row is None:
            return None
        if row["key_fp"] is not None and row["key_fp"] not in self._box.fingerprints:
            raise foreign_key_error([row["key_fp"]], self._box.fingerprints)
        return StoredToken(
            provider=provider, subject=subject, access_token=self._box.decrypt(row["access_token"]),
            refresh_token=self._box.decrypt(row["refresh_token"]), expires_at=as_utc(row["expires_at"]) or utc_now(),
            refresh_expires_at=as_utc(row["refresh_expires_at"]),
            scopes=tuple(s for s in row["scopes"].split(",") if s), version=row["version"],
            lease_holder=row["lease_holder"], lease_until=as_utc(row["lease_until"]),
        )

    def delete_token(self, provider: Provider, subject: str, *, conn: Connection | None = None) -> None:
        with self._maybe(conn) as c:
            c.execute(tokens.delete().where(sa.and_(tokens.c.provider == provider.value,
                                                     tokens.c.subject == subject)))

    def lease_token(self, provider: Provider, subject: str, *, version: int, holder: str,
                    ttl: timedelta) -> bool:
        """Take the refresh lease on a token still at ``version``, unless someone holds a live one.

        One short write transaction, a compare-and-swap: the row changes only if its version is ``version`` and
        its lease is free or lapsed (an expired lease is taken over). On PostgreSQL a concurrent taker blocks on
        the row, then re-checks the condition against the committed row, so exactly one wins.

        Returns:
            Whether ``holder`` now holds the lease until ``ttl`` from now (the registry's clock).
        """
        now = self._now().astimezone(UTC)
        free = sa.or_(tokens.c.lease_until.is_(None), tokens.c.lease_until <= now)
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.version == version, free)
        with self._write() as c:
            taken = c.execute(tokens.update().where(where).values(lease_holder=holder, lease_until=now + ttl))
        return taken.rowcount == 1

    def store_successor(self, provider: Provider, subject: str, *, version: int, access_token: str,
                        refresh_token: str, expires_at: datetime, refresh_expires_at: datetime | None,
                        scopes: Sequence[str], conn: Connection | None = None) -> bool:
        """Store a refreshed pair if the token is still at ``version`` (compare-and-swap); ends the lease.

        Returns:
            Whether the successor was stored (``False``: the row moved or is gone; nothing was written).
        """
        values = {
            "access_token": self._box.encrypt(access_token), "refresh_token": self._box.encrypt(refresh_token),
            "expires_at": expires_at, "refresh_expires_at": refresh_expires_at,
            "scopes": ",".join(sorted(scopes)), "updated_at": self._now(), "key_fp": self._box.fingerprint,
            "lease_holder": None, "lease_until": None, "version": version + 1,
        }
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.version == version)
        with self._maybe(conn) as c:
            self._check_keys(c)  # never mix keys: another process's key wrote here since we started
            stored = c.execute(tokens.update().where(where).values(**values))
        return stored.rowcount == 1

    def release_lease(self, provider: Provider, subject: str, *, holder: str) -> None:
        """End ``holder``'s refresh lease (a no-op when it lapsed and someone else took it)."""
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.lease_holder == holder)
        with self._write() as c:
            c.execute(tokens.update().where(where).values(lease_holder=None, lease_until=None))

    def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the newest key; returns how many rows changed."""
        count = 0
        with self._write() as conn:
            for row in list(conn.execute(sa.select(tokens.c.id, tokens.c.access_token, tokens.c.refresh_token))):
                conn.execute(tokens.update().where(tokens.c.id == row.id).values(
                    access_token=self._box.rotate(row.access_token),
                    refresh_token=self._box.rotate(row.refresh_token), key_fp=self._box.fingerprint))
                count += 1
            for prow in list(conn.execute(sa.select(pending.c.id, pending.c.code_verifier)
                                          .where(pending.c.code_verifier.is_not(None)))):
                conn.execute(pending.update().where(pending.c.id == prow.id).values(
                    code_verifier=self._box.rotate(prow.code_verifier), key_fp=self._box.fingerprint))
                count += 1
            for orow in list(conn.execute(sa.select(revocation_outbox.c.id, revocation_outbox.c.access_token))):
                conn.execute(revocation_outbox.update().where(revocation_outbox.c.id == orow.id).values(
                    access_token=self._box.rotate(orow.access_token), key_fp=self._box.fingerprint))
                count += 1
        return count

    # --- revocation outbox --------------------------------------------------------------------------------

    def hold_grant(self, provider: Provider, subject: str, access_token: str, pending_id: int) -> int:
        """Record a grant just obtained for ``pending_id`` before anything else happens (its own commit).

        The row is *held* (not due): the commit that stores the link deletes it (:meth:`release_held`); any
        other end of the authorization makes it due (:meth:`revoke_held`, :meth:`resolve_claim`).
        """
        with self._write() as conn:
            self._check_keys(conn)
            result = conn.execute(revocation_outbox.insert().values(
                provider=provider.value, subject=subject, access_token=self._box.encrypt(access_token),
                key_fp=self._box.fingerprint, reason="held", pending_id=pending_id, created_at=self._now(),
                due_at=None, attempts=0))
            return new_id(result)

    def release_held(self, pending_id: int, *, conn: Connection) -> None:
        """The grant held for ``pending_id`` is now a stored token: forget the held row (same transaction)."""
        conn.execute(revocation_outbox.delete().where(revocation_outbox.c.pending_id == pending_id,
                                                      revocation_outbox.c.due_at.is_(None)))

    def revoke_held(self, pending_id: int, reason: str, *, conn: Connection) -> None:
        """The authorization ended without a link: its held grant becomes due for revocation."""
        conn.execute(revocation_outbox.update().where(
            revocation_outbox.c.pending_id == pending_id, revocation_outbox.c.due_at.is_(None)
        ).values(due_at=self._now(), reason=reason))

    def retire_token(self, provider: Provider, subject: str, reason: str, *, conn: Connection) -> bool:
        """Move the stored token of ``subject`` into the outbox (due now) inside ``conn``'s transaction.

        The token row is locked and read in this transaction (a refresh that rotated it first is seen), copied
        as ciphertext into a "revoke this grant" row and deleted, so the registry change and the revocation
        commit together. Returns whether there was a token.
        """
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        row = conn.execute(sa.select(tokens.c.access_token, tokens.c.key_fp).where(where).with_for_update()
                           ).first()
        if row is None:
            return False
        conn.execute(revocation_outbox.insert().values(
            provider=provider.value, subject=subject, access_token=row.access_token, key_fp=row.key_fp,
            reason=reason, pending_id=None, created_at=self._now(), due_at=self._now(), attempts=0))
        conn.execute(tokens.delete().where(where))
        return True

    def lock_account(self, open_id: str, *, conn: Connection) -> None:
        """Serialise changes to one account's links and token (PostgreSQL row lock; SQLite's writers already
        hold the database's write lock)."""
        if conn.dialect.name != "sqlite":  # SQLite has no row locks and needs none: BEGIN IMMEDIATE serialises
            conn.execute(sa.select(accounts.c.open_id).where(accounts.c.open_id == open_id).with_for_update())

    def due_revocations(self, now: datetime, *, limit: int = 50) -> list[DueRevocation]:
        """Outbox rows due at ``now`` (token decrypted), each saying whether its account is still connected.

        Revoking disconnects the app from the account as a whole, so an account linkkit still needs — it has a
        stored token, or an authorization in flight holds a grant of it — must not be revoked (``in_use``).
        """
        other = revocation_outbox.alias("other")
        in_use = sa.or_(
            sa.exists().where(tokens.c.provider == revocation_outbox.c.provider,
                              tokens.c.subject == revocation_outbox.c.subject),
            sa.exists().where(other.c.provider == revocation_outbox.c.provider,
                              other.c.subject == revocation_outbox.c.subject, other.c.due_at.is_(None)),
        )
        with self._read() as conn:
            rows = conn.execute(sa.select(revocation_outbox, in_use.label("in_use")).where(
                revocation_outbox.c.due_at.is_not(None), revocation_outbox.c.due_at <= now,
            ).order_by(revocation_outbox.c.due_at, revocation_outbox.c.id).limit(limit)).mappings().all()
        out = []
        for r in rows:
            if r["key_fp"] is not None and r["key_fp"] not in self._box.fingerprints:
                raise foreign_key_error([r["key_fp"]], self._box.fingerprints)
            out.append(DueRevocation(r["id"], Provider(r["provider"]), r["subject"],
                                     self._box.decrypt(r["access_token"]), r["attempts"], bool(r["in_use"]),
                                     r["access_token"]))
        return out

    @staticmethod
    def _this_row(row: DueRevocation) -> Any:
        # The id alone is not enough: SQLite hands the largest id out again once its row is deleted, so after
        # another process revoked and deleted this row, a new row (another authorization's held grant) may
        # carry the same id. The ciphertext (fresh IV per encryption) tells them apart.
        return sa.and_(revocation_outbox.c.id == row.id, revocation_outbox.c.access_token == row.stored)

    def revocation_done(self, row: DueRevocation) -> None:
        """TikTok confirmed the revoke, or the row's account is still connected (no revoke): the row goes."""
        with self._write() as conn:
            conn.execute(revocation_outbox.delete().where(self._this_row(row)))

    def revocation_failed(self, row: DueRevocation, reason: str, retry_at: datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        with self._write() as conn:
            conn.execute(revocation_outbox.update().where(self._this_row(row)).values(
                attempts=revocation_outbox.c.attempts + 1, last_error=reason, due_at=retry_at))

    def outbox(self) -> list[dict[str, Any]]:
        """Every outbox row without its secret (status, tests, the monitor)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(*(c for c in revocation_outbox.c if c.name != "access_token"))
                                .order_by(revocation_outbox.c.id)).mappings().all()
        return [dict(r) for r in rows]

