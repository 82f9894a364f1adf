"""Alembic environment of participation: its own tables, its own version table."""

from services.participation.db import metadata
from shared.migrations import run_env

run_env(metadata)
