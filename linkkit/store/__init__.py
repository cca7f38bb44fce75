"""The registry: shops, TikTok accounts, links, checks, events, encrypted tokens, pending authorizations.

SQLAlchemy Core on SQLite by default (WAL mode), PostgreSQL with another URL. This is the only module that
writes SQL. Rules that must never break are database constraints too: one active Official link per shop, one
active link per (shop, account). Every write is a transaction. Storing a new link re-checks Seller Center's
slot rules (:func:`linkkit.rules.check_candidate`) inside that transaction, serialised per shop, so processes
racing for the last slot cannot all win.

The schema is versioned with Alembic (:mod:`linkkit.migrations`); the registry upgrades itself on open, under a
lock. Each stored secret records the fingerprint of the key that encrypted it: a process whose
``LINKKIT_SECRET_KEY`` cannot decrypt the registry is refused with one :class:`~linkkit.errors.ConfigError`.
A SQLite registry file is private to its owner (mode 0600). Database URLs are shown only through
:func:`mask_url`.

Example:
    >>> import tempfile, pathlib
    >>> from cryptography.fernet import Fernet
    >>> from linkkit.crypto import TokenBox
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> store = Store(f"sqlite:///{tmp / 'r.db'}", TokenBox(Fernet.generate_key().decode()))
    >>> store.schema_version()
    6
    >>> mask_url("postgresql+psycopg://linkkit:hunter2@db.example:5432/linkkit")
    'postgresql+psycopg://linkkit:***@db.example:5432/linkkit'
"""

from __future__ import annotations

from linkkit.store.access import MEMBER, OWNER, AccessMixin, ShopAccess
from linkkit.store.base import StoreBase
from linkkit.store.credentials import DueRevocation, SecretsMixin, StoredToken
from linkkit.store.database import RegistryAuthFailed, RegistryMissing, RegistryUnreachable, mask_url
from linkkit.store.pending import PendingMixin
from linkkit.store.records import RecordsMixin
from linkkit.store.schema import (
    SCHEMA_VERSION,
    accounts,
    link_checks,
    link_events,
    links,
    metadata,
    pending,
    revocation_outbox,
    shop_access,
    shops,
    tokens,
)

__all__ = [
    "MEMBER",
    "OWNER",
    "SCHEMA_VERSION",
    "DueRevocation",
    "Registry",
    "RegistryAuthFailed",
    "RegistryMissing",
    "RegistryUnreachable",
    "ShopAccess",
    "Store",
    "StoredToken",
    "accounts",
    "link_checks",
    "link_events",
    "links",
    "mask_url",
    "metadata",
    "pending",
    "revocation_outbox",
    "shop_access",
    "shops",
    "tokens",
]


class Store(RecordsMixin, AccessMixin, SecretsMixin, PendingMixin, StoreBase):
    """The registry database.

    One class over five rooms: :class:`~linkkit.store.base.StoreBase` (engine, migrations, transactions, the
    key check), :class:`~linkkit.store.records.RecordsMixin` (shops, accounts, links, checks, events),
    :class:`~linkkit.store.access.AccessMixin` (shops' owners and members),
    :class:`~linkkit.store.credentials.SecretsMixin` (tokens, leases, held grants, the revocation outbox) and
    :class:`~linkkit.store.pending.PendingMixin` (pending authorizations). See ``StoreBase`` for the
    constructor's arguments and errors.
    """


#: The registry port (design §2) is today's Store.
Registry = Store
