"""Use cases of progress notes (支援経過記録)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.cases.service import CaseNotFound
from services.coordination.organisations import service as organisations
from services.coordination.plan_meetings.rules import organisation_problem
from services.coordination.progress_notes.models import ProgressNote
from services.coordination.progress_notes.rules import NoteFacts, NoteKind
from services.coordination.progress_notes.schemas import ProgressNoteIn
from shared.auth.policy import Access
from shared.db import new_id
from shared.errors import FieldProblem, InvalidInput, Text


async def record_note(
    *, session: AsyncSession, case_id: str, data: ProgressNoteIn, access: Access, now: datetime, today: date
) -> ProgressNote:
    """A note is added to a case in any state: it never reopens one (only a reopening does)."""
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    problems: list[FieldProblem] = []
    if data.occurred_on > today:
        problems.append(FieldProblem("occurred_on", Text("未来の日付です。", "In the future."), "in_future"))
    if data.organisation_id is not None:
        known = await organisations.tenants_of(session=session, organisation_ids=[data.organisation_id])
        problem = organisation_problem("organisation_id", data.organisation_id, known, case.tenant_id)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise InvalidInput(fields=problems)
    note = ProgressNote(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        occurred_on=data.occurred_on,
        kind=data.kind.value,
        summary=data.summary,
        organisation_id=data.organisation_id,
        recorded_by=access.caller.subject,
        recorded_by_organisation=access.caller.organisation_id,
        recorded_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def notes_of(*, session: AsyncSession, case_id: str) -> list[ProgressNote]:
    if await session.get(Case, case_id) is None:
        raise CaseNotFound()
    rows = await session.scalars(
        select(ProgressNote)
        .where(ProgressNote.case_id == case_id)
        .order_by(ProgressNote.occurred_on, ProgressNote.recorded_at, ProgressNote.id)
    )
    return list(rows.all())


async def note_facts(*, session: AsyncSession, case_id: str) -> list[NoteFacts]:
    rows = await session.execute(
        select(ProgressNote.kind, ProgressNote.occurred_on).where(ProgressNote.case_id == case_id)
    )
    return [NoteFacts(NoteKind(kind), occurred_on) for kind, occurred_on in rows.all()]
