"""Alembic environment of coordination: its own tables, its own version table."""

from services.coordination.db import metadata
from shared.migrations import run_env

run_env(metadata)
