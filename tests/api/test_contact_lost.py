"""Outreach's `ContactLost` (and `ContactResumed`) in coordination: each attempt a progress note of
kind contact_attempt, so a case with no note typed in can be suspended after the suspension
meeting; the same report twice, or re-published under a new envelope id, adds nothing; a report
that comes before the case's referral waits for the case; another tenant's never attaches; attempts
before the last contact do not show the person out of reach. The notes never move the case.

The events are handed to coordination's consumer the way the bus does (tests/support). The module's
tests share one system, each with cases and reports of its own (fresh ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.coordination.cases.rules import case_id_for
from services.coordination.progress_notes.models import ProgressNote
from shared.events.catalog import (
    CaseReferred,
    ConsentScope,
    ContactAttempt,
    ContactLost,
    ContactResumed,
)
from shared.runtime import ServiceRuntime, runtimes_of
from tests.api.helpers import NAGAIZUMI_TOWN, assert_problem, open_case, shares_one_system
from tests.support.builders import NAGAIZUMI, OTOFUKE, OTOFUKE_TOWN, RANRAN, RANRAN_OPERATOR
from tests.support.directory_events import as_message, deliver
from tests.support.tokens import bearer

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"
SHAKYO = "016314-shakyo"  # 音更町社会福祉協議会: the outreach operator
TODAY = date.today()
REPORTED_AT = datetime.now(UTC).replace(microsecond=0)


def _new_id() -> str:
    return str(uuid.uuid4())


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def contact_lost(
    case_id: str,
    *attempts: tuple[str, int],
    last_contact: int | None = None,
    tenant: str = OTOFUKE,
    report_id: str | None = None,
) -> ContactLost:
    """Outreach's report: attempts as (attempt id, days ago)."""
    return ContactLost(
        report_id=report_id or _new_id(),
        case_id=case_id,
        item_id=_new_id(),
        tenant_id=tenant,
        organisation_id=SHAKYO if tenant == OTOFUKE else NAGAIZUMI_TOWN,
        attempts=[
            ContactAttempt(
                attempt_id=attempt_id,
                attempted_on=days_ago(n),
                method="visit",
                outcome="不在、郵便物がたまっている",
            )
            for attempt_id, n in attempts
        ],
        last_contact_on=days_ago(last_contact) if last_contact is not None else None,
        reported_at=REPORTED_AT,
    )


def referred(referral_id: str) -> CaseReferred:
    """A referral as intake sends it (coordination opens the case from it)."""
    consent_id = _new_id()
    return CaseReferred(
        referral_id=referral_id,
        consultation_id=_new_id(),
        tenant_id=OTOFUKE,
        window_code=RANRAN,
        referring_organisation_id=RANRAN_OPERATOR,
        referred_at=REPORTED_AT,
        urgency="high",
        main_concern="withdrawal_truancy",
        concerns=["withdrawal_truancy"],
        welfare_fields=["hardship"],
        reason="長期のひきこもり",
        consent=ConsentScope(
            consent_id=consent_id,
            purposes=["collaboration", "outreach"],
            data_classes=["identity"],
            organisations=[SHAKYO],
            obtained_at=REPORTED_AT,
            method="written",
        ),
    )


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-contact")


