"""The monitor's tables and all of their SQL: health events, alert deliveries, received webhooks, leases.

The tables live on the registry's own :data:`linkkit.store.metadata` and use the registry's engine, so one
database holds everything. They are created by the registry's Alembic revision ``0003``
(:mod:`linkkit.migrations`), which :class:`~linkkit.store.Store` runs on open: the schema has one path. Every statement
is portable SQLAlchemy Core (SQLite and PostgreSQL). De-duplication is done by unique keys, never by a
read-then-write race: a second monitor inserting the same health event or the same TikTok notification
hits the unique constraint and learns it lost.

Example:
    >>> import tempfile, pathlib
    >>> from cryptography.fernet import Fernet
    >>> from linkkit.crypto import TokenBox
    >>> from linkkit.store import Store
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> registry = MonitorRegistry(Store(f"sqlite:///{tmp / 'r.db'}", TokenBox(Fernet.generate_key().decode())))
    >>> registry.health_events()
    []
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from linkkit.errors import RegistryError
from linkkit.store import Store, metadata

__all__ = [
    "ACTOR",
    "HEALTH_KINDS",
    "AlertDelivery",
    "HealthEvent",
    "MonitorRegistry",
    "ReceivedWebhook",
    "ShopHealth",
]

log = logging.getLogger(__name__)

ACTOR = "monitor"
HEALTH_KINDS = ("expiring", "broken", "repaired", "deauthorized")
DELIVERY_STATUSES = ("pending", "sent", "failed", "suppressed", "digest", "digested")

UtcDateTime = sa.DateTime(timezone=True)

health_events = sa.Table(
    "monitor_health_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("shop_id", sa.String, nullable=True, index=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id"), nullable=True, index=True),
    sa.Column("reason", sa.String(64), nullable=True),  # a troubleshooting reason code
    sa.Column("detail", sa.String, nullable=False, default=""),
    sa.Column("actor", sa.String(64), nullable=False, default=ACTOR),
    sa.Column("dedupe_key", sa.String(255), nullable=False),
    sa.CheckConstraint("kind IN ('expiring', 'broken', 'repaired', 'deauthorized')", name="ck_health_kind"),
    sa.UniqueConstraint("dedupe_key", name="uq_health_dedupe"),
)

alert_deliveries = sa.Table(
    "monitor_alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("monitor_health_events.id"), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),  # dashboard | email | webhook
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True, index=True),
    sa.Column("last_error", sa.String, nullable=False, default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.Column("read_at", UtcDateTime, nullable=True),  # dashboard channel: when the seller dismissed it
    sa.CheckConstraint(
        "status IN ('pending', 'sent', 'failed', 'suppressed', 'digest', 'digested')", name="ck_delivery_status"
    ),
    sa.UniqueConstraint("event_id", "channel", name="uq_delivery_event_channel"),
)

webhooks_received = sa.Table(
    "monitor_webhooks_received",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tts_notification_id", sa.String(128), nullable=False),
    sa.Column("type", sa.Integer, nullable=True),
    sa.Column("shop_id", sa.String, nullable=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the raw body as received (TikTok's payload holds no secret)
    sa.Column("deliveries", sa.Integer, nullable=False, default=1),  # how often TikTok sent it (retries)
    sa.Column("handled_at", UtcDateTime, nullable=True),
    sa.Column("outcome", sa.String(64), nullable=True),
    sa.UniqueConstraint("tts_notification_id", name="uq_webhook_notification"),
)

leases = sa.Table(
    "monitor_leases",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("holder", sa.String(255), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

# The registry has no shop-level "deauthorized" flag (yet): the monitor keeps it here.
shop_health = sa.Table(
    "monitor_shop_health",
    metadata,
    sa.Column("shop_id", sa.String, primary_key=True),
    sa.Column("deauthorized_at", UtcDateTime, nullable=True),
    sa.Column("authorization_expires_at", UtcDateTime, nullable=True),  # from webhook type 7
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

TABLES = (health_events, alert_deliveries, webhooks_received, leases, shop_health)


@dataclass(frozen=True)
class HealthEvent:
    """A change in a link's or shop's health, raised by the monitor (never carries a secret)."""

    id: int
    at: datetime
    kind: str  # expiring | broken | repaired | deauthorized
    shop_id: str | None
    link_id: int | None
    reason: str | None
    detail: str
    actor: str


@dataclass(frozen=True)
class AlertDelivery:
    """One health event on one channel."""

    id: int
    event: HealthEvent
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True)
class ReceivedWebhook:
    """A TikTok Shop webhook, persisted before anything acts on it."""

    id: int
    tts_notification_id: str
    type: int | None
    shop_id: str | None
    received_at: datetime
    body: str
    deliveries: int
    handled_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class ShopHealth:
    """What the monitor knows about a shop's authorization beyond the registry's own columns."""

    shop_id: str
    deauthorized_at: datetime | None
    authorization_expires_at: datetime | None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _req(value: datetime | None) -> datetime:
    out = _utc(value)
    assert out is not None
    return out


class MonitorRegistry:
    """The monitor's storage, on the registry's engine.

    Args:
        store: The registry; its engine (and metadata) are shared.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def __repr__(self) -> str:
        return f"MonitorRegistry({self.store!r})"

    # --- set-up -------------------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self.store.connect(immediate=True) as conn, conn.begin():
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise RegistryError(f"The monitor could not save the change: {type(exc).__name__}") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.store.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise RegistryError(f"The monitor could not read the registry: {type(exc).__name__}") from exc

    # --- health events ------------------------------------------------------------------------------------

    def add_health_event(self, kind: str, *, dedupe_key: str, at: datetime, shop_id: str | None = None,
                         link_id: int | None = None, reason: str | None = None, detail: str = "",
                         channels: Sequence[str] = (), actor: str = ACTOR) -> HealthEvent | None:
        """Store a health event and one pending delivery per channel, together; ``None`` if a duplicate.

        ``dedupe_key`` names the fact (e.g. ``expiring:link:7:<expiry>:7d``): two monitors, or one monitor
        on two passes, raising the same fact store it once.
        """
        if kind not in HEALTH_KINDS:
            raise ValueError(f"unknown health event kind {kind!r}")
        try:
            with self._write() as conn:
                result = conn.execute(health_events.insert().values(
                    at=at, kind=kind, shop_id=shop_id, link_id=link_id, reason=reason, detail=detail, actor=actor,
                    dedupe_key=dedupe_key,
                ))
                key = result.inserted_primary_key
                assert key is not None
                event_id = int(key[0])
                if channels:
                    conn.execute(alert_deliveries.insert(), [
                        {"event_id": event_id, "channel": channel, "status": "pending", "attempts": 0,
                         "next_attempt_at": at, "last_error": "", "created_at": at} for channel in channels
                    ])
        except IntegrityError:
            return None
        return HealthEvent(event_id, at, kind, shop_id, link_id, reason, detail, actor)

    def health_events(self, *, shop_id: str | None = None, link_id: int | None = None,
                      kinds: Sequence[str] | None = None, limit: int = 500) -> list[HealthEvent]:
        """Newest first."""
        query = sa.select(health_events).order_by(health_events.c.id.desc()).limit(limit)
        if shop_id is not None:
            query = query.where(health_events.c.shop_id == shop_id)
        if link_id is not None:
            query = query.where(health_events.c.link_id == link_id)
        if kinds:
            query = query.where(health_events.c.kind.in_(list(kinds)))
        with self._read() as conn:
            return [self._event(r) for r in conn.execute(query).mappings()]

    def last_link_state_event(self, link_id: int) -> HealthEvent | None:
        """The link's newest ``broken`` or ``repaired`` event (what the monitor last said about it)."""
        found = self.health_events(link_id=link_id, kinds=("broken", "repaired"), limit=1)
        return found[0] if found else None

    def last_link_state_events(self) -> dict[int, HealthEvent]:
        """Every link's newest ``broken``/``repaired`` event, in one query (the pass reads all at once)."""
        newest = (
            sa.select(sa.func.max(health_events.c.id).label("id"))
            .where(health_events.c.kind.in_(("broken", "repaired")), health_events.c.link_id.is_not(None))
            .group_by(health_events.c.link_id).subquery()
        )
        with self._read() as conn:
            rows = conn.execute(sa.select(health_events).join(newest, newest.c.id == health_events.c.id)).mappings()
            return {int(r["link_id"]): self._event(r) for r in rows}

    @staticmethod
    def _event(row: Any) -> HealthEvent:
        return HealthEvent(id=row["id"], at=_req(row["at"]), kind=row["kind"], shop_id=row["shop_id"],
                           link_id=row["link_id"], reason=row["reason"], detail=row["detail"], actor=row["actor"])

    # --- deliveries ---------------------------------------------------------------------------------------

    def _deliveries(self, *where: Any, order: Any = None, limit: int | None = None) -> list[AlertDelivery]:
        query = (sa.select(alert_deliveries, *[c.label(f"e_{c.name}") for c in health_events.c])
                 .join(health_events, health_events.c.id == alert_deliveries.c.event_id).where(*where)
                 .order_by(order if order is not None else alert_deliveries.c.id))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            rows = list(conn.execute(query).mappings())
        out = []
        for r in rows:
            event = self._event({k[2:]: v for k, v in r.items() if k.startswith("e_")})
            out.append(AlertDelivery(
                id=r["id"], event=event, channel=r["channel"], status=r["status"], attempts=r["attempts"],
                next_attempt_at=_utc(r["next_attempt_at"]), last_error=r["last_error"], sent_at=_utc(r["sent_at"]),
                read_at=_utc(r["read_at"]),
            ))
        return out

    def deliveries(self, *, channel: str | None = None, status: str | None = None,
                   event_id: int | None = None) -> list[AlertDelivery]:
        """Deliveries, oldest first, filtered by channel, status or event."""
        where = []
        if channel is not None:
            where.append(alert_deliveries.c.channel == channel)
        if status is not None:
            where.append(alert_deliveries.c.status == status)
        if event_id is not None:
            where.append(alert_deliveries.c.event_id == event_id)
        return self._deliveries(*where)

    def due_deliveries(self, channel: str, now: datetime, limit: int = 200) -> list[AlertDelivery]:
        """Pending deliveries on ``channel`` whose next attempt is due."""
        return self._deliveries(alert_deliveries.c.channel == channel, alert_deliveries.c.status == "pending",
                                alert_deliveries.c.next_attempt_at <= now, limit=limit)

    def digest_deliveries(self, channel: str) -> list[AlertDelivery]:
        """Deliveries held for ``channel``'s next daily digest."""
        return self._deliveries(alert_deliveries.c.channel == channel, alert_deliveries.c.status == "digest")

    def sent_count_since(self, channel: str, link_id: int | None, shop_id: str | None, since: datetime) -> int:
        """How many alerts about this link (or shop-level alerts about this shop) went out on ``channel``."""
        subject = (health_events.c.link_id == link_id if link_id is not None
                   else sa.and_(health_events.c.link_id.is_(None), health_events.c.shop_id == shop_id))
        query = (sa.select(sa.func.count()).select_from(alert_deliveries)
                 .join(health_events, health_events.c.id == alert_deliveries.c.event_id)
                 .where(alert_deliveries.c.channel == channel, alert_deliveries.c.status == "sent",
                        alert_deliveries.c.sent_at >= since, subject))
        with self._read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def claim_delivery(self, delivery_id: int, attempts: int, until: datetime) -> bool:
        """Compare-and-swap: take a due delivery for one attempt (another monitor may race for it)."""
        with self._write() as conn:
            result = conn.execute(alert_deliveries.update().where(
                alert_deliveries.c.id == delivery_id, alert_deliveries.c.status == "pending",
                alert_deliveries.c.attempts == attempts,
            ).values(attempts=attempts + 1, next_attempt_at=until))
            return result.rowcount == 1

    def mark_delivery(self, delivery_id: int, status: str, *, now: datetime, error: str = "",
                      next_attempt_at: datetime | None = None) -> None:
        """Record the outcome of an attempt (``sent``, ``failed``, ``suppressed``, ``digest``, ``digested``,
        or ``pending`` with the next attempt's time)."""
        if status not in DELIVERY_STATUSES:
            raise ValueError(f"unknown delivery status {status!r}")
        values: dict[str, Any] = {"status": status, "last_error": error[:500]}
        if status in ("sent", "digested"):
            values["sent_at"] = now
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self._write() as conn:
            conn.execute(alert_deliveries.update().where(alert_deliveries.c.id == delivery_id).values(**values))

    def dashboard_alerts(self, *, shop_id: str | None = None, unread_only: bool = True) -> list[AlertDelivery]:
        """The dashboard channel's alerts, newest first (the UI's banner and Alerts list)."""
        where: list[Any] = [alert_deliveries.c.channel == "dashboard",
                            alert_deliveries.c.status.in_(("sent", "digested"))]
        if shop_id is not None:
            where.append(health_events.c.shop_id == shop_id)
        if unread_only:
            where.append(alert_deliveries.c.read_at.is_(None))
        return self._deliveries(*where, order=alert_deliveries.c.id.desc())

    def mark_read(self, delivery_id: int, now: datetime) -> None:
        """The seller dismissed a dashboard alert."""
        with self._write() as conn:
            conn.execute(alert_deliveries.update().where(alert_deliveries.c.id == delivery_id,
                                                         alert_deliveries.c.read_at.is_(None)).values(read_at=now))

    # --- received webhooks --------------------------------------------------------------------------------

    def save_webhook(self, notification_id: str, *, type_: int | None, shop_id: str | None, body: str,
                     now: datetime) -> int | None:
        """Persist a webhook; returns its row id, or ``None`` when TikTok re-sent one already received."""
        try:
            with self._write() as conn:
                result = conn.execute(webhooks_received.insert().values(
                    tts_notification_id=notification_id, type=type_, shop_id=shop_id, received_at=now, body=body,
                    deliveries=1,
                ))
                key = result.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:
            with self._write() as conn:
                conn.execute(webhooks_received.update()
                             .where(webhooks_received.c.tts_notification_id == notification_id)
                             .values(deliveries=webhooks_received.c.deliveries + 1))
            return None

    def claim_webhook(self, webhook_id: int, now: datetime) -> bool:
        """Take a received webhook for handling, exactly once (compare-and-swap on ``handled_at``)."""
        with self._write() as conn:
            result = conn.execute(webhooks_received.update().where(
                webhooks_received.c.id == webhook_id, webhooks_received.c.handled_at.is_(None),
            ).values(handled_at=now, outcome="handling"))
            return result.rowcount == 1

    def finish_webhook(self, webhook_id: int, outcome: str) -> None:
        with self._write() as conn:
            conn.execute(webhooks_received.update().where(webhooks_received.c.id == webhook_id)
                         .values(outcome=outcome[:64]))

    def release_webhook(self, webhook_id: int) -> None:
        """Give a webhook back (handling failed before it could act); the next pass retries it."""
        with self._write() as conn:
            conn.execute(webhooks_received.update().where(webhooks_received.c.id == webhook_id)
                         .values(handled_at=None, outcome=None))

    def unhandled_webhooks(self, limit: int = 500) -> list[ReceivedWebhook]:
        query = (sa.select(webhooks_received).where(webhooks_received.c.handled_at.is_(None))
                 .order_by(webhooks_received.c.id).limit(limit))
        with self._read() as conn:
            return [self._webhook(r) for r in conn.execute(query).mappings()]

    def webhooks(self) -> list[ReceivedWebhook]:
        with self._read() as conn:
            return [self._webhook(r) for r in
                    conn.execute(sa.select(webhooks_received).order_by(webhooks_received.c.id)).mappings()]

    def webhook(self, webhook_id: int) -> ReceivedWebhook | None:
        with self._read() as conn:
            row = conn.execute(sa.select(webhooks_received).where(webhooks_received.c.id == webhook_id)
                               ).mappings().first()
        return self._webhook(row) if row else None

    @staticmethod
    def _webhook(row: Any) -> ReceivedWebhook:
        return ReceivedWebhook(
            id=row["id"], tts_notification_id=row["tts_notification_id"], type=row["type"], shop_id=row["shop_id"],
            received_at=_req(row["received_at"]), body=row["body"], deliveries=row["deliveries"],
            handled_at=_utc(row["handled_at"]), outcome=row["outcome"],
        )

    # --- shop health --------------------------------------------------------------------------------------

    def shop_health(self, shop_id: str) -> ShopHealth | None:
        with self._read() as conn:
            row = conn.execute(sa.select(shop_health).where(shop_health.c.shop_id == shop_id)).mappings().first()
        if row is None:
            return None
        return ShopHealth(row["shop_id"], _utc(row["deauthorized_at"]), _utc(row["authorization_expires_at"]))

    def all_shop_health(self) -> dict[str, ShopHealth]:
        with self._read() as conn:
            rows = conn.execute(sa.select(shop_health)).mappings()
            return {r["shop_id"]: ShopHealth(r["shop_id"], _utc(r["deauthorized_at"]),
                                             _utc(r["authorization_expires_at"])) for r in rows}

    def set_shop_health(self, shop_id: str, now: datetime, **values: Any) -> None:
        """Upsert ``deauthorized_at`` and/or ``authorization_expires_at`` for a shop."""
        allowed = {"deauthorized_at", "authorization_expires_at"}
        if set(values) - allowed:
            raise ValueError(f"cannot set {sorted(set(values) - allowed)}")
        with self._write() as conn:
            found = conn.execute(sa.select(shop_health.c.shop_id).where(shop_health.c.shop_id == shop_id)).first()
            if found:
                conn.execute(shop_health.update().where(shop_health.c.shop_id == shop_id)
                             .values(updated_at=now, **values))
            else:
                conn.execute(shop_health.insert().values(shop_id=shop_id, updated_at=now, **values))

    # --- leases -------------------------------------------------------------------------------------------

    def try_lease(self, name: str, holder: str, *, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease ``name`` until ``until`` if it is free, expired or already ours.

        Portable compare-and-swap: read the row's version, then ``UPDATE … WHERE version = :seen AND
        (expires_at <= :now OR holder = :me)``; exactly one of several racing monitors matches. A missing row
        is created by INSERT, where the primary key decides the race.
        """
        with self._read() as conn:
            row = conn.execute(sa.select(leases).where(leases.c.name == name)).mappings().first()
        if row is None:
            try:
                with self._write() as conn:
                    conn.execute(leases.insert().values(name=name, holder=holder, expires_at=until, version=1))
                return True
            except IntegrityError:
                return False
        if row["holder"] != holder and _req(row["expires_at"]) > now:
            return False
        with self._write() as conn:
            result = conn.execute(leases.update().where(
                leases.c.name == name, leases.c.version == row["version"],
                sa.or_(leases.c.expires_at <= now, leases.c.holder == holder),
            ).values(holder=holder, expires_at=until, version=row["version"] + 1))
            return result.rowcount == 1

    def hold_lease(self, name: str, holder: str, until: datetime) -> bool:
        """Move our lease's expiry (renew while working, or keep it until the job is next due)."""
        with self._write() as conn:
            result = conn.execute(leases.update().where(leases.c.name == name, leases.c.holder == holder)
                                  .values(expires_at=until, version=leases.c.version + 1))
            return result.rowcount == 1

    def release_lease(self, name: str, holder: str, now: datetime) -> None:
        """Let the lease go now (the job failed and another instance may retry at once)."""
        self.hold_lease(name, holder, now)

    def lease(self, name: str) -> tuple[str, datetime, int] | None:
        """``(holder, expires_at, version)`` of a lease, for tests and ``status``."""
        with self._read() as conn:
            row = conn.execute(sa.select(leases).where(leases.c.name == name)).mappings().first()
        return (row["holder"], _req(row["expires_at"]), row["version"]) if row else None

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                    for t in TABLES}
