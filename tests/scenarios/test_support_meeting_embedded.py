"""A person discussed at a support meeting (支援会議) without their consent later consents; the window
refers them naming the meeting's record, and coordination links the new case to it. The meeting's
material stays with its member persons: the coordinator learns that a meeting preceded the case (its
id), the organisations taking part in the case not even that."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy import select

from services.intake.db import messaging as intake_messaging
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually

JST = timezone(timedelta(hours=9))
TODAY = datetime.now(JST).date()  # the one day of this module
MEETINGS = "/coordination/v1/support-meetings"


async def _created(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, (path, response.text)
    return response.json()


async def test_a_person_who_later_consents_becomes_a_case_linked_to_the_support_meeting(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:
    officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-otofuke")
    member = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject="ranran-member")
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-sato")
    party = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject="ranran-other")

    # 1. The town convenes a support meeting about a household that has not consented.
    meeting = await _created(
        client,
        MEETINGS,
        {
            "held_on": (TODAY - timedelta(days=14)).isoformat(),
            "members": [
                {"organisation_id": RANRAN_OPERATOR, "name": "柏寿 花子", "subject": "ranran-member"}
            ],
            "concerning": "同意が得られていない高齢の世帯",
            "discussion": "民生委員から見守りの報告",
            "watching": [{"organisation_id": RANRAN_OPERATOR, "method": "visit", "frequency": "週1回"}],
        },
        officer,
    )
    await _created(client, f"{MEETINGS}/{meeting['id']}/confidentiality-acceptances", {}, member)

    # 2. Two weeks on the person consents at らんらん; the window refers them, naming the record.
    consultation = await _created(client, "/intake/v1/consultations", consultation_body())
    await _created(client, f"/intake/v1/consultations/{consultation['id']}/consents", consent_body())
    referral = await _created(
        client,
        f"/intake/v1/consultations/{consultation['id']}/referrals",
        {"reason": "支援会議で見守っていた世帯が同意した", "support_meeting_id": meeting["id"]},
    )
    assert referral["support_meeting_id"] == meeting["id"]

    async def case_opened() -> str | None:
        page = (
            await client.get(
                "/coordination/v1/cases", params={"referral_id": referral["id"]}, headers=coordinator
            )
        ).json()
        return page["items"][0]["id"] if page["items"] else None

    case_id = await eventually(case_opened)

    # 3. The record shows its linked case to its member persons.
    async def linked() -> dict[str, Any] | None:
        seen = (await client.get(f"{MEETINGS}/{meeting['id']}", headers=member)).json()
        return seen if seen["linked_case_ids"] else None

    assert (await eventually(linked))["linked_case_ids"] == [case_id]
    assert (await client.get(f"{MEETINGS}/{meeting['id']}", headers=officer)).json()["linked_case_ids"] == [
        case_id
    ]

    # 4. The coordinator learns a support meeting preceded the case: its id, not its material.
    links = await client.get(f"/coordination/v1/cases/{case_id}/support-meeting-links", headers=coordinator)
    assert links.status_code == 200, links.text
    assert [(link["support_meeting_id"], link["case_id"]) for link in links.json()] == [
        (meeting["id"], case_id)
    ]
    assert "民生委員" not in links.text
    # ... and reading the meeting itself stays refused: the town is a member, its coordinator did
    # not attend.
    read = await client.get(f"{MEETINGS}/{meeting['id']}", headers=coordinator)
    assert read.status_code == 403
    assert read.json()["type"].endswith("/support-meeting-not-a-member-person")
    # The organisations taking part in the case see the case, but neither the link nor the material.
    case_seen = await client.get(f"/coordination/v1/cases/{case_id}", headers=party)
    assert case_seen.status_code == 200, case_seen.text
    assert meeting["id"] not in case_seen.text and "民生委員" not in case_seen.text
    refused = await client.get(f"/coordination/v1/cases/{case_id}/support-meeting-links", headers=party)
    assert refused.status_code == 403
    assert (await client.get(f"{MEETINGS}/{meeting['id']}", headers=party)).status_code == 403

    # CaseReferred carried the record's id (an id only: intake holds nothing of the meeting).
    intake = runtimes_of(app)["intake"]
    outbox = intake_messaging.outbox
    async with intake.db.transaction() as session:
        envelopes = [row.envelope for row in (await session.execute(select(outbox.c.envelope))).all()]
    (sent,) = [e for e in envelopes if e["data"].get("referral_id") == referral["id"]]
    assert sent["data"]["support_meeting_id"] == meeting["id"]


async def test_a_referral_naming_a_record_by_something_that_is_no_record_id_is_refused(
    client: httpx.AsyncClient, app
) -> None:
    consultation = await _created(client, "/intake/v1/consultations", consultation_body())
    await _created(client, f"/intake/v1/consultations/{consultation['id']}/consents", consent_body())

    response = await client.post(
        f"/intake/v1/consultations/{consultation['id']}/referrals",
        json={"reason": "8050", "support_meeting_id": "x" * 37},
    )

    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["support_meeting_id"]
    listed = await client.get(f"/intake/v1/consultations/{consultation['id']}/referrals")
    assert listed.json() == []  # nothing saved


async def test_a_member_of_the_linked_support_meeting_is_shown_the_person_on_that_basis(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The consent names the window only; the council, a member of the support meeting the case is
    linked to, takes part in the case and is shown the person on the meeting's basis (Art. 106-6)."""
    shakyo = "016314-shakyo"
    officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-otofuke")
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-sato")
    council = bearer(settings, "outreach_worker", org=shakyo, subject="shakyo-suzuki")
    meeting = await _created(
        client,
        MEETINGS,
        {
            "held_on": (TODAY - timedelta(days=7)).isoformat(),
            "members": [
                {"organisation_id": RANRAN_OPERATOR, "name": "柏寿 花子", "subject": "ranran-member"},
                {"organisation_id": shakyo, "name": "社協 鈴木", "subject": "shakyo-suzuki"},
            ],
            "concerning": "ひきこもりが続く世帯",
        },
        officer,
    )
    consultation = await _created(client, "/intake/v1/consultations", consultation_body())
    await _created(
        client,
        f"/intake/v1/consultations/{consultation['id']}/consents",
        consent_body(organisations=[RANRAN_OPERATOR]),
    )
    referral = await _created(
        client,
        f"/intake/v1/consultations/{consultation['id']}/referrals",
        {"reason": "支援会議の世帯が同意した", "support_meeting_id": meeting["id"]},
    )

    async def case_opened() -> str | None:
        page = (
            await client.get(
                "/coordination/v1/cases", params={"referral_id": referral["id"]}, headers=coordinator
            )
        ).json()
        return page["items"][0]["id"] if page["items"] else None

    case_id = await eventually(case_opened)
    await _created(
        client,
        f"/coordination/v1/cases/{case_id}/parties",
        {"organisation_id": shakyo, "role": "訪問による関係づくり", "from_on": TODAY.isoformat()},
        coordinator,
    )

    seen = await client.get(f"/coordination/v1/cases/{case_id}", headers=council)
    assert seen.status_code == 200, seen.text
    assert seen.json()["person_name"] is not None
    parties = (await client.get(f"/coordination/v1/cases/{case_id}/parties", headers=coordinator)).json()
    basis = {p["organisation_id"]: p["sharing"] for p in parties}
    assert (basis[shakyo]["basis"], basis[shakyo]["reference"]) == ("support_meeting", meeting["id"])
    assert basis[RANRAN_OPERATOR]["basis"] == "consent"
    disclosures = (
        await client.get(f"/coordination/v1/cases/{case_id}/disclosures", headers=coordinator)
    ).json()
    assert [(d["organisation_id"], d["basis"], d["basis_reference"]) for d in disclosures["items"]] == [
        (shakyo, "support_meeting", meeting["id"])
    ]
