"""Support-meeting (支援会議) records refuse what they must not hold: a tax consent that is not the
person's real, standing consent to share tax information; members that are not organisations of the
municipality; records naming organisations that are not members; a meeting not yet held. Each
refusal is a 422 naming the field, and nothing is saved. Their material is shown only to member
persons who accepted the statutory duty of confidentiality (Art. 106-6).

The module's tests share one system: each records its own consultations and consents, and counts the
meetings saved before and after its own requests. The rules are tabled in
tests/unit/test_support_meeting_rules.py; here each is shown wired to the route."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.coordination.consents.models import KnownConsent
from services.coordination.support_meetings.models import ConfidentialityAcceptance, SupportMeeting
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.api.helpers import EN, assert_problem, record_consent, record_consultation, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

MEETINGS = "/coordination/v1/support-meetings"
JST = timezone(timedelta(hours=9))
NAGAIZUMI_TOWN = "223417-town"


def today_in_japan() -> str:
    return datetime.now(JST).date().isoformat()


OFFICER = "officer-otofuke"  # the recording officer's token subject


def members(*organisations: str) -> list[dict[str, Any]]:
    """One person attending for each organisation, known by the subject `staff@<org>`."""
    return [{"organisation_id": org, "name": "担当 太郎", "subject": f"staff@{org}"} for org in organisations]


def meeting(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "held_on": today_in_japan(),
        "members": members(OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK),
        "concerning": "同意が得られていない高齢の世帯",
        "discussion": "民生委員から見守りの報告",
    }
    body.update(overrides)
    return body


@pytest.fixture
def officer(settings: Settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject=OFFICER)


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
    assert response.json()["member_organisations"] == [OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK]
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
        MEETINGS,
        json=meeting(members=members(OTOFUKE_TOWN, RANRAN_OPERATOR, NAGAIZUMI_TOWN)),
        headers=officer,
    )

    assert_problem(
        response,
        status=422,
        slug="validation-error",
        fields={"members[2].organisation_id": "other_municipality"},
    )
    assert await meetings_saved(app) == before


async def test_an_organisation_the_directory_does_not_list_is_refused(client, app, officer) -> None:
    before = await meetings_saved(app)
    response = await client.post(
        MEETINGS,
        json=meeting(members=members(OTOFUKE_TOWN, "016314-no-such-npo", RANRAN_OPERATOR)),
        headers=officer,
    )

    problem = assert_problem(
        response,
        status=422,
        slug="validation-error",
        fields={"members[1].organisation_id": "unknown_organisation"},
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


# --- the duty of confidentiality, before any material ---------------------------------------------


def acceptances_path(meeting_id: str) -> str:
    return f"{MEETINGS}/{meeting_id}/confidentiality-acceptances"


async def acceptances_saved(app: FastAPI, meeting_id: str) -> list[ConfidentialityAcceptance]:
    async with runtimes_of(app)["coordination"].db.transaction() as session:
        rows = await session.scalars(
            select(ConfidentialityAcceptance).where(ConfidentialityAcceptance.meeting_id == meeting_id)
        )
        return list(rows.all())


async def test_a_member_person_is_refused_the_material_until_they_accept_the_duty(
    client, app, settings, officer
) -> None:
    created = await client.post(MEETINGS, json=meeting(), headers=officer)
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    path = f"{MEETINGS}/{meeting_id}"
    member = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject=f"staff@{RANRAN_OPERATOR}")

    # Refused, in Japanese by default and in English on request, with where to accept.
    problem = assert_problem(
        await client.get(path, headers=member),
        status=403,
        slug="support-meeting-confidentiality-not-accepted",
    )
    assert "守秘義務" in problem["title"] and "第106条の6" in problem["title"]
    assert problem["accept_at"] == acceptances_path(meeting_id)
    english = (await client.get(path, headers={**member, **EN})).json()
    assert "confidentiality" in english["title"] and "Art. 106-6" in english["title"]
    # The list shows the meeting, so they can find it, but none of its material.
    listed = (await client.get(MEETINGS, params={"limit": 200}, headers=member)).json()["items"]
    (summary,) = [m for m in listed if m["id"] == meeting_id]
    assert summary["material_shown"] is False
    assert summary["concerning"] is None and summary["discussion"] is None
    assert summary["information_shared"] is None and summary["linked_case_ids"] is None

    accepted = await client.post(acceptances_path(meeting_id), json={}, headers=member)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["subject"] == f"staff@{RANRAN_OPERATOR}"
    assert accepted.json()["organisation_id"] == RANRAN_OPERATOR
    assert accepted.json()["name"] == "担当 太郎" and accepted.json()["on_recording"] is False
    again = await client.post(acceptances_path(meeting_id), json={}, headers=member)
    assert again.status_code == 201 and again.json() == accepted.json()  # the first acceptance stands

    seen = await client.get(path, headers=member)
    assert seen.status_code == 200, seen.text
    assert seen.json()["material_shown"] is True
    assert seen.json()["concerning"] == "同意が得られていない高齢の世帯"
    assert seen.json()["discussion"] == "民生委員から見守りの報告"
    by_subject = {m["subject"]: m for m in seen.json()["members"]}
    assert (
        by_subject[f"staff@{RANRAN_OPERATOR}"]["confidentiality_accepted_at"]
        == accepted.json()["accepted_at"]
    )
    assert by_subject[f"staff@{WILLWORK}"]["confidentiality_accepted_at"] is None
    # The recording officer accepted by recording; the acceptances are one per person.
    assert by_subject[OFFICER]["confidentiality_accepted_at"] is not None
    saved = await acceptances_saved(app, meeting_id)
    assert sorted((a.subject, a.on_recording) for a in saved) == [
        (OFFICER, True),
        (f"staff@{RANRAN_OPERATOR}", False),
    ]


async def test_the_recording_officer_sees_the_material_at_once(client, officer) -> None:
    created = await client.post(MEETINGS, json=meeting(members=members(RANRAN_OPERATOR)), headers=officer)
    assert created.status_code == 201, created.text
    assert created.json()["material_shown"] is True
    assert created.json()["member_organisations"] == [RANRAN_OPERATOR, OTOFUKE_TOWN]
    recorder = [m for m in created.json()["members"] if m["subject"] == OFFICER]
    assert recorder and recorder[0]["organisation_id"] == OTOFUKE_TOWN
    assert recorder[0]["confidentiality_accepted_at"] is not None
    seen = await client.get(f"{MEETINGS}/{created.json()['id']}", headers=officer)
    assert seen.status_code == 200, seen.text


async def test_staff_not_named_for_the_meeting_are_not_member_persons_and_outsiders_see_nothing(
    client, settings, officer
) -> None:
    created = await client.post(MEETINGS, json=meeting(), headers=officer)
    meeting_id = created.json()["id"]
    colleague = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject="ranran-not-attending")
    for response in (
        await client.post(acceptances_path(meeting_id), json={}, headers=colleague),
        await client.get(f"{MEETINGS}/{meeting_id}", headers=colleague),
    ):
        assert_problem(response, status=403, slug="support-meeting-not-a-member-person")
    # Another officer of the town did not attend either: the convening organisation names its own.
    other_officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-other")
    assert (await client.get(f"{MEETINGS}/{meeting_id}", headers=other_officer)).status_code == 403
    outsider = bearer(settings, "window_staff", org="016314-shakyo", subject="staff@016314-shakyo")
    assert (await client.get(f"{MEETINGS}/{meeting_id}", headers=outsider)).status_code == 404
    assert (await client.post(acceptances_path(meeting_id), json={}, headers=outsider)).status_code == 404


async def test_a_record_kept_before_member_persons_lets_a_member_organisations_staff_accept(
    client, app, settings
) -> None:
    """As 0012 migrates them: member organisations, no persons, no acceptances."""
    meeting_id = str(uuid.uuid4())
    async with runtimes_of(app)["coordination"].db.transaction() as session:
        session.add(
            SupportMeeting(
                id=meeting_id,
                tenant_id="016314",
                convened_by=OTOFUKE_TOWN,
                held_on=datetime.now(JST).date(),
                members=[OTOFUKE_TOWN, RANRAN_OPERATOR],
                member_index=f"|{OTOFUKE_TOWN}|{RANRAN_OPERATOR}|",
                member_persons=None,
                concerning="以前の記録",
                created_at=datetime.now(UTC),
                version=1,
            )
        )
    staff = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject="ranran-earlier")
    path = f"{MEETINGS}/{meeting_id}"
    assert_problem(
        await client.get(path, headers=staff), status=403, slug="support-meeting-confidentiality-not-accepted"
    )
    assert_problem(
        await client.post(acceptances_path(meeting_id), json={}, headers=staff),
        status=422,
        slug="validation-error",
        fields={"name": "missing"},
    )
    accepted = await client.post(acceptances_path(meeting_id), json={"name": "柏寿 花子"}, headers=staff)
    assert accepted.status_code == 201, accepted.text
    seen = (await client.get(path, headers=staff)).json()
    assert seen["concerning"] == "以前の記録"
    assert seen["information_shared"] == [] and seen["watching"] == []
    assert [(m["subject"], m["name"]) for m in seen["members"]] == [("ranran-earlier", "柏寿 花子")]


# --- the records of the meeting --------------------------------------------------------------------


RECORDS: dict[str, Any] = {
    "information_shared": [{"organisation_id": WILLWORK, "information": "家賃の滞納が3か月"}],
    "watching": [
        {"organisation_id": RANRAN_OPERATOR, "method": "visit", "frequency": "週1回"},
        {"organisation_id": OTOFUKE_TOWN, "method": "neighbourhood", "frequency": "随時", "note": "民生委員"},
    ],
    "direction": "地域包括支援センターが関係づくりを進め、同意が得られれば多機関協働につなぐ",
    "emergency_responses": [
        {
            "situation": "訪問時に応答がないとき",
            "response": "町に連絡し安否確認",
            "organisation_id": OTOFUKE_TOWN,
        },
        {"situation": "火災・急病", "response": "119番通報"},
    ],
}


async def test_the_records_of_the_meeting_are_kept_as_given(client, officer) -> None:
    created = await client.post(MEETINGS, json=meeting(**RECORDS), headers=officer)
    assert created.status_code == 201, created.text
    seen = (await client.get(f"{MEETINGS}/{created.json()['id']}", headers=officer)).json()
    assert seen["information_shared"] == RECORDS["information_shared"]
    assert seen["watching"][0] == {**RECORDS["watching"][0], "note": None}
    assert seen["watching"][1] == RECORDS["watching"][1]
    assert seen["direction"] == RECORDS["direction"]
    assert seen["emergency_responses"][0] == RECORDS["emergency_responses"][0]
    assert seen["emergency_responses"][1] == {**RECORDS["emergency_responses"][1], "organisation_id": None}


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"watching": [{"organisation_id": "016314-shakyo", "method": "visit", "frequency": "週1回"}]},
            "watching[0].organisation_id",
            "not_a_member",
        ),
        (
            {"information_shared": [{"organisation_id": NAGAIZUMI_TOWN, "information": "x"}]},
            "information_shared[0].organisation_id",
            "not_a_member",
        ),
        (
            {
                "emergency_responses": [
                    {"situation": "x", "response": "y", "organisation_id": "016314-shakyo"}
                ]
            },
            "emergency_responses[0].organisation_id",
            "not_a_member",
        ),
        (
            {"members": [*members(RANRAN_OPERATOR), *members(RANRAN_OPERATOR)]},
            "members[1].subject",
            "duplicate",
        ),
    ],
)
async def test_records_naming_organisations_that_are_not_members_are_refused(
    client, app, officer, overrides: dict[str, Any], field: str, code: str
) -> None:
    before = await meetings_saved(app)
    response = await client.post(MEETINGS, json=meeting(**overrides), headers=officer)
    assert_problem(response, status=422, slug="validation-error", fields={field: code})
    assert await meetings_saved(app) == before
