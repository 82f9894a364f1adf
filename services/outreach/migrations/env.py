"""Alembic environment of outreach: its own tables, its own version table."""

from services.outreach.db import metadata
from shared.migrations import run_env

run_env(metadata)
