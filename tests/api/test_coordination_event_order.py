"""Coordination's handlers give the same result whatever order intake's events arrive in, and twice.

The events about one consultation travel on one key, but a replayed dead letter, or a producer of
an older version, need not keep their order: a withdrawal that comes before its referral must be
remembered and applied when the case opens, not dropped. Coordination runs alone here; each test
hands the events to its consumer the way the bus does. The module's tests share one system, each
with a consultation, consent and referral of its own (fresh ids).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE, RANRAN, RANRAN_OPERATOR
from tests.support.directory_events import deliver
from tests.support.tokens import bearer

pytestmark = shares_one_system


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Ids:
    """The consultation, consent and referral a test's events are about: its own."""

    consultation: str = field(default_factory=_new_id)
    consent: str = field(default_factory=_new_id)
    referral: str = field(default_factory=_new_id)


OBTAINED = datetime(2026, 11, 20, 1, 50, tzinfo=UTC)
WITHDRAWN = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def recorded(ids: Ids) -> ConsentRecorded:
    return ConsentRecorded(
        consent_id=ids.consent,
        consultation_id=ids.consultation,
        tenant_id=OTOFUKE,
        organisation_id=RANRAN_OPERATOR,
        purposes=["collaboration"],
        data_classes=["identity", "contact", "tax"],
        organisations=[],
        obtained_at=OBTAINED,
        valid_from=OBTAINED,
        method="written",
    )


def referred(ids: Ids) -> CaseReferred:
    return CaseReferred(
        referral_id=ids.referral,
        consultation_id=ids.consultation,
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
            consent_id=ids.consent,
            purposes=["collaboration"],
            data_classes=["identity", "contact", "tax"],
            organisations=[],
            obtained_at=OBTAINED,
            method="written",
        ),
        person=ReferredPerson(name="音更 花子", name_kana="おとふけ はなこ"),
    )


def withdrawn(ids: Ids) -> ConsentWithdrawn:
    return ConsentWithdrawn(
        consent_id=ids.consent, consultation_id=ids.consultation, tenant_id=OTOFUKE, withdrawn_at=WITHDRAWN
    )


EVENTS: dict[str, Callable[[Ids], Event]] = {
    "recorded": recorded,
    "referred": referred,
    "withdrawn": withdrawn,
}
ORDERS = [pytest.param(order, id=" > ".join(order)) for order in itertools.permutations(EVENTS)]


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """Coordination alone."""
    return lambda settings: create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def ids() -> Ids:
    return Ids()


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


async def the_case(coordination: ServiceRuntime, ids: Ids) -> Case:
    async with coordination.db.transaction() as session:
        (case,) = (await session.scalars(select(Case).where(Case.referral_id == ids.referral))).all()
        return case


async def the_consent(coordination: ServiceRuntime, ids: Ids) -> KnownConsent:
    async with coordination.db.transaction() as session:
        known = await session.get(KnownConsent, ids.consent)
        assert known is not None
        return known


@pytest.mark.parametrize("order", ORDERS)
async def test_every_order_of_record_referral_and_withdrawal_ends_withdrawn(
    coordination: ServiceRuntime, ids: Ids, order: tuple[str, ...]
) -> None:
    events: list[Event] = [EVENTS[name](ids) for name in order]

    await deliver(coordination, events)

    case = await the_case(coordination, ids)
    assert case.consent_withdrawn_at == WITHDRAWN
    assert case.consent_id == ids.consent
    known = await the_consent(coordination, ids)
    assert known.withdrawn_at == WITHDRAWN
    assert known.data_classes == ["identity", "contact", "tax"]
    assert known.valid_from == OBTAINED  # from ConsentRecorded, whichever came first
    assert known.consultation_id == ids.consultation


@pytest.mark.parametrize("order", ORDERS)
async def test_every_order_delivered_twice_gives_the_same_single_case(
    coordination: ServiceRuntime, ids: Ids, order: tuple[str, ...]
) -> None:
    events: list[Event] = [EVENTS[name](ids) for name in order]

    await deliver(coordination, events)
    await deliver(coordination, [*reversed(events), *events])  # new ids: a replay after a reset

    case = await the_case(coordination, ids)
    assert case.consent_withdrawn_at == WITHDRAWN
    assert (await the_consent(coordination, ids)).withdrawn_at == WITHDRAWN


async def test_a_withdrawal_that_came_first_hides_the_person_from_the_referring_window(
    coordination: ServiceRuntime, ids: Ids, client: httpx.AsyncClient, settings: Settings
) -> None:
    await deliver(coordination, [withdrawn(ids), referred(ids)])
    case = await the_case(coordination, ids)

    seen = await client.get(f"/coordination/v1/cases/{case.id}", headers=bearer(settings, "window_staff"))

    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert "household" not in body  # the parties' reduced view
    assert body["person_name"] is None
    assert body["person_name_kana"] is None


async def test_a_later_withdrawal_of_another_consent_leaves_the_case_alone(
    coordination: ServiceRuntime, ids: Ids
) -> None:
    other = ConsentWithdrawn(
        consent_id=_new_id(),
        consultation_id=ids.consultation,
        tenant_id=OTOFUKE,
        withdrawn_at=WITHDRAWN,
    )

    await deliver(coordination, [recorded(ids), referred(ids), other])

    assert (await the_case(coordination, ids)).consent_withdrawn_at is None


async def test_the_first_withdrawal_time_stands_when_it_is_delivered_again_later(
    coordination: ServiceRuntime, ids: Ids
) -> None:
    again = ConsentWithdrawn(
        consent_id=ids.consent,
        consultation_id=ids.consultation,
        tenant_id=OTOFUKE,
        withdrawn_at=WITHDRAWN + timedelta(days=2),
    )

    await deliver(coordination, [withdrawn(ids), referred(ids), again])

    assert (await the_case(coordination, ids)).consent_withdrawn_at == WITHDRAWN
    assert (await the_consent(coordination, ids)).withdrawn_at == WITHDRAWN


async def test_without_a_withdrawal_the_referring_window_sees_the_name(
    coordination: ServiceRuntime, ids: Ids, client: httpx.AsyncClient, settings: Settings
) -> None:
    await deliver(coordination, [recorded(ids), referred(ids)])
    case = await the_case(coordination, ids)

    seen = await client.get(f"/coordination/v1/cases/{case.id}", headers=bearer(settings, "window_staff"))

    assert seen.status_code == 200, seen.text
    assert seen.json()["person_name"] == "音更 花子"
