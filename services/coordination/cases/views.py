"""Field-level access: which fields of a case each reach may see."""

from __future__ import annotations

from services.coordination.cases.models import Case
from services.coordination.cases.rules import CaseStatus
from services.coordination.cases.schemas import CaseOut, CasePartyOut
from shared.auth.policy import Access, Reach
from shared.work import etag_of


def person_shared_with(case: Case, organisation_id: str) -> bool:
    """Consent governs sharing: the organisation must be named (or none named), and not withdrawn."""
    if case.consent_withdrawn_at is not None or not case.person:
        return False
    named = case.consent.get("organisations") or []
    return not named or organisation_id in named


def case_view(case: Case, access: Access) -> CaseOut | CasePartyOut:
    if access.reach == Reach.tenant:
        return CaseOut.model_validate({**_columns(case), "etag": etag_of(case.id, case.version)})
    shared = person_shared_with(case, access.caller.organisation_id)
    person = case.person or {}
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
        parties=case.parties,
        person_name=person.get("name") if shared else None,
        person_name_kana=person.get("name_kana") if shared else None,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
    )


def _columns(case: Case) -> dict[str, object]:
    return {column.key: getattr(case, column.key) for column in Case.__table__.columns}
