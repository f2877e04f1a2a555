"""Alembic migrations: one linear history, run by `pdex migrate` and on `pdex serve`."""
