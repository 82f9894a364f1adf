"""Small helpers for the HTTP suites: the problem document, what the databases hold, the usual steps."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.coordination.db import messaging as coordination_messaging
from services.intake.consent.models import Consent
from services.intake.consultations.models import Consultation
from services.intake.db import messaging as intake_messaging
from services.intake.referrals.models import Referral
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.support.builders import NAGAIZUMI, WILLWORK, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually

PROBLEM = "https://jusou.example.jp/problems/"
EN = {"Accept-Language": "en"}

CONSULTATIONS = "/intake/v1/consultations"
CASES = "/coordination/v1/cases"

NAGAIZUMI_WINDOW = "223417-fukushi-hoken-ka"  # 福祉保険課, run by the town itself
NAGAIZUMI_TOWN = "223417-town"


# --- which system (see tests/api/conftest.py) ----------------------------------------------------

# `pytestmark = shares_one_system`: the module's tests run in its event loop and share one system, so
# each makes what it needs and looks only at that.
shares_one_system = pytest.mark.asyncio(loop_scope="module")
# On a test of such a module: it runs in a loop of its own, on a pristine system of its own.
own_system = pytest.mark.asyncio(loop_scope="function")


# --- who calls (the `client` fixture is all-round staff of らんらん's operator in Otofuke) ----------


def nagaizumi_staff(settings: Settings) -> dict[str, str]:
    """All-round staff of Nagaizumi town (another municipality), which operates its one window."""
    return bearer(settings, tenant=NAGAIZUMI, org=NAGAIZUMI_TOWN, subject="staff-nagaizumi")


def willwork_staff(settings: Settings) -> dict[str, str]:
    """Window staff of the operator of せいかつ相談窓口 (another organisation in Otofuke)."""
    return bearer(settings, "window_staff", org=WILLWORK, subject="staff-willwork")


def assert_problem(
    response: httpx.Response, *, status: int, slug: str, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem document; `fields` maps each offending field to its error code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM + slug, body
    assert body["status"] == status
    assert body["title"]
    if fields is not None:
        named = {e["field"]: e["code"] for e in body.get("errors", [])}
        for field, code in fields.items():
            assert field in named, f"{field} not among {named}"
            assert named[field] == code, f"{field}: {named[field]} != {code}"
        for error in body.get("errors", []):
            assert error["message"], error
    return body


# --- what the databases hold ------------------------------------------------------------------


async def intake_rows(app: FastAPI) -> dict[str, int]:
    """How many consultations, consents and referrals intake holds."""
    async with runtimes_of(app)["intake"].db.transaction() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Consultation, Consent, Referral)
        }


async def intake_saved(app: FastAPI) -> dict[str, int]:
    """What intake holds, counted: compare before and after a request that must save nothing.

    Intake writes consultations, consents, referrals and its outbox rows only when asked to."""
    saved = await intake_rows(app)
    saved["outbox"] = len(await intake_outbox(app))
    return saved


async def intake_outbox(app: FastAPI) -> list[Any]:
    async with runtimes_of(app)["intake"].db.transaction() as session:
        outbox = intake_messaging.outbox
        return list((await session.execute(select(outbox).order_by(outbox.c.id))).all())


async def coordination_outbox(app: FastAPI) -> list[Any]:
    async with runtimes_of(app)["coordination"].db.transaction() as session:
        outbox = coordination_messaging.outbox
        return list((await session.execute(select(outbox).order_by(outbox.c.id))).all())


def about(rows: list[Any], *keys: str) -> list[Any]:
    """The outbox rows keyed by one of `keys` (an event's key is its aggregate's id)."""
    return [row for row in rows if row.key in keys]


def event_names(rows: list[Any]) -> Counter[str]:
    """Outbox rows by event name, e.g. {'CaseReferred': 1}."""
    return Counter(row.event_type.split(".")[-2] for row in rows)


# --- the usual steps --------------------------------------------------------------------------


async def record_consultation(
    client: httpx.AsyncClient, *, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(CONSULTATIONS, json=consultation_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def record_consent(
    client: httpx.AsyncClient,
    consultation_id: str,
    *,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"{CONSULTATIONS}/{consultation_id}/consents", json=consent_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    consent: dict[str, Any] = response.json()
    return consent


async def refer(
    client: httpx.AsyncClient,
    consultation_id: str,
    reason: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = {} if reason is None else {"reason": reason}
    response = await client.post(f"{CONSULTATIONS}/{consultation_id}/referrals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    referral: dict[str, Any] = response.json()
    return referral


async def referred_consultation(
    client: httpx.AsyncClient, *, headers: dict[str, str] | None = None, **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A consultation with the person's consent, referred to collaboration."""
    consultation = await record_consultation(client, headers=headers, **overrides)
    await record_consent(client, consultation["id"], headers=headers)
    return consultation, await refer(client, consultation["id"], headers=headers)


async def case_of(
    client: httpx.AsyncClient, referral_id: str, *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The case coordination opened from a referral, once the event has arrived."""

    async def listed() -> dict[str, Any] | None:
        response = await client.get(CASES, params={"referral_id": referral_id}, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        return page["items"][0] if page["items"] else None

    case: dict[str, Any] = await eventually(listed)
    return case


async def open_case(client: httpx.AsyncClient) -> dict[str, Any]:
    _, referral = await referred_consultation(client)
    return await case_of(client, referral["id"])


async def case_etag(client: httpx.AsyncClient, case_id: str) -> str:
    """The case's current ETag, as a coordinator reads it before answering."""
    response = await client.get(f"{CASES}/{case_id}")
    assert response.status_code == 200, response.text
    etag: str = response.headers["etag"]
    assert etag == response.json()["etag"]
    return etag
