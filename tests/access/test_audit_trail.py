"""Every read and change of personal data leaves exactly its audit entry; the chain shows tampering.

The module's tests share one system, each finding its entries by request ids only it sends; the one
that tampers with the chain has a system of its own.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from sqlalchemy import func, select, text

from services.coordination.db import audit_log as coordination_audit
from services.intake.db import audit_log as intake_audit
from shared.runtime import runtimes_of
from tests.api.helpers import own_system, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

PURPOSE = {"X-Access-Purpose": quote("ケース検討のため")}  # headers are ASCII: percent-encoded UTF-8


async def _entries(app, service: str, table, request_id: str) -> list:
    async with runtimes_of(app)[service].db.transaction() as session:
        return list((await session.execute(select(table).where(table.c.request_id == request_id))).all())


async def test_each_personal_data_call_leaves_exactly_its_entry(
    client: httpx.AsyncClient, app, settings
) -> None:
    staff = {**bearer(settings, "window_staff", subject="yamada"), **PURPOSE}
    calls = []

    async def call(method: str, path: str, expect: tuple[str, str], **kwargs) -> httpx.Response:
        request_id = f"req-{len(calls)}"
        response = await client.request(method, path, headers={**staff, "X-Request-ID": request_id}, **kwargs)
        assert response.status_code in (200, 201), response.text
        calls.append((request_id, expect, response))
        return response

    created = await call(
        "POST", "/intake/v1/consultations", ("create", "consultation"), json=consultation_body()
    )
    consultation_id = created.json()["id"]
    await call("GET", f"/intake/v1/consultations/{consultation_id}", ("read", "consultation"))
    await call("GET", "/intake/v1/consultations", ("list", "consultation"))
    consent = await call(
        "POST",
        f"/intake/v1/consultations/{consultation_id}/consents",
        ("create", "consent"),
        json=consent_body(),
    )
    await call("GET", f"/intake/v1/consultations/{consultation_id}/consents", ("list", "consent"))
    referral = await call(
        "POST", f"/intake/v1/consultations/{consultation_id}/referrals", ("create", "referral"), json={}
    )
    await call("GET", f"/intake/v1/referrals/{referral.json()['id']}", ("read", "referral"))

    for request_id, (action, resource), response in calls:
        entries = await _entries(app, "intake", intake_audit, request_id)
        assert len(entries) == 1, (request_id, entries)
        entry = entries[0]
        assert (entry.action, entry.resource, entry.outcome) == (action, resource, "allowed")
        assert entry.subject == "yamada"
        assert entry.tenant_id == "016314" and entry.organisation_id == "016314-hakuju-kyokai"
        assert entry.roles == "window_staff"
        assert entry.purpose == "ケース検討のため"
        body = response.json()
        if action in ("create", "read"):
            assert entry.resource_id == body["id"]
    assert consent.json()["id"]


async def test_a_case_read_is_audited_in_coordination(client: httpx.AsyncClient, app, settings) -> None:
    staff = bearer(settings, "window_staff")
    created = (await client.post("/intake/v1/consultations", json=consultation_body(), headers=staff)).json()
    await client.post(
        f"/intake/v1/consultations/{created['id']}/consents", json=consent_body(), headers=staff
    )
    referral = (
        await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={}, headers=staff)
    ).json()
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="suishin-1")

    async def case() -> dict | None:
        page = (
            await client.get(
                "/coordination/v1/cases", params={"referral_id": referral["id"]}, headers=coordinator
            )
        ).json()
        return page["items"][0] if page["items"] else None

    listed = await eventually(case)
    await client.get(
        f"/coordination/v1/cases/{listed['id']}", headers={**coordinator, "X-Request-ID": "case-read"}
    )
    entries = await _entries(app, "coordination", coordination_audit, "case-read")
    assert [(e.action, e.resource, e.resource_id, e.subject) for e in entries] == [
        ("read", "case", listed["id"], "suishin-1")
    ]


async def test_a_refused_read_of_another_organisations_record_is_audited(client, app, settings) -> None:
    created = (await client.post("/intake/v1/consultations", json=consultation_body())).json()
    outsider = {
        **bearer(settings, "window_staff", org="016314-willwork", subject="tanaka"),
        "X-Request-ID": "peek",
    }
    response = await client.get(f"/intake/v1/consultations/{created['id']}", headers=outsider)
    assert response.status_code == 404
    [entry] = await _entries(app, "intake", intake_audit, "peek")
    assert (entry.outcome, entry.status, entry.subject, entry.resource_id) == (
        "denied",
        404,
        "tanaka",
        created["id"],
    )


@own_system  # breaks the chain
async def test_the_chain_verifies_and_a_modified_entry_breaks_it(client, app, settings) -> None:
    await client.post("/intake/v1/consultations", json=consultation_body())
    auditor = bearer(settings, "auditor", org=OTOFUKE_TOWN)
    verification = (await client.get("/intake/v1/audit/verification", headers=auditor)).json()
    assert verification["ok"] is True and verification["entries"] >= 1

    db = runtimes_of(app)["intake"].db
    async with db.transaction() as session:
        first = await session.scalar(select(func.min(intake_audit.c.seq)))
        await session.execute(
            text("UPDATE audit_log SET subject = 'someone-else' WHERE seq = :s"), {"s": first}
        )
    broken = (await client.get("/intake/v1/audit/verification", headers=auditor)).json()
    assert broken["ok"] is False
    assert broken["first_broken_seq"] == first


async def test_auditors_query_and_export_their_own_municipality(client, settings) -> None:
    await client.post(
        "/intake/v1/consultations", json=consultation_body(), headers={"X-Request-ID": "to-find"}
    )
    auditor = bearer(settings, "auditor", org=OTOFUKE_TOWN)
    page = (await client.get("/intake/v1/audit", params={"resource": "consultation"}, headers=auditor)).json()
    assert any(item["request_id"] == "to-find" for item in page["items"])
    export = await client.get("/intake/v1/audit/export.csv", headers=auditor)
    assert export.status_code == 200
    assert export.content.startswith(b"\xef\xbb\xbf")
    assert "日時" in export.content.decode("utf-8-sig").splitlines()[0]
    elsewhere = bearer(settings, "auditor", tenant="223417", org="223417-town")
    assert (await client.get("/intake/v1/audit", headers=elsewhere)).json()["items"] == [] or all(
        item["tenant_id"] == "223417"
        for item in (await client.get("/intake/v1/audit", headers=elsewhere)).json()["items"]
    )
