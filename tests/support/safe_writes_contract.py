"""Idempotency-Key and If-Match, held to the same contract on both backends.

Subclass `SafeWritesContract` with a `system` fixture (tests/support/system.py).
"""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from services.intake.consultations.models import Consultation
from services.intake.db import audit_log, idempotency_keys
from shared import idempotency
from shared.db import utcnow
from tests.support.builders import OTOFUKE, RANRAN_OPERATOR, consent_body, consultation_body
from tests.support.system import System
from tests.support.waiting import eventually

CONSULTATIONS = "/intake/v1/consultations"


async def _count_consultations(system: System) -> int:
    async with system.intake.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Consultation)) or 0)


class SafeWritesContract:
    async def test_a_retry_with_the_same_key_returns_the_first_result(self, system: System) -> None:
        body = consultation_body()
        first = await system.intake_http.post(CONSULTATIONS, json=body, headers={"Idempotency-Key": "k-1"})
        again = await system.intake_http.post(CONSULTATIONS, json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
        assert await _count_consultations(system) == 1
        async with system.intake.db.transaction() as session:
            actions = (
                await session.execute(
                    select(audit_log.c.action).where(audit_log.c.resource_id == first.json()["id"])
                )
            ).scalars()
            # The create, then the replay that handed the record out again.
            assert sorted(actions) == ["create", "replay"]

    async def test_the_same_key_with_another_body_is_422(self, system: System) -> None:
        await system.intake_http.post(
            CONSULTATIONS, json=consultation_body(), headers={"Idempotency-Key": "k-2"}
        )
        other = await system.intake_http.post(
            CONSULTATIONS, json=consultation_body(urgency="emergency"), headers={"Idempotency-Key": "k-2"}
        )
        assert other.status_code == 422
        assert other.json()["type"].endswith("/idempotency-key-reused")
        assert await _count_consultations(system) == 1

    async def test_a_key_still_in_flight_is_409(self, system: System) -> None:
        body = consultation_body()
        raw = json.dumps(body).encode()
        # The first attempt is still running (its reservation committed, its work not yet).
        reserved = await idempotency.reserve(
            system.intake.db,
            idempotency_keys,
            scope=f"{OTOFUKE}/{RANRAN_OPERATOR}/staff-yamada",
            key="k-3",
            request_hash=idempotency.request_fingerprint("POST", CONSULTATIONS, raw),
            now=utcnow(),
            lock_seconds=60,
        )
        assert isinstance(reserved, idempotency.Reservation)
        second = await system.intake_http.post(CONSULTATIONS, json=body, headers={"Idempotency-Key": "k-3"})
        assert second.status_code == 409, second.text
        assert await _count_consultations(system) == 0

    async def test_concurrent_retries_create_once(self, system: System) -> None:
        body = consultation_body()
        responses = await asyncio.gather(
            *(
                system.intake_http.post(CONSULTATIONS, json=body, headers={"Idempotency-Key": "k-4"})
                for _ in range(5)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, [r.text for r in responses]
        assert 201 in statuses
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        assert await _count_consultations(system) == 1

    async def test_a_stale_write_is_412_and_a_current_one_goes_through(self, system: System) -> None:
        created = (await system.intake_http.post(CONSULTATIONS, json=consultation_body())).json()
        await system.intake_http.post(f"{CONSULTATIONS}/{created['id']}/consents", json=consent_body())
        referral = (
            await system.intake_http.post(f"{CONSULTATIONS}/{created['id']}/referrals", json={})
        ).json()

        async def case_id() -> str | None:
            page = (
                await system.coordination_http.get(
                    "/coordination/v1/cases", params={"referral_id": referral["id"]}
                )
            ).json()
            return page["items"][0]["id"] if page["items"] else None

        case = await eventually(case_id)
        path = f"/coordination/v1/cases/{case}"
        etag = (await system.coordination_http.get(path)).headers["etag"]
        missing = await system.coordination_http.post(f"{path}/return", json={"reason": "確認"})
        assert missing.status_code == 428
        stale = await system.coordination_http.post(
            f"{path}/return", json={"reason": "確認"}, headers={"If-Match": etag.replace(".v1", ".v0")}
        )
        assert stale.status_code == 412
        done = await system.coordination_http.post(
            f"{path}/return", json={"reason": "確認"}, headers={"If-Match": etag}
        )
        assert done.status_code == 200, done.text
        assert done.headers["etag"] != etag
        # The first writer's ETag is now stale for anyone else.
        late = await system.coordination_http.post(
            f"{path}/decline", json={"reason": "遅れて"}, headers={"If-Match": etag}
        )
        assert late.status_code == 412
