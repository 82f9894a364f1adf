"""Alembic environment of intake: its own tables, its own version table."""

from services.intake.db import metadata
from shared.migrations import run_env

run_env(metadata)
