"""Directory search on PostgreSQL: the same contract as on SQLite (tests/api/test_directory_search.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.directory.app import definition
from shared.db import Database
from shared.migrations import upgrade
from tests.support import directory_search_contract as contract


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, schema="directory")
    await upgrade(database, definition.migrations)
    try:
        yield database
    finally:
        await database.dispose()


async def test_search_matches_the_reference_on_generated_entries(db: Database) -> None:
    await contract.assert_search_matches_the_reference(db)


async def test_an_edit_moves_the_postings_and_retiring_removes_them(db: Database) -> None:
    await contract.assert_edits_move_the_postings(db)


async def test_the_cursor_neither_repeats_nor_skips_while_entries_are_added(db: Database) -> None:
    await contract.assert_the_cursor_neither_repeats_nor_skips(db)
