"""Coordination's handlers give the same result whatever order intake's events arrive in, and twice.

The events about one consultation travel on one key, but a replayed dead letter, or a producer of
an older version, need not keep their order: a withdrawal that comes before its referral must be
remembered and applied when the case opens, not dropped. Coordination runs alone here; each test
hands the events to its consumer the way the bus does.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.coordination.cases.models import Case
from services.coordination.consents.models import KnownConsent
from services.embedded import create_app
from shared.events.catalog import (
    CaseReferred,
    ConsentRecorded,
    ConsentScope,
    ConsentWithdrawn,
    ReferredPerson,
)
from shared.events.registry import Event
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.support.builders import OTOFUKE, RANRAN, RANRAN_OPERATOR
from tests.support.directory_events import deliver
from tests.support.tokens import bearer

CONSULTATION = "11111111-1111-4111-8111-111111111111"
CONSENT = "22222222-2222-4222-8222-222222222222"
REFERRAL = "33333333-3333-4333-8333-333333333333"
OBTAINED = datetime(2026, 11, 20, 1, 50, tzinfo=UTC)
WITHDRAWN = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def recorded() -> ConsentRecorded:
    return ConsentRecorded(
        consent_id=CONSENT,
        consultation_id=CONSULTATION,
        tenant_id=OTOFUKE,
        organisation_id=RANRAN_OPERATOR,
        purposes=["collaboration"],
        data_classes=["identity", "contact", "tax"],
        organisations=[],
        obtained_at=OBTAINED,
        valid_from=OBTAINED,
        method="written",
    )


def referred() -> CaseReferred:
    return CaseReferred(
        referral_id=REFERRAL,
        consultation_id=CONSULTATION,
        tenant_id=OTOFUKE,
        window_code=RANRAN,
        referring_organisation_id=RANRAN_OPERATOR,
        referred_at=OBTAINED + timedelta(minutes=5),
        urgency="high",
        main_concern="elder_care",
        concerns=["elder_care"],
        welfare_fields=["elderly"],
        reason="8050",
        consent=ConsentScope(
            consent_id=CONSENT,
            purposes=["collaboration"],
            data_classes=["identity", "contact", "tax"],
            organisations=[],
            obtained_at=OBTAINED,
            method="written",
        ),
        person=ReferredPerson(name="音更 花子", name_kana="おとふけ はなこ"),
    )


def withdrawn() -> ConsentWithdrawn:
    return ConsentWithdrawn(
        consent_id=CONSENT, consultation_id=CONSULTATION, tenant_id=OTOFUKE, withdrawn_at=WITHDRAWN
    )


EVENTS = {"recorded": recorded, "referred": referred, "withdrawn": withdrawn}
ORDERS = [pytest.param(order, id=" > ".join(order)) for order in itertools.permutations(EVENTS)]


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


async def the_case(coordination: ServiceRuntime) -> Case:
    async with coordination.db.transaction() as session:
        (case,) = (await session.scalars(select(Case).where(Case.referral_id == REFERRAL))).all()
        return case


async def the_consent(coordination: ServiceRuntime) -> KnownConsent:
    async with coordination.db.transaction() as session:
        known = await session.get(KnownConsent, CONSENT)
        assert known is not None
        return known


@pytest.mark.parametrize("order", ORDERS)
async def test_every_order_of_record_referral_and_withdrawal_ends_withdrawn(
    coordination: ServiceRuntime, order: tuple[str, ...]
) -> None:
    events: list[Event] = [EVENTS[name]() for name in order]

    await deliver(coordination, events)

    case = await the_case(coordination)
    assert case.consent_withdrawn_at == WITHDRAWN
    assert case.consent_id == CONSENT
    known = await the_consent(coordination)
    assert known.withdrawn_at == WITHDRAWN
    assert known.data_classes == ["identity", "contact", "tax"]
    assert known.valid_from == OBTAINED  # from ConsentRecorded, whichever came first
    assert known.consultation_id == CONSULTATION


@pytest.mark.parametrize("order", ORDERS)
async def test_every_order_delivered_twice_gives_the_same_single_case(
    coordination: ServiceRuntime, order: tuple[str, ...]
) -> None:
    events: list[Event] = [EVENTS[name]() for name in order]

    await deliver(coordination, events)
    await deliver(coordination, [*reversed(events), *events])  # new ids: a replay after a reset

    case = await the_case(coordination)
    assert case.consent_withdrawn_at == WITHDRAWN
    assert (await the_consent(coordination)).withdrawn_at == WITHDRAWN


async def test_a_withdrawal_that_came_first_hides_the_person_from_the_referring_window(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    await deliver(coordination, [withdrawn(), referred()])
    case = await the_case(coordination)

    seen = await client.get(f"/coordination/v1/cases/{case.id}", headers=bearer(settings, "window_staff"))

    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert "household" not in body  # the parties' reduced view
    assert body["person_name"] is None
    assert body["person_name_kana"] is None


async def test_a_later_withdrawal_of_another_consent_leaves_the_case_alone(
    coordination: ServiceRuntime,
) -> None:
    other = ConsentWithdrawn(
        consent_id="44444444-4444-4444-8444-444444444444",
        consultation_id=CONSULTATION,
        tenant_id=OTOFUKE,
        withdrawn_at=WITHDRAWN,
    )

    await deliver(coordination, [recorded(), referred(), other])

    assert (await the_case(coordination)).consent_withdrawn_at is None


async def test_the_first_withdrawal_time_stands_when_it_is_delivered_again_later(
    coordination: ServiceRuntime,
) -> None:
    again = ConsentWithdrawn(
        consent_id=CONSENT,
        consultation_id=CONSULTATION,
        tenant_id=OTOFUKE,
        withdrawn_at=WITHDRAWN + timedelta(days=2),
    )

    await deliver(coordination, [withdrawn(), referred(), again])

    assert (await the_case(coordination)).consent_withdrawn_at == WITHDRAWN
    assert (await the_consent(coordination)).withdrawn_at == WITHDRAWN


async def test_without_a_withdrawal_the_referring_window_sees_the_name(
    coordination: ServiceRuntime, client: httpx.AsyncClient, settings: Settings
) -> None:
    await deliver(coordination, [recorded(), referred()])
    case = await the_case(coordination)

    seen = await client.get(f"/coordination/v1/cases/{case.id}", headers=bearer(settings, "window_staff"))

    assert seen.status_code == 200, seen.text
    assert seen.json()["person_name"] == "音更 花子"
