"""HTTP for consultations: translate requests to use cases; no rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime
from starlette.responses import Response

from services.intake.access import authorize
from services.intake.consultations import service
from services.intake.consultations.concerns import Concern, Field
from services.intake.consultations.schemas import (
    ConsultationCreate,
    ConsultationListItem,
    ConsultationOut,
    Urgency,
)
from services.intake.deps import IntakeWork
from services.intake.referrals.service import referrals_of
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page

router = APIRouter(
    prefix="/intake/v1/consultations", tags=["consultations"], dependencies=[Depends(authorize)]
)


@router.post(
    "",
    status_code=201,
    response_model=ConsultationOut,
    operation_id="recordConsultation",
    summary="相談受付: record a consultation",
    description="Send `Idempotency-Key` to make a retry return the first result instead of a second record.",
)
async def record_consultation(body: ConsultationCreate, work: IntakeWork) -> Response:
    async with work.transaction() as session:
        consultation = await service.record_consultation(session=session, data=body, now=utcnow())
        return work.created(service.to_out(consultation, []), location=f"{router.prefix}/{consultation.id}")


@router.get(
    "/{consultation_id}",
    response_model=ConsultationOut,
    operation_id="getConsultation",
    summary="Get one consultation with its referrals",
)
async def get_consultation(consultation_id: str, work: IntakeWork) -> ConsultationOut:
    async with work.transaction() as session:
        consultation = await service.get_consultation(session=session, consultation_id=consultation_id)
        referrals = await referrals_of(session=session, consultation_id=consultation.id)
        return service.to_out(consultation, referrals)


@router.get(
    "",
    response_model=Page[ConsultationListItem],
    operation_id="listConsultations",
    summary="List consultations, newest first",
)
async def list_consultations(
    work: IntakeWork,
    window_code: Annotated[str | None, Query(max_length=120)] = None,
    urgency: Urgency | None = None,
    main_concern: Concern | None = None,
    concern: Concern | None = None,
    welfare_field: Field | None = None,
    received_from: AwareDatetime | None = None,
    received_to: AwareDatetime | None = None,
    name_kana: Annotated[str | None, Query(max_length=100)] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[ConsultationListItem]:
    filters = service.ConsultationFilters(
        window_code=window_code,
        urgency=urgency.value if urgency else None,
        main_concern=main_concern.value if main_concern else None,
        concern=concern.value if concern else None,
        welfare_field=welfare_field.value if welfare_field else None,
        received_from=received_from,
        received_to=received_to,
        name_kana=name_kana,
    )
    async with work.transaction() as session:
        return await service.list_consultations(session=session, filters=filters, cursor=cursor, limit=limit)
