"""Delivery guarantees, held to the same contract on both backends.

Subclass `DeliveryContract` and provide a `system` fixture (see tests/support/system.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from services.coordination.cases.models import Case
from services.intake.db import messaging as intake_messaging
from services.intake.referrals.models import Referral
from services.intake.referrals.schemas import ReferralCreate
from services.intake.referrals.service import refer_to_collaboration
from shared.bus.base import Message
from shared.db import utcnow
from shared.events.catalog import CaseOpened, CaseReferred
from shared.events.envelope import CloudEvent
from shared.messaging.relay import OutboxRelay
from tests.support.builders import OTOFUKE, RANRAN, consent_body, consultation_body
from tests.support.system import System
from tests.support.waiting import eventually


async def consented_consultation(system: System) -> str:
    created = await system.intake_http.post("/intake/v1/consultations", json=consultation_body())
    assert created.status_code == 201, created.text
    consultation_id: str = created.json()["id"]
    consent = await system.intake_http.post(
        f"/intake/v1/consultations/{consultation_id}/consents", json=consent_body()
    )
    assert consent.status_code == 201, consent.text
    return consultation_id


async def refer(system: System) -> dict[str, Any]:
    consultation_id = await consented_consultation(system)
    referral = await system.intake_http.post(f"/intake/v1/consultations/{consultation_id}/referrals", json={})
    assert referral.status_code == 201, referral.text
    body: dict[str, Any] = referral.json()
    return body


async def case_for(system: System, referral_id: str) -> dict[str, Any]:
    async def visible() -> dict[str, Any] | None:
        page = (
            await system.coordination_http.get("/coordination/v1/cases", params={"referral_id": referral_id})
        ).json()
        return page["items"][0] if page["items"] else None

    return await eventually(visible)


async def count_cases(system: System, referral_id: str) -> int:
    async with system.coordination.db.transaction() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Case).where(Case.referral_id == referral_id)
            )
            or 0
        )


async def count_case_opened(system: System, referral_id: str) -> int:
    outbox = system.coordination.definition.messaging.outbox
    async with system.coordination.db.transaction() as session:
        rows = (await session.execute(select(outbox.c.envelope).where(outbox.c.key == referral_id))).all()
    return sum(1 for (envelope,) in rows if envelope["type"] == CaseOpened.cloudevent_type())


async def case_referred_row(system: System, referral_id: str) -> Any:
    """Intake's outbox row of the referral's CaseReferred (keyed by the consultation, not the referral)."""
    outbox = intake_messaging.outbox
    async with system.intake.db.transaction() as session:
        rows = (
            await session.execute(select(outbox).where(outbox.c.event_type == CaseReferred.cloudevent_type()))
        ).all()
    (row,) = [r for r in rows if r.envelope["data"]["referral_id"] == referral_id]
    return row


async def outbox_message(system: System, referral_id: str) -> Message:
    row = await case_referred_row(system, referral_id)
    key, value, headers = CloudEvent.model_validate(row.envelope).to_kafka()
    return Message(topic=row.topic, key=key, value=value, headers=tuple(headers))


class CrashBeforeMark(Exception):
    pass


class RelayThatDiesBeforeMarking(OutboxRelay):
    """Publishes, then 'crashes' where the process would die between publish and mark."""

    async def _mark_published(self, session: Any, ids: Sequence[int]) -> None:
        raise CrashBeforeMark(f"died before marking {ids}")


class DeliveryContract:
    """Every test gets a fresh running system from the subclass's `system` fixture."""

    async def test_the_same_case_referred_delivered_twice_opens_one_case(self, system: System) -> None:
        referral = await refer(system)
        await case_for(system, referral["id"])
        duplicates_before = system.coordination.consumer.stats["duplicate"]

        await system.intake.bus.publish(await outbox_message(system, referral["id"]))

        async def duplicate_seen() -> bool:
            return system.coordination.consumer.stats["duplicate"] > duplicates_before

        await eventually(duplicate_seen)
        assert await count_cases(system, referral["id"]) == 1
        assert await count_case_opened(system, referral["id"]) == 1

    async def test_a_relay_that_dies_after_publishing_republishes_and_still_one_case(
        self, system: System
    ) -> None:
        # Take the running relay away so that the pending row is ours to publish.
        await system.intake.relay.stop()
        referral = await refer(system)
        dying = RelayThatDiesBeforeMarking(
            service="intake",
            db=system.intake.db,
            tables=intake_messaging,
            bus=system.intake.bus,
            settings=system.settings,
        )
        with pytest.raises(CrashBeforeMark):
            await dying.publish_pending()
        await case_for(system, referral["id"])
        row = await case_referred_row(system, referral["id"])
        assert row.published_at is None, "the crash happened before marking"

        # A new relay (the restarted process) starts again at the oldest unpublished row.
        restarted = OutboxRelay(
            service="intake",
            db=system.intake.db,
            tables=intake_messaging,
            bus=system.intake.bus,
            settings=system.settings,
        )

        async def republished() -> bool:
            await restarted.publish_pending()
            return (await case_referred_row(system, referral["id"])).published_at is not None

        duplicates_before = system.coordination.consumer.stats["duplicate"]
        await eventually(republished)

        async def duplicate_seen() -> bool:
            return system.coordination.consumer.stats["duplicate"] > duplicates_before

        await eventually(duplicate_seen)
        assert await count_cases(system, referral["id"]) == 1
        assert await count_case_opened(system, referral["id"]) == 1

    async def test_a_failing_message_goes_to_the_dead_letters_and_does_not_block_others(
        self, system: System
    ) -> None:
        # A CaseOpened for a referral intake never sent: intake's handler raises every time.
        orphan = CaseOpened(
            case_id="00000000-0000-0000-0000-000000000001",
            case_number="2026-99999",
            referral_id="00000000-0000-0000-0000-00000000dead",
            consultation_id="00000000-0000-0000-0000-000000000002",
            tenant_id=OTOFUKE,
            window_code=RANRAN,
            opened_at=utcnow(),
        ).to_cloudevent()
        key, value, headers = orphan.to_kafka()
        await system.coordination.bus.publish(
            Message(topic=CaseOpened.topic(), key=key, value=value, headers=tuple(headers))
        )

        # Messages behind it still flow, both ways.
        referral = await refer(system)
        await case_for(system, referral["id"])

        async def accepted() -> bool:
            seen = (await system.intake_http.get(f"/intake/v1/referrals/{referral['id']}")).json()
            return bool(seen["status"] == "accepted")

        await eventually(accepted)

        dead_letters = intake_messaging.dead_letters

        async def dead_lettered() -> Any:
            async with system.intake.db.transaction() as session:
                return (
                    await session.execute(select(dead_letters).where(dead_letters.c.event_id == orphan.id))
                ).first()

        row = await eventually(dead_lettered)
        assert row.attempts == system.settings.consumer_max_attempts
        assert "ReferralNotFound" in row.error
        assert row.consumer == "intake"
        assert json.loads(row.value)["referral_id"] == orphan.data["referral_id"]
        topic_copy = await self.dead_letter_topic_message(system, orphan.id)
        assert topic_copy.header("x-dead-letter-consumer") == "intake"
        assert "ReferralNotFound" in (topic_copy.header("x-dead-letter-error") or "")
        assert topic_copy.header("ce_id") == orphan.id

    async def dead_letter_topic_message(self, system: System, event_id: str) -> Message:
        raise NotImplementedError

    async def test_a_use_case_whose_transaction_fails_leaves_no_outbox_row(self, system: System) -> None:
        consultation_id = await consented_consultation(system)
        with pytest.raises(RuntimeError, match="after the event was staged"):
            async with system.intake.db.transaction() as session:
                await refer_to_collaboration(
                    session=session, consultation_id=consultation_id, data=ReferralCreate(), now=utcnow()
                )
                raise RuntimeError("after the event was staged")
        async with system.intake.db.transaction() as session:
            referrals = await session.scalar(
                select(func.count()).select_from(Referral).where(Referral.consultation_id == consultation_id)
            )
            outbox_rows = await session.scalar(
                select(func.count())
                .select_from(intake_messaging.outbox)
                .where(intake_messaging.outbox.c.event_type == CaseReferred.cloudevent_type())
            )
        assert referrals == 0
        assert outbox_rows == 0
        # And nothing was opened on the other side.
        page = (
            await system.coordination_http.get(
                "/coordination/v1/cases", params={"consultation_id": consultation_id}
            )
        ).json()
        assert page["items"] == []
