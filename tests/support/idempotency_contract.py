"""Idempotency keys, held to the same contract on SQLite and PostgreSQL.

Subclass `IdempotencyContract` and provide a `store` fixture (a `Store` on a fresh database).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, select

from shared.db import Database, service_metadata
from shared.idempotency import (
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    Replay,
    Reservation,
    complete,
    define_idempotency_table,
    purge_expired,
    release,
    request_fingerprint,
    reserve,
)

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
SCOPE = "tenant:otofuke/subject:staff-1"
KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
FIRST = request_fingerprint("POST", "/intake/v1/consultations", '{"name": "山田"}'.encode())
OTHER = request_fingerprint("POST", "/intake/v1/consultations", '{"name": "佐藤"}'.encode())
CREATED_BODY = '{"id":"c-1"}'
CREATED_HEADERS = {"Location": "/intake/v1/consultations/c-1", "Content-Type": "application/json"}


@dataclass
class Store:
    db: Database
    table: Table


async def make_store(db: Database) -> Store:
    metadata: MetaData = service_metadata()
    table = define_idempotency_table(metadata)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return Store(db=db, table=table)


class _Boom(Exception):
    pass


class IdempotencyContract:
    async def _reserve(
        self, store: Store, *, request_hash: str = FIRST, scope: str = SCOPE, at: datetime = NOW
    ) -> Replay | Reservation:
        return await reserve(
            store.db, store.table, scope=scope, key=KEY, request_hash=request_hash, now=at, lock_seconds=60
        )

    async def _reserved(self, store: Store, **kwargs: Any) -> Reservation:
        outcome = await self._reserve(store, **kwargs)
        assert isinstance(outcome, Reservation)
        return outcome

    async def _complete(self, store: Store, reservation: Reservation, body: str = CREATED_BODY) -> None:
        async with store.db.transaction() as session:
            await complete(
                session, store.table, reservation, status_code=201, body=body, headers=CREATED_HEADERS
            )

    async def _row(self, store: Store, scope: str = SCOPE) -> Any:
        table = store.table
        async with store.db.transaction() as session:
            found = await session.execute(select(table).where(table.c.scope == scope, table.c.key == KEY))
            return found.first()

    async def test_the_first_request_reserves_the_key(self, store: Store) -> None:
        outcome = await self._reserve(store)

        assert outcome == Reservation(scope=SCOPE, key=KEY, request_hash=FIRST)
        row = await self._row(store)
        assert row.state == "in_flight"
        assert row.locked_until == NOW + timedelta(seconds=60)
        assert row.created_at == NOW

    async def test_a_completed_request_is_replayed_with_its_stored_response(self, store: Store) -> None:
        await self._complete(store, await self._reserved(store))

        replay = await self._reserve(store, at=NOW + timedelta(seconds=5))

        assert replay == Replay(status_code=201, body=CREATED_BODY, headers=CREATED_HEADERS)

    async def test_a_completed_key_with_another_request_is_refused(self, store: Store) -> None:
        await self._complete(store, await self._reserved(store))

        with pytest.raises(IdempotencyKeyReused) as refused:
            await self._reserve(store, request_hash=OTHER)

        assert refused.value.status == 422
        assert [f.field for f in refused.value.fields] == ["Idempotency-Key"]

    async def test_a_key_in_flight_with_another_request_is_refused(self, store: Store) -> None:
        await self._reserved(store)

        with pytest.raises(IdempotencyKeyReused):
            await self._reserve(store, request_hash=OTHER)

    async def test_a_retry_while_the_first_is_in_flight_is_told_to_wait(self, store: Store) -> None:
        await self._reserved(store)

        with pytest.raises(IdempotencyKeyInFlight) as busy:
            await self._reserve(store, at=NOW + timedelta(seconds=59))

        assert busy.value.status == 409

    async def test_a_retry_takes_over_when_the_first_attempt_died(self, store: Store) -> None:
        await self._reserved(store)
        later = NOW + timedelta(seconds=61)

        outcome = await self._reserve(store, at=later)

        assert isinstance(outcome, Reservation)
        row = await self._row(store)
        assert row.state == "in_flight"
        assert row.locked_until == later + timedelta(seconds=60)
        assert row.created_at == NOW
        with pytest.raises(IdempotencyKeyInFlight):
            await self._reserve(store, at=later + timedelta(seconds=1))

    async def test_an_expired_reservation_is_still_bound_to_its_request(self, store: Store) -> None:
        await self._reserved(store)

        with pytest.raises(IdempotencyKeyReused):
            await self._reserve(store, request_hash=OTHER, at=NOW + timedelta(hours=1))

    async def test_a_released_key_may_be_used_again(self, store: Store) -> None:
        reservation = await self._reserved(store)

        await release(store.db, store.table, reservation)

        assert await self._row(store) is None
        # A corrected retry: the failed body was never stored, so a new one is welcome.
        assert isinstance(await self._reserve(store, request_hash=OTHER), Reservation)

    async def test_release_leaves_a_completed_key_alone(self, store: Store) -> None:
        reservation = await self._reserved(store)
        await self._complete(store, reservation)

        await release(store.db, store.table, reservation)

        assert isinstance(await self._reserve(store), Replay)

    async def test_a_completion_rolled_back_with_its_use_case_stores_nothing(self, store: Store) -> None:
        reservation = await self._reserved(store)

        with pytest.raises(_Boom):
            async with store.db.transaction() as session:
                await complete(
                    session, store.table, reservation, status_code=201, body=CREATED_BODY, headers={}
                )
                raise _Boom

        row = await self._row(store)
        assert row.state == "in_flight"
        assert row.status_code is None and row.response_body is None
        with pytest.raises(IdempotencyKeyInFlight):
            await self._reserve(store)

    async def test_a_late_completion_after_a_takeover_is_refused(self, store: Store) -> None:
        slow = await self._reserved(store)
        retry = await self._reserved(store, at=NOW + timedelta(seconds=61))
        await self._complete(store, retry, body='{"id":"by-retry"}')

        # The slow first attempt finally finishes: its effect must roll back, not commit a second time.
        with pytest.raises(IdempotencyKeyInFlight):
            await self._complete(store, slow, body='{"id":"by-slow"}')

        replay = await self._reserve(store, at=NOW + timedelta(seconds=90))
        assert isinstance(replay, Replay) and replay.body == '{"id":"by-retry"}'

    async def test_scopes_keep_equal_keys_apart(self, store: Store) -> None:
        await self._complete(store, await self._reserved(store))

        other_caller = await self._reserve(store, scope="tenant:memuro/subject:staff-9", request_hash=OTHER)

        assert isinstance(other_caller, Reservation)
        assert isinstance(await self._reserve(store), Replay)

    async def test_concurrent_requests_with_one_key_run_once(self, store: Store) -> None:
        outcomes = await asyncio.gather(*(self._reserve(store) for _ in range(10)), return_exceptions=True)

        assert sum(isinstance(o, Reservation) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, IdempotencyKeyInFlight) for o in outcomes) == 9, outcomes

    async def test_concurrent_takeovers_of_a_dead_attempt_run_once(self, store: Store) -> None:
        await self._reserved(store)
        later = NOW + timedelta(seconds=61)

        outcomes = await asyncio.gather(
            *(self._reserve(store, at=later) for _ in range(10)), return_exceptions=True
        )

        assert sum(isinstance(o, Reservation) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, IdempotencyKeyInFlight) for o in outcomes) == 9, outcomes

    async def test_purge_forgets_old_keys_but_not_live_reservations(self, store: Store) -> None:
        await self._complete(store, await self._reserved(store, scope="old-completed"))
        await self._reserved(store, scope="old-abandoned")
        await self._reserved(store, scope="old-taken-over")
        await self._reserved(store, scope="old-taken-over", at=NOW + timedelta(days=2))
        await self._reserved(store, scope="recent", at=NOW + timedelta(days=2))

        purged = await purge_expired(store.db, store.table, older_than=NOW + timedelta(days=1))

        assert purged == 2
        assert await self._row(store, "old-completed") is None
        assert await self._row(store, "old-abandoned") is None
        assert await self._row(store, "old-taken-over") is not None
        assert await self._row(store, "recent") is not None
