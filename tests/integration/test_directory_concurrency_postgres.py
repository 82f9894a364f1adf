"""The directory's If-Match writes under real concurrency on PostgreSQL: of N edits (or retirements)
holding one ETag at the same moment, one goes through, the rest get 412, and one event leaves."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.directory.db import messaging
from services.directory.districts import service as districts
from services.directory.districts.schemas import GazetteerIn
from services.embedded import create_app
from shared.db import utcnow
from shared.errors import StaleWrite
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN
from tests.support.concurrency_contract import N, together
from tests.support.tokens import bearer

RESOURCES = "/directory/v1/resources"
BODY = {
    "name": "ふれあいサロン東",
    "name_kana": "フレアイサロンヒガシ",
    "kind": "community_program",
    "field": "other",
    "areas": [{"kind": "municipality", "name": "町内一円"}],
}


@pytest.fixture
async def directory(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_app(settings.model_copy(update={"services": ["directory"]}))
    async with app.router.lifespan_context(app):
        headers = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pg", headers=headers) as http:
            yield http, app


async def event_names(app: FastAPI, resource_id: str) -> Counter[str]:
    async with runtimes_of(app)["directory"].db.transaction() as session:
        rows = (
            await session.execute(select(messaging.outbox).where(messaging.outbox.c.key == resource_id))
        ).all()
    return Counter(row.event_type.split(".")[-2] for row in rows)


async def test_simultaneous_edits_with_one_etag_give_one_200_and_the_rest_412(directory) -> None:
    http, app = directory
    created = (await http.post(RESOURCES, json=BODY)).json()
    path = f"{RESOURCES}/{created['id']}"

    responses = await together(
        *(
            http.put(
                path, json={**BODY, "name": f"ふれあいサロン東{i}"}, headers={"If-Match": created["etag"]}
            )
            for i in range(N)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert winner["version"] == 2
    history = (await http.get(f"{path}/history")).json()
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["snapshot"]["name"] == winner["name"]
    assert await event_names(app, created["id"]) == {"ResourcePublished": 1, "ResourceUpdated": 1}


async def test_simultaneous_retirements_with_one_etag_retire_once(directory) -> None:
    http, app = directory
    created = (await http.post(RESOURCES, json=BODY)).json()
    path = f"{RESOURCES}/{created['id']}/retirement"

    responses = await together(*(http.post(path, headers={"If-Match": created["etag"]}) for _ in range(N)))

    assert Counter(r.status_code for r in responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
    assert await event_names(app, created["id"]) == {"ResourcePublished": 1, "ResourceRetired": 1}


async def test_simultaneous_gazetteer_replacements_with_one_etag_give_one_200_and_the_rest_412(
    directory,
) -> None:
    http, _app = directory
    current = await http.get("/directory/v1/districts")
    body = {
        "municipality": "音更町",
        "districts": [{"kind": "junior_high_district", "name": "音更中学校区"}],
        "addresses": [{"town": "柏寿台", "district": "音更中学校区"}],
    }

    responses = await together(
        *(
            http.put("/directory/v1/districts", json=body, headers={"If-Match": current.headers["etag"]})
            for _ in range(N)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
    after = await http.get("/directory/v1/districts")
    assert after.headers["etag"] == next(r for r in responses if r.status_code == 200).headers["etag"]


async def test_a_gazetteer_created_between_anothers_read_and_write_makes_that_write_stale(directory) -> None:
    """The interleaving the HTTP race only hits sometimes, made to happen: B reads "none yet" (v0),
    A creates the gazetteer and commits, then B writes from v0. B must get 412, not overwrite A."""
    _http, app = directory
    db = runtimes_of(app)["directory"].db
    tono = "032085"
    first = GazetteerIn.model_validate(
        {"municipality": "遠野市", "districts": [{"kind": "district", "name": "綾織地区"}]}
    )
    second = GazetteerIn.model_validate(
        {"municipality": "遠野市", "districts": [{"kind": "district", "name": "附馬牛地区"}]}
    )

    async with db.transaction() as b:
        read_by_b = await districts.current_revision(session=b, tenant_id=tono)
        async with db.transaction() as a:
            await districts.replace_gazetteer(
                session=a,
                revision=districts.GazetteerRevision(tono, 0),
                data=first,
                actor="editor-a",
                now=utcnow(),
            )
        with pytest.raises(StaleWrite):
            await districts.replace_gazetteer(
                session=b, revision=read_by_b, data=second, actor="editor-b", now=utcnow()
            )

    async with db.transaction() as session:
        kept = await districts.gazetteer_of(session, tono)
    assert [d.name for d in kept.districts] == ["綾織地区"]
