"""The link from a consented case to the support meeting (支援会議) it grew out of holds in every
arrival order: the referral may name a record coordination cannot verify (not there yet, a typo,
another municipality's); the link is remembered as named and shown only with a record of the case's
municipality, once there is one. A redelivered referral links once.

Coordination runs alone; each test hands CaseReferred to its consumer the way the bus does, with
ids of its own, and writes the support-meeting records it needs straight into coordination's
database (as migrated records would be), so that one can appear after the referral."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.coordination.cases.models import Case
from services.coordination.support_meetings import service
from services.coordination.support_meetings.models import (
    ConfidentialityAcceptance,
    SupportMeeting,
    SupportMeetingCaseLink,
)
from services.embedded import create_app
from shared.auth.policy import DataScope, Reach
from shared.events.catalog import CaseReferred, ConsentScope
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.api.helpers import NAGAIZUMI_TOWN, shares_one_system
from tests.support.builders import NAGAIZUMI, OTOFUKE, OTOFUKE_TOWN, RANRAN, RANRAN_OPERATOR
from tests.support.directory_events import deliver
from tests.support.tokens import bearer

pytestmark = shares_one_system

REFERRED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # the one day of this module


def _new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """Coordination alone."""
    return lambda settings: create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


def referred(referral_id: str, support_meeting_id: str | None) -> CaseReferred:
    consultation_id = _new_id()
    return CaseReferred(
        referral_id=referral_id,
        consultation_id=consultation_id,
        tenant_id=OTOFUKE,
        window_code=RANRAN,
        referring_organisation_id=RANRAN_OPERATOR,
        referred_at=REFERRED,
        urgency="normal",
        main_concern=None,
        concerns=[],
        welfare_fields=[],
        reason="支援会議で見守っていた世帯",
        consent=ConsentScope(
            consent_id=_new_id(),
            purposes=["collaboration"],
            data_classes=["concerns"],
            organisations=[],
            obtained_at=REFERRED - timedelta(minutes=10),
            method="written",
        ),
        support_meeting_id=support_meeting_id,
    )


async def record_meeting(coordination: ServiceRuntime, meeting_id: str, *, tenant: str, town: str) -> None:
    async with coordination.db.transaction() as session:
        session.add(
            SupportMeeting(
                id=meeting_id,
                tenant_id=tenant,
                convened_by=town,
                held_on=REFERRED.date() - timedelta(days=7),
                members=[town],
                member_index=f"|{town}|",
                member_persons=[
                    {"organisation_id": town, "name": "担当", "role": None, "subject": "officer"}
                ],
                concerning="見守りが必要な世帯",
                recorded_by="officer",
                created_at=REFERRED,
                version=1,
            )
        )


async def case_of(coordination: ServiceRuntime, referral_id: str) -> str:
    async with coordination.db.transaction() as session:
        return str(await session.scalar(select(Case.id).where(Case.referral_id == referral_id)))


async def links_seen(client: httpx.AsyncClient, settings: Settings, case_id: str) -> list[str]:
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN)
    response = await client.get(
        f"/coordination/v1/cases/{case_id}/support-meeting-links", headers=coordinator
    )
    assert response.status_code == 200, response.text
    return [link["support_meeting_id"] for link in response.json()]


async def links_kept(coordination: ServiceRuntime, meeting_id: str) -> int:
    async with coordination.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(SupportMeetingCaseLink)
            .where(SupportMeetingCaseLink.support_meeting_id == meeting_id)
        )
        return int(count or 0)


async def test_a_record_known_before_the_referral_is_linked_once_however_often_it_is_delivered(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    meeting_id, referral_id = _new_id(), _new_id()
    await record_meeting(coordination, meeting_id, tenant=OTOFUKE, town=OTOFUKE_TOWN)

    event = referred(referral_id, meeting_id)
    # Each handed over as a new CloudEvent (a new id), as a replay after a reset would be: the
    # inbox does not hold them back, the link's unique key does.
    await deliver(coordination, [event, event, event])

    case_id = await case_of(coordination, referral_id)
    assert await links_seen(client, settings, case_id) == [meeting_id]
    assert await links_kept(coordination, meeting_id) == 1


async def test_a_record_that_appears_after_the_referral_is_linked_from_then_on(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    meeting_id, referral_id = _new_id(), _new_id()
    await deliver(coordination, [referred(referral_id, meeting_id)])
    case_id = await case_of(coordination, referral_id)
    assert await links_seen(client, settings, case_id) == []  # not verifiable yet: not shown
    assert await links_kept(coordination, meeting_id) == 1  # but remembered

    await record_meeting(coordination, meeting_id, tenant=OTOFUKE, town=OTOFUKE_TOWN)

    assert await links_seen(client, settings, case_id) == [meeting_id]
    officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer")
    async with coordination.db.transaction() as session:  # the record's officer accepted by recording
        session.add(
            ConfidentialityAcceptance(
                id=_new_id(),
                tenant_id=OTOFUKE,
                meeting_id=meeting_id,
                organisation_id=OTOFUKE_TOWN,
                subject="officer",
                name="担当",
                role=None,
                accepted_at=REFERRED,
                on_recording=True,
            )
        )
    seen = await client.get(f"/coordination/v1/support-meetings/{meeting_id}", headers=officer)
    assert seen.status_code == 200, seen.text
    assert seen.json()["linked_case_ids"] == [case_id]


async def test_another_municipalitys_record_named_by_a_referral_is_never_shown(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    meeting_id, referral_id = _new_id(), _new_id()
    await record_meeting(coordination, meeting_id, tenant=NAGAIZUMI, town=NAGAIZUMI_TOWN)

    await deliver(coordination, [referred(referral_id, meeting_id)])  # an Otofuke referral names it

    case_id = await case_of(coordination, referral_id)
    assert await links_seen(client, settings, case_id) == []
    nagaizumi = bearer(settings, "coordinator", tenant=NAGAIZUMI, org=NAGAIZUMI_TOWN)
    response = await client.get(f"/coordination/v1/cases/{case_id}/support-meeting-links", headers=nagaizumi)
    assert response.status_code == 404  # nor is Otofuke's case anything to Nagaizumi


async def test_a_referral_naming_no_record_links_nothing(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    referral_id = _new_id()
    await deliver(coordination, [referred(referral_id, None)])
    case_id = await case_of(coordination, referral_id)
    assert await links_seen(client, settings, case_id) == []
    async with coordination.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(SupportMeetingCaseLink)
            .where(SupportMeetingCaseLink.case_id == case_id)
        )
    assert count == 0


async def test_the_member_organisations_of_a_cases_meetings_are_known_whatever_the_callers_reach(
    coordination: ServiceRuntime,
) -> None:
    """What the legal basis "support meeting" of sharing a case's data is checked against."""
    linked, unlinked, elsewhere, referral_id = _new_id(), _new_id(), _new_id(), _new_id()
    await record_meeting(coordination, linked, tenant=OTOFUKE, town=OTOFUKE_TOWN)
    await record_meeting(coordination, unlinked, tenant=OTOFUKE, town=OTOFUKE_TOWN)
    await record_meeting(coordination, elsewhere, tenant=NAGAIZUMI, town=NAGAIZUMI_TOWN)
    await deliver(coordination, [referred(referral_id, linked), referred(referral_id, elsewhere)])
    case_id = await case_of(coordination, referral_id)

    party = DataScope(OTOFUKE, RANRAN_OPERATOR, Reach.party)  # sees no support-meeting record itself
    async with coordination.db.transaction(scope=party) as session:
        members = await service.members_of_linked_meetings(
            session=session, case_id=case_id, tenant_id=OTOFUKE
        )
        assert await session.get(SupportMeeting, linked) is None

    assert members == {linked: [OTOFUKE_TOWN]}
