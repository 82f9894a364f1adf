"""One of everything, owned by らんらん's operator in Otofuke: the objects the access tests aim at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx

from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually


@dataclass(frozen=True)
class World:
    consultation_id: str
    consent_id: str
    referral_id: str
    case_id: str
    meeting_id: str
    resource_id: str


async def build_world(client: httpx.AsyncClient, settings: Settings) -> World:
    staff = bearer(settings, "window_staff")
    created = await client.post("/intake/v1/consultations", json=consultation_body(), headers=staff)
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    consent = await client.post(
        f"/intake/v1/consultations/{consultation_id}/consents", json=consent_body(), headers=staff
    )
    assert consent.status_code == 201, consent.text
    referral = await client.post(
        f"/intake/v1/consultations/{consultation_id}/referrals", json={}, headers=staff
    )
    assert referral.status_code == 201, referral.text
    referral_id = referral.json()["id"]
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN)

    async def case_id() -> str | None:
        page = await client.get(
            "/coordination/v1/cases", params={"referral_id": referral_id}, headers=coordinator
        )
        items = page.json()["items"]
        return items[0]["id"] if items else None

    case = await eventually(case_id)
    meeting = await client.post(
        "/coordination/v1/support-meetings",
        json={
            "held_on": date.today().isoformat(),
            "members": [OTOFUKE_TOWN, RANRAN_OPERATOR],
            "concerning": "近隣から心配の声がある高齢の世帯",
        },
        headers=bearer(settings, "municipal_officer", org=OTOFUKE_TOWN),
    )
    assert meeting.status_code == 201, meeting.text
    resource = await client.post(
        "/directory/v1/resources",
        json={
            "name": "地域食堂",
            "name_kana": "チイキショクドウ",
            "kind": "community_program",
            "field": "hardship",
        },
        headers=bearer(settings, "directory_editor", org=OTOFUKE_TOWN),
    )
    assert resource.status_code == 201, resource.text
    return World(
        consultation_id, consent.json()["id"], referral_id, case, meeting.json()["id"], resource.json()["id"]
    )
