"""On PostgreSQL, where requests really run side by side: a member person's acceptance of the duty of
confidentiality is one row however many arrive at once (each answered with it), and so is the link
from a case to the support meeting it grew out of, however often the referral is handled."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.coordination.cases.handlers import on_case_referred
from services.coordination.cases.models import Case
from services.coordination.support_meetings import service
from services.coordination.support_meetings.models import (
    ConfidentialityAcceptance,
    SupportMeeting,
    SupportMeetingCaseLink,
)
from services.coordination.support_meetings.schemas import AcceptanceIn
from shared.db import Database
from shared.events.catalog import CaseReferred, ConsentScope
from shared.migrations import upgrade
from tests.migrations.test_migrations_match_models import definition_of
from tests.support.builders import OTOFUKE, OTOFUKE_TOWN, RANRAN, RANRAN_OPERATOR

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _referred(meeting_id: str) -> CaseReferred:
    return CaseReferred(
        referral_id=str(uuid.uuid4()),
        consultation_id=str(uuid.uuid4()),
        tenant_id=OTOFUKE,
        window_code=RANRAN,
        referring_organisation_id=RANRAN_OPERATOR,
        referred_at=NOW,
        urgency="normal",
        main_concern=None,
        concerns=[],
        welfare_fields=[],
        reason=None,
        consent=ConsentScope(
            consent_id=str(uuid.uuid4()),
            purposes=["collaboration"],
            data_classes=["concerns"],
            organisations=[],
            obtained_at=NOW - timedelta(minutes=5),
            method="written",
        ),
        support_meeting_id=meeting_id,
    )


async def test_acceptances_and_case_links_are_one_per_key_side_by_side(database_url: str) -> None:
    db = Database(database_url, schema="coordination")
    try:
        await upgrade(db, definition_of("coordination").migrations)
        meeting_id = str(uuid.uuid4())
        async with db.transaction() as session:
            session.add(
                SupportMeeting(
                    id=meeting_id,
                    tenant_id=OTOFUKE,
                    convened_by=OTOFUKE_TOWN,
                    held_on=NOW.date(),
                    members=[OTOFUKE_TOWN, RANRAN_OPERATOR],
                    member_index=f"|{OTOFUKE_TOWN}|{RANRAN_OPERATOR}|",
                    member_persons=[
                        {
                            "organisation_id": RANRAN_OPERATOR,
                            "name": "柏寿 花子",
                            "role": None,
                            "subject": "s-1",
                        }
                    ],
                    concerning="見守りが必要な世帯",
                    created_at=NOW,
                    version=1,
                )
            )

        async def accept() -> str:
            async with db.transaction() as session:
                meeting = await service.get_support_meeting(session=session, meeting_id=meeting_id)
                accepted = await service.accept_confidentiality(
                    session=session,
                    meeting=meeting,
                    viewer=service.Viewer(organisation_id=RANRAN_OPERATOR, subject="s-1"),
                    data=AcceptanceIn(),
                    now=NOW,
                )
                return accepted.id

        answered = await asyncio.gather(*[accept() for _ in range(6)])

        event = _referred(meeting_id)
        async with db.transaction() as session:
            await on_case_referred(session, event)

        async def handled_again() -> None:
            async with db.transaction() as session:
                case_id = await session.scalar(select(Case.id).where(Case.referral_id == event.referral_id))
                assert case_id is not None
                await service.link_case(
                    session=session,
                    tenant_id=OTOFUKE,
                    support_meeting_id=meeting_id,
                    case_id=case_id,
                    referral_id=event.referral_id,
                    now=NOW,
                )

        await asyncio.gather(*[handled_again() for _ in range(6)])

        async with db.transaction() as session:
            acceptances = await session.scalar(select(func.count()).select_from(ConfidentialityAcceptance))
            links = await session.scalar(select(func.count()).select_from(SupportMeetingCaseLink))
            case_id = await session.scalar(select(Case.id).where(Case.referral_id == event.referral_id))
            assert case_id is not None
            shown = await service.links_of_case(session=session, case_id=case_id)
        assert len(set(answered)) == 1 and acceptances == 1
        assert links == 1
        assert [link.support_meeting_id for link in shown] == [meeting_id]
    finally:
        await db.dispose()
