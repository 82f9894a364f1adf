"""Alembic environment of directory: its own tables, its own version table."""

from services.directory.db import metadata
from shared.migrations import run_env

run_env(metadata)
