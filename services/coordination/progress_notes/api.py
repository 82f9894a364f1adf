"""HTTP for progress notes (支援経過記録)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.cases.rules import JST
from services.coordination.deps import CoordinationWork
from services.coordination.progress_notes import service
from services.coordination.progress_notes.schemas import ProgressNoteIn, ProgressNoteOut
from shared.db import utcnow

router = APIRouter(
    prefix="/coordination/v1/cases", tags=["progress notes"], dependencies=[Depends(authorize)]
)


@router.post(
    "/{case_id}/notes",
    status_code=201,
    response_model=ProgressNoteOut,
    operation_id="recordProgressNote",
    summary="支援経過記録: what happened (contact, visit, call, a contact attempt, a meeting, information)",
    description="Dated by when it happened. A note never reopens a terminated or suspended case.",
)
async def record_note(case_id: str, body: ProgressNoteIn, work: CoordinationWork) -> Response:
    now = utcnow()
    async with work.transaction() as session:
        note = await service.record_note(
            session=session,
            case_id=case_id,
            data=body,
            access=work.access,
            now=now,
            today=now.astimezone(JST).date(),
        )
        return work.created(
            ProgressNoteOut.model_validate(note), location=f"{router.prefix}/{case_id}/notes/{note.id}"
        )


@router.get(
    "/{case_id}/notes",
    response_model=list[ProgressNoteOut],
    operation_id="listProgressNotes",
    summary="The case's progress notes, in the order things happened",
)
async def list_notes(case_id: str, work: CoordinationWork) -> list[ProgressNoteOut]:
    async with work.transaction() as session:
        return [
            ProgressNoteOut.model_validate(n)
            for n in await service.notes_of(session=session, case_id=case_id)
        ]
