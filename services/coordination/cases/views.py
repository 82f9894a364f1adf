"""Field-level access: which fields of a case each reach may see."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.cases.rules import JST, CaseStatus
from services.coordination.cases.schemas import CaseOut, CasePartyOut
from services.coordination.parties import rules as sharing_rules
from services.coordination.parties import service as parties
from services.coordination.parties import sharing
from shared.auth.policy import Access, Reach
from shared.db import utcnow
from shared.work import etag_of


async def shown_case(session: AsyncSession, case: Case, access: Access) -> CaseOut | CasePartyOut:
    """The case as the caller may see it. An organisation taking part sees the person only on a
    legal basis, and the disclosure is recorded with it (in the read's transaction)."""
    await session.flush()  # a change staged by the use case: its new version, and the ETag with it
    now = utcnow()
    taking_part = (
        await parties.taking_part(session=session, case_ids=[case.id], today=now.astimezone(JST).date())
    )[case.id]
    if access.reach == Reach.tenant:
        columns = {column.key: getattr(case, column.key) for column in Case.__table__.columns}
        return CaseOut.model_validate(
            {**columns, "parties": taking_part, "etag": etag_of(case.id, case.version)}
        )
    organisation_id = access.caller.organisation_id
    basis = (await sharing.bases(session=session, case=case, organisation_ids=[organisation_id], now=now))[
        organisation_id
    ]
    person = sharing_rules.shown_person(case.person, basis.data_classes if basis else ())
    identity = {key: person[key] for key in ("name", "name_kana") if key in person} if person else {}
    if basis is not None and identity:
        sharing.disclose(
            session,
            case=case,
            organisation_id=organisation_id,
            basis=basis,
            data_classes=["identity"],
            channel=access.operation,
            recipient=access.caller.subject,
            request_id=access.request_id,
            now=now,
        )
    return CasePartyOut(
        id=case.id,
        tenant_id=case.tenant_id,
        case_number=case.case_number,
        status=CaseStatus(case.status),
        status_reason=case.status_reason,
        window_code=case.window_code,
        urgency=case.urgency,
        main_concern=case.main_concern,
        welfare_fields=case.welfare_fields,
        parties=taking_part,
        person_name=identity.get("name"),
        person_name_kana=identity.get("name_kana"),
        opened_at=case.opened_at,
        closed_at=case.closed_at,
    )
