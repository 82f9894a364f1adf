"""The reliability revisions' data steps on SQLite (tests/integration/test_data_migrations_postgres.py
runs the same on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from shared.db import Database
from tests.support import data_migrations


async def test_duplicate_open_referrals_are_settled_before_the_unique_index(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'intake.sqlite'}", schema="intake")
    try:
        await data_migrations.duplicate_open_referrals_are_settled_before_the_unique_index(db)
    finally:
        await db.dispose()


async def test_a_withdrawal_on_one_case_reaches_every_case_of_its_consent(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'coordination.sqlite'}", schema="coordination")
    try:
        await data_migrations.a_withdrawal_known_on_one_case_is_applied_to_every_case_of_its_consent(db)
    finally:
        await db.dispose()


async def test_the_referring_window_becomes_the_first_party_of_each_case(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'coordination.sqlite'}", schema="coordination")
    try:
        await data_migrations.the_referring_window_becomes_the_first_party_of_each_case(db)
    finally:
        await db.dispose()


async def test_the_existing_directory_entries_get_their_postings(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'directory.sqlite'}", schema="directory")
    try:
        await data_migrations.the_existing_entries_get_their_postings(db)
    finally:
        await db.dispose()
