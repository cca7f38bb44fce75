"""Alembic's environment for the registry: runs on the connection (and transaction) the registry passes in."""

from __future__ import annotations

from alembic import context

from linkkit.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI by hand
    raise RuntimeError("Run migrations through linkkit.store.Store (it takes the migration lock).")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table instead
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
