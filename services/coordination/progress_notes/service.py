"""Use cases of progress notes (支援経過記録)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.cases.service import CaseNotFound
from services.coordination.organisations import service as organisations
from services.coordination.plan_meetings.rules import organisation_problem
from services.coordination.progress_notes.models import ProgressNote
from services.coordination.progress_notes.outreach import OutreachNote
from services.coordination.progress_notes.rules import NoteFacts, NoteKind
from services.coordination.progress_notes.schemas import ProgressNoteIn
from shared.auth.policy import Access
from shared.db import new_id, upsert
from shared.errors import FieldProblem, InvalidInput, Text

_NOTES = ProgressNote.__table__


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


async def record_reported_notes(
    *,
    session: AsyncSession,
    tenant_id: str,
    case_id: str,
    organisation_id: str,
    notes: Sequence[OutreachNote],
    recorded_by: str,
    recorded_at: datetime,
) -> None:
    """Notes another service reported about a case (outreach's contact attempts), each once per
    (tenant, case, fact): a fact already recorded is left as it is. The case need not exist yet;
    the notes are kept under the reporting event's tenant and show on a case of that tenant only.
    Nothing moves the case: a terminated or suspended one keeps the notes and stays as it is."""
    for note in notes:
        values = {
            "id": new_id(),
            "tenant_id": tenant_id,
            "case_id": case_id,
            "occurred_on": note.occurred_on,
            "kind": note.kind.value,
            "summary": note.summary,
            "organisation_id": organisation_id,
            "recorded_by": recorded_by,
            "recorded_by_organisation": organisation_id,
            "recorded_at": recorded_at,
            "source_key": note.source_key,
        }
        await session.execute(upsert(session, _NOTES, values, key=["tenant_id", "case_id", "source_key"]))


async def notes_of(*, session: AsyncSession, case_id: str) -> list[ProgressNote]:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    rows = await session.scalars(
        select(ProgressNote)
        .where(ProgressNote.case_id == case.id, ProgressNote.tenant_id == case.tenant_id)
        .order_by(ProgressNote.occurred_on, ProgressNote.recorded_at, ProgressNote.id)
    )
    return list(rows.all())


async def note_facts(*, session: AsyncSession, case: Case) -> list[NoteFacts]:
    """The case's notes as the suspension rule reads them: of its own tenant only (an event of
    another tenant naming the case's id never counts)."""
    rows = await session.execute(
        select(ProgressNote.kind, ProgressNote.occurred_on).where(
            ProgressNote.case_id == case.id, ProgressNote.tenant_id == case.tenant_id
        )
    )
    return [NoteFacts(NoteKind(kind), occurred_on) for kind, occurred_on in rows.all()]
