"""Two requests at the same moment: the database decides, on both backends.

Every update route that takes If-Match is run here with N copies of one request fired together
holding the same ETag: exactly one succeeds, the others get 412, and one event leaves. A create that
the domain allows once (a consultation's referral) fired N times with different or no
Idempotency-Keys gives one 201 and 409s. On SQLite the writers queue, so these pass there by
construction; on PostgreSQL (tests/integration) they are the proof.

Subclass `ConcurrencyContract` with a `system` fixture (tests/support/system.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from services.coordination.cases.models import Case
from services.coordination.db import messaging as coordination_messaging
from services.intake.db import messaging as intake_messaging
from services.intake.referrals.models import Referral
from shared.events.catalog import (
    CasePartyAdded,
    CaseReferred,
    ConsentWithdrawn,
    ReferralDeclined,
    ReferralReturned,
)
from shared.messaging.tables import MessagingTables
from tests.support.builders import OTOFUKE_TOWN
from tests.support.delivery_contract import case_for, consented_consultation
from tests.support.directory_events import deliver, reference_events
from tests.support.system import System
from tests.support.tokens import bearer
from tests.support.waiting import eventually

N = 8


async def together(*requests: Any) -> list[httpx.Response]:
    """Fire the requests at the same moment (each is an awaitable of a response)."""
    return list(await asyncio.gather(*requests))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


async def events_in_outbox(db: Any, tables: MessagingTables, event_type: str, **data: str) -> int:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(tables.outbox.c.envelope).where(tables.outbox.c.event_type == event_type)
            )
        ).all()
    return sum(1 for (envelope,) in rows if all(envelope["data"].get(k) == v for k, v in data.items()))


class ConcurrencyContract:
    async def test_simultaneous_adds_of_one_organisation_to_a_case_give_one_201_and_the_rest_409(
        self, system: System
    ) -> None:
        await deliver(system.coordination, reference_events())  # the council, known to coordination
        consultation_id = await consented_consultation(system)
        referral = (
            await system.intake_http.post(f"/intake/v1/consultations/{consultation_id}/referrals", json={})
        ).json()
        case = await case_for(system, referral["id"])
        coordinator = bearer(system.settings, "coordinator", org=OTOFUKE_TOWN)
        body = {"organisation_id": "016314-shakyo", "role": "見守り訪問", "from_on": date.today().isoformat()}
        path = f"/coordination/v1/cases/{case['id']}/parties"

        responses = await together(
            *(system.coordination_http.post(path, json=body, headers=coordinator) for _ in range(N))
        )

        assert statuses(responses) == {201: 1, 409: N - 1}, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code == 409):
            assert refused.json()["type"].endswith("/already-taking-part")
        parties = (await system.coordination_http.get(path, headers=coordinator)).json()
        assert [p["organisation_id"] for p in parties].count("016314-shakyo") == 1
        assert (
            await events_in_outbox(
                system.coordination.db,
                coordination_messaging,
                CasePartyAdded.cloudevent_type(),
                organisation_id="016314-shakyo",
                case_id=case["id"],
            )
            == 1
        )

    async def test_simultaneous_referrals_of_one_consultation_give_one_201_and_the_rest_409(
        self, system: System
    ) -> None:
        consultation_id = await consented_consultation(system)
        path = f"/intake/v1/consultations/{consultation_id}/referrals"

        # A double click (no key), a client retrying with a fresh key each time: all at once.
        responses = await together(
            *(
                system.intake_http.post(
                    path, json={}, headers={"Idempotency-Key": f"retry-{i}"} if i % 2 else {}
                )
                for i in range(N)
            )
        )

        assert statuses(responses) == {201: 1, 409: N - 1}, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code == 409):
            assert refused.json()["type"].endswith("/already-referred")
        async with system.intake.db.transaction() as session:
            referrals = await session.scalar(
                select(func.count()).select_from(Referral).where(Referral.consultation_id == consultation_id)
            )
        assert referrals == 1
        assert (
            await events_in_outbox(
                system.intake.db,
                intake_messaging,
                CaseReferred.cloudevent_type(),
                consultation_id=consultation_id,
            )
            == 1
        )
        (winner,) = [r for r in responses if r.status_code == 201]
        await case_for(system, winner.json()["id"])
        async with system.coordination.db.transaction() as session:
            cases = await session.scalar(
                select(func.count()).select_from(Case).where(Case.consultation_id == consultation_id)
            )
        assert cases == 1

    async def test_simultaneous_withdrawals_with_one_etag_give_one_200_and_the_rest_412(
        self, system: System
    ) -> None:
        consultation_id = await consented_consultation(system)
        (consent,) = (
            await system.intake_http.get(f"/intake/v1/consultations/{consultation_id}/consents")
        ).json()
        path = f"/intake/v1/consultations/{consultation_id}/consents/{consent['id']}/withdrawal"

        responses = await together(
            *(system.intake_http.post(path, json={}, headers={"If-Match": consent["etag"]}) for _ in range(N))
        )

        assert statuses(responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
        assert (
            await events_in_outbox(
                system.intake.db,
                intake_messaging,
                ConsentWithdrawn.cloudevent_type(),
                consent_id=consent["id"],
            )
            == 1
        )

    async def test_simultaneous_decline_and_return_with_one_etag_give_one_answer(
        self, system: System
    ) -> None:
        consultation_id = await consented_consultation(system)
        referral = (
            await system.intake_http.post(f"/intake/v1/consultations/{consultation_id}/referrals", json={})
        ).json()
        coordinator = bearer(system.settings, "coordinator", org=OTOFUKE_TOWN)
        case = await case_for(system, referral["id"])
        etag = (
            await system.coordination_http.get(f"/coordination/v1/cases/{case['id']}", headers=coordinator)
        ).headers["etag"]
        headers = {**coordinator, "If-Match": etag}
        paths = [f"/coordination/v1/cases/{case['id']}/{'decline' if i % 2 else 'return'}" for i in range(N)]

        responses = await together(
            *(
                system.coordination_http.post(p, json={"reason": "一機関で対応可能"}, headers=headers)
                for p in paths
            )
        )

        assert statuses(responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
        messaging = system.coordination.definition.messaging
        answers = sum(
            [
                await events_in_outbox(
                    system.coordination.db, messaging, kind.cloudevent_type(), case_id=case["id"]
                )
                for kind in (ReferralDeclined, ReferralReturned)
            ]
        )
        assert answers == 1

        # And the window ends up with the one answer that was given, not a dead letter.
        (winner,) = [r for r in responses if r.status_code == 200]
        expected = winner.json()["status"]

        async def answered() -> bool:
            seen = (await system.intake_http.get(f"/intake/v1/referrals/{referral['id']}")).json()
            return bool(seen["status"] == expected)

        await eventually(answered)
        assert system.intake.consumer.stats["dead_lettered"] == 0