async def notes(client: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{CASES}/{case_id}/notes", headers=headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


async def suspend(client: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> httpx.Response:
    """A suspension meeting (the municipality a member) decides it; then the suspension is asked for."""
    meeting = await client.post(
        "/coordination/v1/plan-meetings",
        json={
            "held_on": TODAY.isoformat(),
            "members": [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当"}],
            "decisions": [{"case_id": case_id, "purpose": "suspension"}],
        },
        headers=headers,
    )
    assert meeting.status_code == 201, meeting.text
    etag = (await client.get(f"{CASES}/{case_id}", headers=headers)).headers["ETag"]
    return await client.post(
        f"{CASES}/{case_id}/suspension",
        json={"meeting_id": meeting.json()["id"], "reason": "3か月連絡が取れない"},
        headers={**headers, "If-Match": etag},
    )


async def stored_notes(coordination: ServiceRuntime, case_id: str) -> list[ProgressNote]:
    """Every note row naming the case id, whatever its tenant (what the API never shows at once)."""
    async with coordination.db.transaction() as session:
        return list(
            (await session.scalars(select(ProgressNote).where(ProgressNote.case_id == case_id))).all()
        )


async def test_a_case_with_no_note_typed_in_is_suspended_after_outreachs_contact_lost(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)
    assert_problem(await suspend(client, coordinator, case["id"]), status=422, slug="contact-not-attempted")

    await deliver(coordination, [contact_lost(case["id"], ("a-1", 30), ("a-2", 20), ("a-3", 10))])

    listed = await notes(client, coordinator, case["id"])
    assert [(n["kind"], n["occurred_on"]) for n in listed] == [
        ("contact_attempt", days_ago(n).isoformat()) for n in (30, 20, 10)
    ]
    assert {(n["organisation_id"], n["recorded_by"]) for n in listed} == {(SHAKYO, "service:outreach")}
    assert all("不在、郵便物がたまっている" in n["summary"] for n in listed)
    timeline = (await client.get(f"{CASES}/{case['id']}/timeline", headers=coordinator)).json()
    assert [e["kind"] for e in timeline].count("note:contact_attempt") == 3

    suspended = await suspend(client, coordinator, case["id"])
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"


async def test_the_report_twice_or_re_published_under_a_new_envelope_gives_the_same_notes(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)
    report = contact_lost(case["id"], ("a-1", 30), ("a-2", 20), last_contact=40)
    message = as_message(report)
    duplicates = coordination.consumer.stats["duplicate"]

    await coordination.consumer.deliver(message)
    await coordination.consumer.deliver(message)  # redelivered: the inbox absorbs it
    await deliver(coordination, [report, report])  # re-published: new envelope ids, same content
    first = await notes(client, coordinator, case["id"])

    assert coordination.consumer.stats["duplicate"] == duplicates + 1
    assert sorted(n["kind"] for n in first) == ["contact", "contact_attempt", "contact_attempt"]
    # A later report lists the same attempts again, and one more: only that one is new.
    await deliver(
        coordination, [contact_lost(case["id"], ("a-1", 30), ("a-2", 20), ("a-4", 5), last_contact=40)]
    )
    later = await notes(client, coordinator, case["id"])
    assert len(later) == 4
    assert {n["id"] for n in first} < {n["id"] for n in later}


@pytest.mark.parametrize("report_first", [True, False], ids=["report first", "referral first"])
async def test_a_report_before_the_cases_referral_waits_for_the_case(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator, report_first: bool
) -> None:
    referral_id = _new_id()
    case_id = case_id_for(OTOFUKE, referral_id)  # the id coordination will give the case
    report = contact_lost(case_id, ("a-1", 14), ("a-2", 7))
    events = [report, referred(referral_id)] if report_first else [referred(referral_id), report]

    await deliver(coordination, events)

    assert [n["kind"] for n in await notes(client, coordinator, case_id)] == ["contact_attempt"] * 2
    suspended = await suspend(client, coordinator, case_id)
    assert suspended.status_code == 200, suspended.text


@pytest.mark.parametrize("report_first", [True, False], ids=["report first", "referral first"])
async def test_another_tenants_report_never_attaches_to_the_case(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator, report_first: bool
) -> None:
    referral_id = _new_id()
    case_id = case_id_for(OTOFUKE, referral_id)
    foreign = contact_lost(case_id, ("a-1", 14), ("a-2", 7), tenant=NAGAIZUMI)
    events = [foreign, referred(referral_id)] if report_first else [referred(referral_id), foreign]

    await deliver(coordination, events)

    assert await notes(client, coordinator, case_id) == []
    timeline = (await client.get(f"{CASES}/{case_id}/timeline", headers=coordinator)).json()
    assert [e["kind"] for e in timeline] == ["opened"]
    assert_problem(await suspend(client, coordinator, case_id), status=422, slug="contact-not-attempted")
    # Kept under its own tenant, where no case of that id exists.
    assert {n.tenant_id for n in await stored_notes(coordination, case_id)} == {NAGAIZUMI}


async def test_attempts_all_before_the_last_recorded_contact_do_not_allow_suspension(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)
    visit = {"occurred_on": days_ago(3).isoformat(), "kind": "visit", "summary": "自宅を訪問し本人と話した"}
    assert (
        await client.post(f"{CASES}/{case['id']}/notes", json=visit, headers=coordinator)
    ).status_code == 201

    await deliver(coordination, [contact_lost(case["id"], ("a-1", 30), ("a-2", 20))])

    assert_problem(await suspend(client, coordinator, case["id"]), status=422, slug="contact-not-attempted")


async def test_a_report_whose_last_contact_follows_its_attempts_does_not_allow_suspension(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)

    await deliver(coordination, [contact_lost(case["id"], ("a-1", 30), ("a-2", 20), last_contact=10)])

    assert_problem(await suspend(client, coordinator, case["id"]), status=422, slug="contact-not-attempted")


async def test_contact_resumed_after_the_attempts_does_not_allow_suspension(
    client: httpx.AsyncClient, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)
    lost = contact_lost(case["id"], ("a-1", 30), ("a-2", 20))
    resumed = ContactResumed(
        report_id=_new_id(),
        case_id=case["id"],
        item_id=lost.item_id,
        tenant_id=OTOFUKE,
        organisation_id=SHAKYO,
        reached_on=days_ago(5),
        reported_at=REPORTED_AT,
    )

    await deliver(coordination, [lost, resumed, resumed])

    listed = await notes(client, coordinator, case["id"])
    assert [(n["kind"], n["occurred_on"]) for n in listed][-1] == ("contact", days_ago(5).isoformat())
    assert len(listed) == 3
    assert_problem(await suspend(client, coordinator, case["id"]), status=422, slug="contact-not-attempted")


async def test_a_terminated_case_keeps_the_notes_and_is_not_reopened(
    client: httpx.AsyncClient, app: FastAPI, coordination: ServiceRuntime, coordinator
) -> None:
    case = await open_case(client)
    meeting = await client.post(
        "/coordination/v1/plan-meetings",
        json={
            "held_on": TODAY.isoformat(),
            "members": [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当"}],
            "decisions": [{"case_id": case["id"], "purpose": "termination"}],
        },
        headers=coordinator,
    )
    etag = (await client.get(f"{CASES}/{case['id']}", headers=coordinator)).headers["ETag"]
    ended = await client.post(
        f"{CASES}/{case['id']}/termination",
        json={"meeting_id": meeting.json()["id"], "goals": [{"goal": "外出する", "attainment": "partly"}]},
        headers={**coordinator, "If-Match": etag},
    )
    assert ended.status_code == 200, ended.text

    await deliver(coordination, [contact_lost(case["id"], ("a-1", 3))])

    assert [n["kind"] for n in await notes(client, coordinator, case["id"])] == ["contact_attempt"]
    after = await client.get(f"{CASES}/{case['id']}", headers=coordinator)
    assert after.json()["status"] == "terminated"
    assert after.headers["ETag"] == ended.headers["ETag"]  # the case itself was not written
