"""Support-meeting (支援会議) records refuse what they must not hold: a tax consent that is not the
person's real, standing consent to share tax information; members that are not organisations of the
municipality; a meeting not yet held. Each refusal is a 422 naming the field, and nothing is saved.

The module's tests share one system: each records its own consultations and consents, and counts the
meetings saved before and after its own requests. The rules are tabled in
tests/unit/test_support_meeting_rules.py; here each is shown wired to the route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.coordination.consents.models import KnownConsent
from services.coordination.support_meetings.models import SupportMeeting
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.api.helpers import assert_problem, record_consent, record_consultation, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

MEETINGS = "/coordination/v1/support-meetings"
JST = timezone(timedelta(hours=9))
NAGAIZUMI_TOWN = "223417-town"


def today_in_japan() -> str:
    return datetime.now(JST).date().isoformat()


def meeting(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "held_on": today_in_japan(),
        "members": [OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK],
        "concerning": "同意が得られていない高齢の世帯",
        "discussion": "民生委員から見守りの報告",
    }
    body.update(overrides)
    return body


@pytest.fixture
def officer(settings: Settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", org=OTOFUKE_TOWN)


async def meetings_saved(app: FastAPI) -> int:
    async with runtimes_of(app)["coordination"].db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(SupportMeeting)) or 0)


async def consent_known(client: httpx.AsyncClient, officer: dict[str, str], **consent: Any) -> dict[str, Any]:
    """A consultation and a consent recorded at a window, once coordination has heard of it (the
    meeting with that consent is accepted: polled until ConsentRecorded has been applied)."""
    consultation = await record_consultation(client)
    given = await record_consent(client, consultation["id"], **consent)
    return {"consultation": consultation, "consent": given}


async def test_a_meeting_with_known_members_held_today_is_recorded(client, app, officer) -> None:
    before = await meetings_saved(app)
    response = await client.post(MEETINGS, json=meeting(), headers=officer)

    assert response.status_code == 201, response.text
    assert response.json()["members"] == [OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK]
    assert await meetings_saved(app) == before + 1


async def test_a_meeting_dated_tomorrow_in_japan_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    tomorrow = (datetime.now(JST).date() + timedelta(days=1)).isoformat()

    response = await client.post(MEETINGS, json=meeting(held_on=tomorrow), headers=officer)

    assert_problem(response, status=422, slug="validation-error", fields={"held_on": "in_future"})
    assert await meetings_saved(app) == before


async def test_a_member_of_another_municipality_is_refused_by_its_position(client, app, officer) -> None:
    before = await meetings_saved(app)
    response = await client.post(
        MEETINGS, json=meeting(members=[OTOFUKE_TOWN, RANRAN_OPERATOR, NAGAIZUMI_TOWN]), headers=officer
    )

    assert_problem(response, status=422, slug="validation-error", fields={"members[2]": "other_municipality"})
    assert await meetings_saved(app) == before


async def test_an_organisation_the_directory_does_not_list_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    response = await client.post(
        MEETINGS,
        json=meeting(members=[OTOFUKE_TOWN, "016314-no-such-npo", RANRAN_OPERATOR]),
        headers=officer,
    )

    problem = assert_problem(
        response, status=422, slug="validation-error", fields={"members[1]": "unknown_organisation"}
    )
    assert "016314-no-such-npo" in problem["errors"][0]["message"]
    assert await meetings_saved(app) == before


async def test_a_made_up_tax_consent_id_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    consultation = await record_consultation(client)

    response = await client.post(
        MEETINGS,
        json=meeting(
            consultation_id=consultation["id"],
            tax_information="住民税の滞納あり",
            tax_consent_id="00000000-0000-4000-8000-000000000000",
        ),
        headers=officer,
    )

    assert_problem(
        response, status=422, slug="validation-error", fields={"tax_consent_id": "unknown_consent"}
    )
    assert await meetings_saved(app) == before


async def test_a_tax_consent_needs_the_persons_consultation(client, app, officer) -> None:
    known = await consent_known(
        client, officer, data_classes=["identity", "tax"], purposes=["support_meeting"]
    )

    response = await client.post(
        MEETINGS,
        json=meeting(tax_information="住民税の滞納あり", tax_consent_id=known["consent"]["id"]),
        headers=officer,
    )

    assert_problem(
        response, status=422, slug="validation-error", fields={"consultation_id": "required_with_tax_consent"}
    )


async def _with_tax(
    client: httpx.AsyncClient, officer: dict[str, str], consultation_id: str, consent_id: str
) -> httpx.Response:
    return await client.post(
        MEETINGS,
        json=meeting(
            consultation_id=consultation_id, tax_information="住民税の滞納あり", tax_consent_id=consent_id
        ),
        headers=officer,
    )


async def test_the_persons_standing_tax_consent_is_accepted_and_its_withdrawal_then_refused(
    client, app, officer
) -> None:
    before = await meetings_saved(app)
    known = await consent_known(
        client, officer, data_classes=["identity", "tax"], purposes=["support_meeting"]
    )
    consultation_id, consent = known["consultation"]["id"], known["consent"]

    async def accepted() -> httpx.Response | None:
        response = await _with_tax(client, officer, consultation_id, consent["id"])
        return response if response.status_code == 201 else None

    created = await eventually(accepted)
    assert created.json()["tax_information"] == "住民税の滞納あり"

    withdrawal = await client.post(
        f"/intake/v1/consultations/{consultation_id}/consents/{consent['id']}/withdrawal",
        json={},
        headers={"If-Match": consent["etag"]},
    )
    assert withdrawal.status_code == 200, withdrawal.text

    async def withdrawal_heard() -> bool:
        async with runtimes_of(app)["coordination"].db.transaction() as session:
            known = await session.get(KnownConsent, consent["id"])
            return known is not None and known.withdrawn_at is not None

    await eventually(withdrawal_heard)
    assert_problem(
        await _with_tax(client, officer, consultation_id, consent["id"]),
        status=422,
        slug="validation-error",
        fields={"tax_consent_id": "consent_withdrawn"},
    )
    assert await meetings_saved(app) == before + 1
    # The record stays, but its tax information is no longer shown to the members.
    seen = await client.get(f"{MEETINGS}/{created.json()['id']}", headers=officer)
    assert seen.status_code == 200, seen.text
    assert seen.json()["tax_information"] is None
    assert seen.json()["discussion"] == "民生委員から見守りの報告"
    listed = (await client.get(MEETINGS, headers=officer)).json()["items"]
    assert [m["tax_information"] for m in listed if m["id"] == created.json()["id"]] == [None]


async def test_a_consent_given_for_collaboration_only_does_not_reach_a_support_meeting(
    client, app, officer
) -> None:
    before = await meetings_saved(app)
    known = await consent_known(client, officer, data_classes=["identity", "concerns", "tax"])
    consultation_id, consent_id = known["consultation"]["id"], known["consent"]["id"]

    async def answered() -> httpx.Response | None:
        response = await _with_tax(client, officer, consultation_id, consent_id)
        codes = {e["code"] for e in response.json().get("errors", [])}
        return response if "unknown_consent" not in codes else None  # until coordination has heard of it

    assert_problem(
        await eventually(answered),
        status=422,
        slug="validation-error",
        fields={"tax_consent_id": "consent_not_for_support_meeting"},
    )
    assert await meetings_saved(app) == before


async def test_a_consent_that_does_not_name_tax_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    known = await consent_known(
        client, officer, data_classes=["identity", "concerns"], purposes=["support_meeting"]
    )
    consultation_id, consent_id = known["consultation"]["id"], known["consent"]["id"]

    async def answered() -> httpx.Response | None:
        response = await _with_tax(client, officer, consultation_id, consent_id)
        problem = response.json()
        codes = {e["code"] for e in problem.get("errors", [])}
        return response if "unknown_consent" not in codes else None  # until coordination has heard of it

    assert_problem(
        await eventually(answered),
        status=422,
        slug="validation-error",
        fields={"tax_consent_id": "consent_without_tax"},
    )
    assert await meetings_saved(app) == before


async def test_another_persons_tax_consent_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    known = await consent_known(
        client, officer, data_classes=["identity", "tax"], purposes=["support_meeting"]
    )
    someone_else = await record_consultation(client)

    response = await _with_tax(client, officer, someone_else["id"], known["consent"]["id"])

    assert_problem(
        response, status=422, slug="validation-error", fields={"tax_consent_id": "unknown_consent"}
    )
    assert await meetings_saved(app) == before


async def test_a_consent_recorded_by_intake_reaches_coordination_without_personal_data(client, app) -> None:
    known = await consent_known(client, {}, data_classes=["identity", "tax"], purposes=["support_meeting"])
    intake = runtimes_of(app)["intake"]
    outbox = intake.definition.messaging.outbox
    async with intake.db.transaction() as session:
        rows = (
            await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type.like("%ConsentRecorded%"))
            )
        ).all()
    (envelope,) = [
        row.envelope for row in rows if row.envelope["data"]["consent_id"] == known["consent"]["id"]
    ]
    assert set(envelope["data"]) == {
        "consent_id",
        "consultation_id",
        "tenant_id",
        "organisation_id",
        "purposes",
        "data_classes",
        "organisations",
        "obtained_at",
        "valid_from",
        "method",
    }
    assert envelope["partitionkey"] == known["consultation"]["id"]
    assert datetime.fromisoformat(envelope["data"]["obtained_at"]) <= datetime.now(UTC)
