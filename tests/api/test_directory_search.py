"""Directory search (issue 12): the ordered postings answer what the README's reference says, the
cursor pages through entries added meanwhile, descriptions are found below names, and the seeded
entries the issue names are found (on SQLite; tests/integration/test_directory_search_postgres.py
holds PostgreSQL to the same contract)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.directory.app import definition
from shared.db import Database
from shared.migrations import upgrade
from tests.api.helpers import shares_one_system
from tests.support import directory_search_contract as contract
from tests.support.builders import OTOFUKE_TOWN
from tests.support.tokens import bearer

pytestmark = shares_one_system

RESOURCES = "/directory/v1/resources"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}", schema="directory")
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


async def _items(client: httpx.AsyncClient, **params: str) -> list[dict]:
    response = await client.get(RESOURCES, params={**params, "limit": "200"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_b_gata_finds_the_participation_program_whose_description_names_it(client, settings) -> None:
    daisen = bearer(settings, "window_staff", tenant="052124", org="052124-city")
    response = await client.get(RESOURCES, params={"q": "B型", "limit": "200"}, headers=daisen)
    assert response.status_code == 200, response.text
    assert "参加支援事業" in [i["name"] for i in response.json()["items"]]


async def test_the_core_consultation_centre_is_found_by_what_its_description_names(client) -> None:
    for query in ("子育て", "介護"):
        names = [i["name"] for i in await _items(client, q=query)]
        assert "障がい者基幹相談支援センター" in names, query


def _ranks(items: list[dict], query: str) -> list[int]:
    """Each listed entry's rank by the reference, other text (field words too) counted as 3."""
    ranks = []
    for item in items:
        entry = contract.Entry(item["id"], item["name"], item["name_kana"], None)
        rank = entry.rank(query)
        ranks.append(3 if rank is None else rank)
    return ranks


async def test_name_matches_come_before_description_matches(client) -> None:
    ranks = _ranks(await _items(client, q="介護"), "介護")
    assert ranks == sorted(ranks)
    assert 2 in ranks and 3 in ranks


async def test_kodomo_in_a_name_ranks_as_a_name_match_however_it_is_written(client, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    for name, kana in [
        ("こども食堂ひまわり", "コドモショクドウヒマワリ"),
        ("子ども食堂あおぞら", "コドモショクドウアオゾラ"),
    ]:
        created = await client.post(
            RESOURCES,
            json={"name": name, "name_kana": kana, "kind": "community_program", "field": "children"},
            headers=editor,
        )
        assert created.status_code == 201, created.text
    for query, first in [
        ("子ども", "子ども食堂あおぞら"),
        ("こども", "こども食堂ひまわり"),
        ("ｺﾄﾞﾓ", "こども食堂ひまわり"),
    ]:
        items = await _items(client, q=query)
        ranks = _ranks(items, query)
        assert ranks == sorted(ranks), query
        # Folded as the query is: a name prefix, never "other text" (the bug was lower(name)).
        assert _ranks([i for i in items if i["name"] == first], query) == [1], query
    kodomo = _ranks(await _items(client, q="子ども"), "子ども")
    assert kodomo.count(3) < len(kodomo)  # the field words still find the children's entries, below
