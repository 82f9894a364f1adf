"""The unit of work (shared/work.py) on its own: what it does from the operation's rule, and that a
route skipping a step fails instead of writing without it. A SQLite file stands in for a service's
database; no app, no HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from starlette.responses import Response

from shared.audit import define_audit_table
from shared.auth.policy import Access, Reach, Rule
from shared.auth.roles import Role
from shared.auth.tokens import Caller
from shared.db import Database
from shared.errors import PreconditionRequired, StaleWrite
from shared.idempotency import define_idempotency_table
from shared.work import Replayed, UnitOfWork, UnitOfWorkMisused

metadata = MetaData()
audit_log = define_audit_table(metadata)
idempotency_keys = define_idempotency_table(metadata)
notes = Table("notes", metadata, Column("id", String(36), primary_key=True))

CALLER = Caller("staff-1", "016314", "016314-town", frozenset({Role.coordinator}))
GRANTS = {Role.coordinator: Reach.tenant}


@dataclass
class Note:
    id: str
    version: int


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'work.db'}", schema="test")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


def work(
    db: Database, action: str, *, personal: bool = True, headers: dict[str, str] | None = None
) -> UnitOfWork:
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(idempotency_lock_seconds=60)))

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/notes/n-1",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
            "path_params": {"note_id": "n-1"},
            "app": app,
            "server": ("testserver", 80),
            "scheme": "http",
        },
        receive,
    )
    access = Access(
        service="test",
        operation=f"{action}Note",
        rule=Rule("note", action, GRANTS, personal_data=personal),
        caller=CALLER,
        reach=Reach.tenant,
        purpose=None,
        request_id="req-1",
    )
    return UnitOfWork(
        request=request,
        response=Response(),
        db=db,
        access=access,
        audit_table=audit_log,
        idempotency_table=idempotency_keys,
    )


async def count(db: Database, table: Table) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_an_update_that_never_checks_a_record_is_refused_and_saves_nothing(db: Database) -> None:
    uow = work(db, "update", headers={"If-Match": '"n-1.v1"'})

    with pytest.raises(UnitOfWorkMisused, match="must check"):
        async with uow.transaction() as session:
            await session.execute(insert(notes).values(id="n-1"))

    assert await count(db, notes) == 0
    assert await count(db, audit_log) == 0


async def test_a_checked_update_commits_with_its_entry_and_answers_the_new_etag(db: Database) -> None:
    uow = work(db, "update", headers={"If-Match": 'W/"n-1.v1"'})
    note = Note("n-1", 1)

    async with uow.transaction() as session:
        uow.check(note)
        await session.execute(insert(notes).values(id="n-1"))
        note.version = 2  # what version_id_col does at the flush

    assert await count(db, notes) == 1
    assert uow.response.headers["ETag"] == '"n-1.v2"'
    async with db.transaction() as session:
        (entry,) = (await session.execute(select(audit_log))).all()
    assert (entry.action, entry.resource, entry.resource_id, entry.request_id) == (
        "update",
        "note",
        "n-1",
        "req-1",
    )


async def test_an_update_without_if_match_is_428_and_from_a_stale_read_412(db: Database) -> None:
    without = work(db, "update")
    with pytest.raises(PreconditionRequired):
        async with without.transaction():
            without.check(Note("n-1", 1))
    stale = work(db, "update", headers={"If-Match": '"n-1.v1"'})
    with pytest.raises(StaleWrite) as refused:
        async with stale.transaction():
            stale.check(Note("n-1", 2))
    assert refused.value.extra == {"current_etag": '"n-1.v2"'}
    assert await count(db, audit_log) == 0


async def test_a_create_that_never_answers_is_refused_and_frees_its_key(db: Database) -> None:
    uow = work(db, "create", headers={"Idempotency-Key": "k-1"})

    with pytest.raises(UnitOfWorkMisused, match=r"work\.created"):
        async with uow.transaction() as session:
            await session.execute(insert(notes).values(id="n-1"))

    assert await count(db, notes) == 0
    assert await count(db, idempotency_keys) == 0  # a corrected retry may use the key


async def test_reads_are_audited_only_when_the_data_is_personal(db: Database) -> None:
    async with work(db, "read", personal=False).transaction() as session:
        await session.execute(select(notes))
    assert await count(db, audit_log) == 0

    async with work(db, "read").transaction() as session:
        await session.execute(select(notes))
    async with db.transaction() as session:
        (entry,) = (await session.execute(select(audit_log))).all()
    assert (entry.action, entry.resource_id) == ("read", "n-1")  # the record the path names


async def test_a_change_of_data_that_is_not_personal_is_audited_too(db: Database) -> None:
    uow = work(db, "import", personal=False)
    async with uow.transaction() as session:
        await session.execute(insert(notes).values(id="n-2"))
    assert await count(db, audit_log) == 1


async def test_one_transaction_per_request(db: Database) -> None:
    uow = work(db, "read")
    async with uow.transaction():
        pass
    with pytest.raises(UnitOfWorkMisused, match="one transaction"):
        async with uow.transaction():
            pass


class NoteOut(BaseModel):
    id: str


async def test_a_create_retried_with_its_key_gets_the_first_answer_and_runs_once(db: Database) -> None:
    first = work(db, "create", headers={"Idempotency-Key": "k-2"})
    async with first.transaction() as session:
        await session.execute(insert(notes).values(id="n-3"))
        answer = first.created(NoteOut(id="n-3"), location="/notes/n-3")

    again = work(db, "create", headers={"Idempotency-Key": "k-2"})
    with pytest.raises(Replayed) as replayed:
        async with again.transaction():
            raise AssertionError("the use case must not run a second time")

    assert replayed.value.replay.status_code == 201
    assert replayed.value.replay.body == bytes(answer.body).decode()
    assert replayed.value.replay.headers["Location"] == "/notes/n-3"
    assert await count(db, notes) == 1
    async with db.transaction() as session:
        entries = (await session.execute(select(audit_log.c.action, audit_log.c.resource_id))).all()
    assert sorted(tuple(e) for e in entries) == [("create", "n-3"), ("replay", "n-3")]
