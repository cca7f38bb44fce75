"""The registry's schema history as Alembic revisions (``versions/``), applied by :meth:`linkkit.store.Store.migrate`.

The registry upgrades itself when it opens: under a lock (a PostgreSQL advisory lock held for the
transaction; SQLite's ``BEGIN IMMEDIATE``), so any number of processes may open a new or old registry at once.
Revisions use Alembic's batch mode, which SQLite needs to alter tables.

A new revision: copy the newest file in ``versions/``, bump its number, set ``down_revision``, write
``upgrade()``/``downgrade()`` with ``op.batch_alter_table`` for changes to existing tables, and raise
``linkkit.store.SCHEMA_VERSION``. Never edit a revision that has shipped.
"""
