"""Alembic migrations for application state."""
