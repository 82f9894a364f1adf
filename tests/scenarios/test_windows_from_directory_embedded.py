"""Windows come from the resource directory: published, renamed and retired there, seen in intake.

The whole embedded system (`make run`): the directory writes its events to its outbox, the relay puts
them on the in-process bus, intake's consumer keeps its windows.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.directory.resources.schemas import ResourceIn
from services.directory.resources.service import publish_many
from shared.db import utcnow
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.support.builders import OTOFUKE, OTOFUKE_TOWN, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually

RESOURCES = "/directory/v1/resources"
WINDOWS = "/intake/v1/windows"
CONSULTATIONS = "/intake/v1/consultations"
SHAKYO = "016314-shakyo"  # 社会福祉法人音更町社会福祉協議会, in the reference data

NEW_WINDOW = {
    "name": "ひきこもり相談窓口",
    "name_kana": "ヒキコモリソウダンマドグチ",
    "kind": "window",
    "field": "hardship",
    "legal_item": "1ニ",
    "organisation_id": SHAKYO,
    "operation": "commissioned",
    "phones": [{"number": "42-2111", "extension": "301"}, {"number": "42-5160", "type": "fax"}],
    "areas": [{"kind": "municipality", "name": "町内一円"}],
}


async def window_listed(
    client: httpx.AsyncClient, code: str, name: str | None = None
) -> dict[str, Any] | None:
    """The window once intake lists it (under `name`, when given)."""
    windows = (await client.get(WINDOWS)).json()
    return next((w for w in windows if w["code"] == code and name in (None, w["name"])), None)


async def test_the_reference_windows_are_there_after_start_up(client) -> None:
    codes = [w["code"] for w in (await client.get(WINDOWS)).json()]

    assert codes == [
        "016314-hohoemi",
        "016314-kikan-sodan",
        "016314-kodomo-katei-center",
        "016314-lotus-otofuke",
        "016314-ranran",
        "016314-seikatsu-sodan",
    ]


async def test_a_window_published_in_the_directory_takes_consultations_in_intake(
    client, settings: Settings
) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    published = await client.post(RESOURCES, json=NEW_WINDOW, headers=editor)
    assert published.status_code == 201, published.text
    code = published.json()["id"]

    window = await eventually(lambda: window_listed(client, code))

    assert window == {
        "code": code,
        "tenant_id": OTOFUKE,
        "name": "ひきこもり相談窓口",
        "field": "hardship",
        "operator_name": "社会福祉法人音更町社会福祉協議会",
        "operator_id": SHAKYO,
        "operation": "commissioned",
        "phone": "42-2111",
        "extension": "301",
        "catchment": "町内一円",
        "active": True,
    }

    # The council's staff record a consultation there, get consent and refer it: a case opens.
    staff = bearer(settings, "window_staff", org=SHAKYO, subject="staff-shakyo")
    created = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=staff)
    assert created.status_code == 201, created.text
    consultation = created.json()
    assert consultation["window_code"] == code
    # Staff of another operator cannot record there: the window is not theirs.
    others = bearer(settings, "window_staff")
    refused = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=others)
    assert refused.status_code == 422, refused.text
    consent = await client.post(
        f"{CONSULTATIONS}/{consultation['id']}/consents", json=consent_body(), headers=staff
    )
    assert consent.status_code == 201, consent.text
    referral = await client.post(f"{CONSULTATIONS}/{consultation['id']}/referrals", json={}, headers=staff)
    assert referral.status_code == 201, referral.text

    async def accepted() -> dict[str, Any] | None:
        seen = (await client.get(f"/intake/v1/referrals/{referral.json()['id']}", headers=staff)).json()
        return seen if seen["status"] == "accepted" else None

    await eventually(accepted)


async def test_renaming_and_retiring_in_the_directory_reach_intake(client, settings: Settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    published = (await client.post(RESOURCES, json=NEW_WINDOW, headers=editor)).json()
    code = published["id"]
    await eventually(lambda: window_listed(client, code))

    renamed = await client.put(
        f"{RESOURCES}/{code}",
        json={**NEW_WINDOW, "name": "ひきこもり・不登校相談窓口"},
        headers={**editor, "If-Match": published["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    await eventually(lambda: window_listed(client, code, "ひきこもり・不登校相談窓口"))

    retired = await client.post(
        f"{RESOURCES}/{code}/retirement", headers={**editor, "If-Match": renamed.headers["etag"]}
    )
    assert retired.status_code == 200, retired.text

    async def gone() -> bool:
        return await window_listed(client, code) is None

    await eventually(gone)
    staff = bearer(settings, "window_staff", org=SHAKYO)
    refused = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=staff)
    assert refused.status_code == 422, refused.text


async def test_windows_published_in_bulk_reach_intake_too(client, app) -> None:
    # The bulk path of CSV and HSDS imports writes its own events (`publish_many`).
    async with runtimes_of(app)["directory"].db.transaction() as session:
        await publish_many(
            session=session,
            tenant_id=OTOFUKE,
            items=[ResourceIn.model_validate({**NEW_WINDOW, "name": "一括登録の相談窓口"})],
            actor="csv-import",
            now=utcnow(),
        )

    async def listed() -> dict[str, Any] | None:
        windows = (await client.get(WINDOWS)).json()
        return next((w for w in windows if w["name"] == "一括登録の相談窓口"), None)

    window = await eventually(listed)
    assert (window["operator_id"], window["operator_name"]) == (SHAKYO, "社会福祉法人音更町社会福祉協議会")
    assert (window["phone"], window["extension"], window["catchment"]) == ("42-2111", "301", "町内一円")
