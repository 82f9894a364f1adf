"""Use cases of the consultation record. Functions stage changes; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.consultations import rules
from services.intake.consultations.concerns import LABELS_JA, Concern, fields_of
from services.intake.consultations.models import Consultation
from services.intake.consultations.schemas import (
    Channel,
    ConcernOut,
    ConsultationCreate,
    ConsultationListItem,
    ConsultationOut,
    ReferralSummary,
    Urgency,
)
from services.intake.referrals.models import Referral
from services.intake.windows.models import Window
from shared.db import new_id
from shared.errors import FieldProblem, InvalidInput, NotFound, Text
from shared.pagination import Ordering, Page, SortKey, keyset_page
from shared.text import fold_kana_query

JST = timezone(timedelta(hours=9))


class ConsultationNotFound(NotFound):
    slug = "consultation-not-found"
    title = Text("相談が見つかりません。", "Consultation not found.")


class UnknownWindow(InvalidInput):
    slug = "unknown-window"
    title = Text("登録されていない相談窓口です。", "Unknown consultation window.")


async def find_window(*, session: AsyncSession, code: str) -> Window:
    window = await session.get(Window, code)
    # A window the directory names no operator for has no staff to record there (yet).
    if window is None or not window.active or window.operator_id is None:
        raise UnknownWindow(
            fields=[
                FieldProblem(
                    "window_code",
                    Text(f"窓口コード {code} は登録されていません。", f"No active window has code {code}."),
                    "unknown_window",
                )
            ]
        )
    return window


async def record_consultation(
    *, session: AsyncSession, data: ConsultationCreate, now: datetime
) -> Consultation:
    """相談受付: record what the window heard. Any concern, any person: the window never refuses."""
    window = await find_window(session=session, code=data.window_code)
    concern_codes = [c.code for c in data.concerns]
    rules.check_concerns(concern_codes, data.main_concern)
    birth_dates: dict[str, date | None] = {"person.birth_date": data.person.birth_date}
    for index, member in enumerate(data.household):
        birth_dates[f"household[{index}].birth_date"] = member.birth_date
    rules.check_dates(received_at=data.received_at, birth_dates=birth_dates, now=now, today=_jst_today(now))

    welfare_fields = [f.value for f in fields_of(concern_codes)]
    person = data.person.model_dump(mode="json", exclude={"name", "name_kana", "birth_date"})
    if data.visitor is not None:
        person["visitor"] = data.visitor.model_dump(mode="json")
    consultation = Consultation(
        id=new_id(),
        tenant_id=window.tenant_id,
        organisation_id=window.operator_id,
        window_code=window.code,
        received_at=data.received_at,
        channel=data.channel.value,
        source=data.source.value if data.source else None,
        received_by=data.received_by,
        person_name=data.person.name,
        person_name_kana=data.person.name_kana,
        person_birth_date=data.person.birth_date,
        person=person,
        household=[m.model_dump(mode="json") for m in data.household],
        concerns=[c.model_dump(mode="json") for c in data.concerns],
        main_concern=data.main_concern.value,
        welfare_fields=welfare_fields,
        concern_index=_index(c.value for c in concern_codes),
        field_index=_index(welfare_fields),
        urgency=data.urgency.value,
        wishes=data.wishes,
        notes=data.notes,
        tax_information=data.tax_information,
        created_at=now,
        version=1,
    )
    session.add(consultation)
    await session.flush()
    return consultation


# Built once: a statement reused is scoped and keyed for SQLAlchemy's cache once (shared.auth.scope).
_BY_ID = select(Consultation).where(Consultation.id == bindparam("consultation_id"))


async def get_consultation(*, session: AsyncSession, consultation_id: str) -> Consultation:
    consultation = await session.scalar(_BY_ID, {"consultation_id": consultation_id})
    if consultation is None:
        raise ConsultationNotFound()
    return consultation


async def lock_consultation(*, session: AsyncSession, consultation_id: str) -> Consultation:
    """The consultation, locked until the transaction ends: what changes its consent or referrals
    takes this lock first, so two such changes never interleave and their events leave in the order
    they happened (on SQLite the write transaction already holds the whole database)."""
    consultation = await session.scalar(
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if consultation is None:
        raise ConsultationNotFound()
    return consultation


@dataclass(frozen=True)
class ConsultationFilters:
    window_code: str | None = None
    urgency: str | None = None
    main_concern: str | None = None
    concern: str | None = None
    welfare_field: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    name_kana: str | None = None


NEWEST_FIRST = Ordering(
    "consultations",
    SortKey(Consultation.received_at, datetime, descending=True),
    SortKey(Consultation.id, str, descending=True),
)


async def list_consultations(
    *, session: AsyncSession, filters: ConsultationFilters, cursor: str | None, limit: int
) -> Page[ConsultationListItem]:
    """Newest first, by (received_at, id), so pages never skip or repeat a row."""
    query = select(*LISTED)
    conditions: list[Any] = []
    for column, value in (
        (Consultation.window_code, filters.window_code),
        (Consultation.urgency, filters.urgency),
        (Consultation.main_concern, filters.main_concern),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.received_from is not None:
        conditions.append(Consultation.received_at >= filters.received_from)
    if filters.received_to is not None:
        conditions.append(Consultation.received_at < filters.received_to)
    if filters.name_kana is not None:
        reading = fold_kana_query(filters.name_kana)
        conditions.append(Consultation.person_name_kana.startswith(reading, autoescape=True))
    if filters.concern is not None:
        conditions.append(Consultation.concern_index.contains(f"|{filters.concern}|", autoescape=True))
    if filters.welfare_field is not None:
        conditions.append(Consultation.field_index.contains(f"|{filters.welfare_field}|", autoescape=True))
    consultations, next_cursor = await keyset_page(
        session, query.where(*conditions), NEWEST_FIRST, cursor=cursor, limit=limit
    )
    return Page(items=[to_list_item(c) for c in consultations], next_cursor=next_cursor)


def _index(codes: Iterable[str]) -> str:
    """'|a|b|': list membership as a portable LIKE on both SQLite and PostgreSQL."""
    return "|" + "|".join(codes) + "|"


def _jst_today(now: datetime) -> date:
    return now.astimezone(JST).date()


def to_out(consultation: Consultation, referrals: list[Referral]) -> ConsultationOut:
    person = dict(consultation.person)
    visitor = person.pop("visitor", None)
    person.update(
        name=consultation.person_name,
        name_kana=consultation.person_name_kana,
        birth_date=consultation.person_birth_date,
    )
    return ConsultationOut.model_validate(
        {
            "id": consultation.id,
            "tenant_id": consultation.tenant_id,
            "window_code": consultation.window_code,
            "received_at": consultation.received_at,
            "channel": consultation.channel,
            "source": consultation.source,
            "received_by": consultation.received_by,
            "person": person,
            "visitor": visitor,
            "household": consultation.household,
            "concerns": [
                ConcernOut(
                    code=Concern(c["code"]),
                    label=LABELS_JA[Concern(c["code"])],
                    detail=c.get("detail"),
                    main=c["code"] == consultation.main_concern,
                )
                for c in consultation.concerns
            ],
            "main_concern": consultation.main_concern,
            "welfare_fields": consultation.welfare_fields,
            "urgency": consultation.urgency,
            "wishes": consultation.wishes,
            "notes": consultation.notes,
            "tax_information": consultation.tax_information,
            "created_at": consultation.created_at,
            "referrals": [
                ReferralSummary(
                    id=r.id,
                    status=r.status,
                    status_reason=r.status_reason,
                    case_id=r.case_id,
                    case_number=r.case_number,
                    referred_at=r.referred_at,
                )
                for r in referrals
            ],
        }
    )


# What a list shows of a consultation (ConsultationListItem): its columns alone, not the whole record.
LISTED = (
    Consultation.id,
    Consultation.tenant_id,
    Consultation.window_code,
    Consultation.received_at,
    Consultation.channel,
    Consultation.person_name,
    Consultation.person_name_kana,
    Consultation.main_concern,
    Consultation.welfare_fields,
    Consultation.urgency,
)


def to_list_item(row: Mapping[str, Any]) -> ConsultationListItem:
    return ConsultationListItem(
        id=row["id"],
        tenant_id=row["tenant_id"],
        window_code=row["window_code"],
        received_at=row["received_at"],
        channel=Channel(row["channel"]),
        person_name=row["person_name"],
        person_name_kana=row["person_name_kana"],
        main_concern=Concern(row["main_concern"]),
        welfare_fields=row["welfare_fields"],
        urgency=Urgency(row["urgency"]),
    )
