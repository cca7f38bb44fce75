"""Alembic revisions of the registry schema, oldest first (a package so the files ship in the wheel)."""
