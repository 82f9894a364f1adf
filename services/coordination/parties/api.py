"""HTTP for the organisations taking part in a case (関係機関), emergency sharing and the record of
disclosures."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.access import authorize
from services.coordination.cases import service as cases
from services.coordination.deps import CoordinationWork
from services.coordination.parties import service, sharing
from services.coordination.parties.models import CaseParty, Disclosure, EmergencySharing
from services.coordination.parties.rules import Basis
from services.coordination.parties.schemas import (
    BasisOut,
    DisclosureOut,
    EmergencySharingIn,
    EmergencySharingOut,
    PartyChange,
    PartyIn,
    PartyOut,
)
from shared.auth.policy import Reach
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Ordering, Page, SortKey, keyset_page
from shared.work import UnitOfWork, etag_of

router = APIRouter(
    prefix="/coordination/v1", tags=["agencies taking part"], dependencies=[Depends(authorize)]
)


def _party_out(party: CaseParty, basis: Basis | None, shows_basis: bool) -> PartyOut:
    return PartyOut(
        id=party.id,
        case_id=party.case_id,
        organisation_id=party.organisation_id,
        role=party.role,
        from_on=party.from_on,
        to_on=party.to_on,
        added_by=party.added_by,
        added_at=party.added_at,
        sharing=BasisOut(basis=basis.kind, reference=basis.reference, data_classes=sorted(basis.data_classes))
        if shows_basis and basis is not None
        else None,
        version=party.version,
        etag=etag_of(party.id, party.version),
    )


async def _shown(work: UnitOfWork, session: AsyncSession, parties: list[CaseParty]) -> list[PartyOut]:
    if not parties:
        return []
    shows_basis = work.access.reach == Reach.tenant
    bases: dict[str, Basis | None] = {}
    if shows_basis:
        case = await cases.get_case(session=session, case_id=parties[0].case_id)
        bases = await sharing.bases(
            session=session, case=case, organisation_ids=[p.organisation_id for p in parties], now=utcnow()
        )
    return [_party_out(p, bases.get(p.organisation_id), shows_basis) for p in parties]


@router.post(
    "/cases/{case_id}/parties",
    status_code=201,
    response_model=PartyOut,
    operation_id="addCaseParty",
    summary="関係機関の追加: an organisation takes part in the case (emits CasePartyAdded)",
    description=(
        "It sees the case from `from_on`; it sees the person only on a legal basis: a consent covering "
        "it, a support meeting it is a member of, or an emergency sharing."
    ),
)
async def add_party(case_id: str, body: PartyIn, work: CoordinationWork) -> Response:
    async with work.transaction() as session:
        case = await cases.get_case(session=session, case_id=case_id)
        party = await service.add_party(
            session=session, case=case, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        (out,) = await _shown(work, session, [party])
        return work.created(out, location=f"{router.prefix}/case-parties/{party.id}", etag=out.etag)


@router.get(
    "/cases/{case_id}/parties",
    response_model=list[PartyOut],
    operation_id="listCaseParties",
    summary="Every organisation that takes or took part in the case, with the sharing basis of each",
    description="`sharing` (the legal basis of showing the person to it) is given to tenant readers only.",
)
async def list_parties(case_id: str, work: CoordinationWork) -> list[PartyOut]:
    async with work.transaction() as session:
        await cases.get_case(session=session, case_id=case_id)
        return await _shown(work, session, await service.parties_of(session=session, case_id=case_id))


@router.put(
    "/case-parties/{party_id}",
    response_model=PartyOut,
    operation_id="changeCaseParty",
    summary="Change an organisation's part (role, from/to; ending it); needs If-Match (CasePartyChanged)",
)
async def change_party(party_id: str, body: PartyChange, work: CoordinationWork) -> PartyOut:
    async with work.transaction() as session:
        party = await service.get_party(session=session, party_id=party_id)
        work.check(party)
        await service.change_party(session=session, party=party, data=body, now=utcnow())
        (out,) = await _shown(work, session, [party])
        return out


@router.post(
    "/cases/{case_id}/emergency-sharings",
    status_code=201,
    response_model=EmergencySharingOut,
    operation_id="recordEmergencySharing",
    summary="緊急時の情報提供 (APPI Art. 27(1)(ii)): the person's data to an organisation without consent",
    description=(
        "To protect life or body when consent cannot be had: who decided, why, when, until when "
        "(at most 14 days). Reported to the municipality (emits EmergencySharingRecorded)."
    ),
)
async def record_emergency(case_id: str, body: EmergencySharingIn, work: CoordinationWork) -> Response:
    async with work.transaction() as session:
        case = await cases.get_case(session=session, case_id=case_id)
        sharing_record = await service.record_emergency(
            session=session, case=case, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        return work.created(
            EmergencySharingOut.model_validate(sharing_record),
            location=f"{router.prefix}/emergency-sharings/{sharing_record.id}",
            etag=etag_of(sharing_record.id, sharing_record.version),
        )


EMERGENCIES_NEWEST_FIRST = Ordering(
    "emergency_sharings",
    SortKey(EmergencySharing.recorded_at, datetime, descending=True),
    SortKey(EmergencySharing.id, str, descending=True),
)


@router.get(
    "/emergency-sharings",
    response_model=Page[EmergencySharingOut],
    operation_id="listEmergencySharings",
    summary="Emergency sharing reported to the municipality, newest first (`acknowledged=false`: awaiting)",
)
async def list_emergencies(
    work: CoordinationWork,
    acknowledged: bool | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[EmergencySharingOut]:
    query = select(EmergencySharing)
    if acknowledged is not None:
        column = EmergencySharing.acknowledged_at
        query = query.where(column.is_not(None) if acknowledged else column.is_(None))
    async with work.transaction() as session:
        rows, next_cursor = await keyset_page(
            session, query, EMERGENCIES_NEWEST_FIRST, cursor=cursor, limit=limit
        )
        return Page(items=[EmergencySharingOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/emergency-sharings/{sharing_id}/acknowledgement",
    response_model=EmergencySharingOut,
    operation_id="acknowledgeEmergencySharing",
    summary="The municipality acknowledges an emergency sharing reported to it; needs If-Match",
)
async def acknowledge_emergency(sharing_id: str, work: CoordinationWork) -> EmergencySharingOut:
    async with work.transaction() as session:
        sharing_record = await service.get_emergency(session=session, sharing_id=sharing_id)
        work.check(sharing_record)
        await service.acknowledge_emergency(
            session=session, sharing=sharing_record, actor=work.access.caller.subject, now=utcnow()
        )
        await session.flush()
        return EmergencySharingOut.model_validate(sharing_record)


DISCLOSURES_NEWEST_FIRST = Ordering(
    "disclosures",
    SortKey(Disclosure.disclosed_at, datetime, descending=True),
    SortKey(Disclosure.id, str, descending=True),
)


@router.get(
    "/cases/{case_id}/disclosures",
    response_model=Page[DisclosureOut],
    operation_id="listDisclosures",
    summary="第三者提供の記録: every disclosure of the person's data to an organisation, with its basis",
)
async def list_disclosures(
    case_id: str, work: CoordinationWork, cursor: CursorParam = None, limit: LimitParam = DEFAULT_LIMIT
) -> Page[DisclosureOut]:
    async with work.transaction() as session:
        await cases.get_case(session=session, case_id=case_id)
        rows, next_cursor = await keyset_page(
            session,
            select(Disclosure).where(Disclosure.case_id == case_id),
            DISCLOSURES_NEWEST_FIRST,
            cursor=cursor,
            limit=limit,
        )
        return Page(items=[DisclosureOut.model_validate(r) for r in rows], next_cursor=next_cursor)
