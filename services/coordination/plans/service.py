"""Use cases of a support plan: draft (or re-plan), revise a draft, record the meeting's approval,
the municipality's support decision and its acknowledgement of a reported plan. Functions stage
changes and outbox rows; the caller's unit of work owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import rules as case_rules
from services.coordination.cases.models import Case
from services.coordination.cases.rules import ACTIVE, CaseStatus
from services.coordination.cases.service import CaseNotFound
from services.coordination.db import messaging
from services.coordination.organisations import service as organisations
from services.coordination.parties import rules as sharing_rules
from services.coordination.parties import service as parties
from services.coordination.parties import sharing
from services.coordination.plan_meetings.models import PlanMeetingDecision
from services.coordination.plan_meetings.rules import MeetingDecisionFacts, MeetingPurpose
from services.coordination.plans import rules
from services.coordination.plans.models import PlanApproval, SupportDecision, SupportPlan
from services.coordination.plans.rules import DECIDED_KINDS, ItemFacts, ItemKind, PlanFacts, PlanStatus
from services.coordination.plans.schemas import (
    ApprovalOut,
    ItemDecisionOut,
    PlanIn,
    PlanItemOut,
    PlanOut,
    SupportDecisionIn,
    SupportDecisionOut,
)
from shared.auth.policy import Access, Reach
from shared.db import new_id, utcnow
from shared.errors import Conflict, FieldProblem, InvalidInput, NotFound, Text
from shared.events.catalog import (
    ConfirmedItem,
    PlanApproved,
    PlanConfirmed,
    PlanDrafted,
    PlanReported,
    ReferredPerson,
    SupportDecided,
)
from shared.messaging.outbox import emit
from shared.work import etag_of


class PlanNotFound(NotFound):
    slug = "plan-not-found"
    title = Text("支援プランが見つかりません。", "Support plan not found.")


class CaseNotActive(Conflict):
    slug = "case-not-active"
    title = Text(
        "終結・中断・辞退・差し戻しのケースにはプランを作れません（再開してください）。",
        "The case is not active: reopen it first.",
    )


class PlanUndecided(Conflict):
    slug = "plan-undecided"
    title = Text(
        "このケースには検討中のプランがあります。そのプランを直すか、決定を待ってください。",
        "The case has a plan still being drafted or decided: revise that one.",
    )


class ReportNotAwaited(Conflict):
    slug = "report-not-awaited"
    title = Text("確認を待つプランの報告はありません。", "No report of this plan awaits acknowledgement.")


def _problem(field: str, ja: str, en: str, code: str) -> FieldProblem:
    return FieldProblem(field, Text(ja, en), code)


def facts_of(plan: SupportPlan) -> PlanFacts:
    return PlanFacts(
        id=plan.id,
        case_id=plan.case_id,
        status=PlanStatus(plan.status),
        items=[_item_facts(item) for item in plan.items],
        replaces=plan.replaces_id,
        version=plan.version,
    )


def _item_facts(item: dict[str, Any]) -> ItemFacts:
    return ItemFacts(
        id=str(item["id"]),
        kind=ItemKind(item["kind"]),
        organisation_id=str(item["organisation_id"]),
        starts_on=date.fromisoformat(item["starts_on"]) if item.get("starts_on") else None,
        ends_on=date.fromisoformat(item["ends_on"]) if item.get("ends_on") else None,
    )


# --- drafting -------------------------------------------------------------------------------------


async def _locked_case(session: AsyncSession, case_id: str) -> Case:
    # The case row orders its plans: numbers, and which plan a re-plan takes over from.
    case = await session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    return case


async def _check_content(
    session: AsyncSession, tenant_id: str, data: PlanIn, *, today: date, kept: set[str]
) -> None:
    problems: list[FieldProblem] = []
    if data.drafted_on > today:
        problems.append(_problem("drafted_on", "未来の日付です。", "In the future.", "in_future"))
    items = [
        ItemFacts(item.id or "", item.kind, item.organisation_id, item.starts_on, item.ends_on)
        for item in data.items
    ]
    known = await organisations.tenants_of(
        session=session, organisation_ids=[i.organisation_id for i in items]
    )
    problems += rules.item_problems(items, known, tenant_id)
    for i, item in enumerate(data.items):
        if item.id is not None and item.id not in kept:
            problems.append(
                _problem(
                    f"items[{i}].id",
                    "このプランの項目ではありません。",
                    "Not an item of this plan.",
                    "unknown_item",
                )
            )
    for i, day in enumerate(data.monitoring_dates):
        if day < data.drafted_on:
            problems.append(
                _problem(
                    f"monitoring_dates[{i}]",
                    "プラン作成日より前のモニタリング日です。",
                    "Before the plan was made.",
                    "before_plan",
                )
            )
    if problems:
        raise InvalidInput(fields=problems)


def _apply(plan: SupportPlan, data: PlanIn, now: datetime) -> None:
    plan.drafted_on = data.drafted_on
    plan.person_wishes = data.person_wishes
    plan.long_term_goals = list(data.long_term_goals)
    plan.short_term_goals = list(data.short_term_goals)
    plan.items = [
        {
            "id": item.id or new_id(),
            "kind": item.kind.value,
            "organisation_id": item.organisation_id,
            "what": item.what,
            "frequency": item.frequency,
            "starts_on": item.starts_on.isoformat() if item.starts_on else None,
            "ends_on": item.ends_on.isoformat() if item.ends_on else None,
        }
        for item in data.items
    ]
    plan.monitoring_dates = sorted(d.isoformat() for d in data.monitoring_dates)
    plan.updated_at = now


async def draft_plan(
    *, session: AsyncSession, case_id: str, data: PlanIn, actor: str, now: datetime, today: date
) -> SupportPlan:
    """A first plan of the case's cycle, or a re-plan (再プラン) when a plan is in force."""
    case = await _locked_case(session, case_id)
    if CaseStatus(case.status) not in ACTIVE:
        raise CaseNotActive()
    await _check_content(session, case.tenant_id, data, today=today, kept=set())
    undecided = await session.scalar(
        select(SupportPlan.id).where(
            SupportPlan.case_id == case.id, SupportPlan.status.in_(("drafting", "approved"))
        )
    )
    if undecided is not None:
        raise PlanUndecided(extra={"plan_id": undecided})
    in_force = await session.scalar(
        select(SupportPlan.id).where(
            SupportPlan.case_id == case.id,
            SupportPlan.cycle == case.cycle,
            SupportPlan.status == PlanStatus.confirmed.value,
        )
    )
    number = (
        await session.scalar(
            select(func.max(SupportPlan.number))
            .select_from(SupportPlan)
            .where(SupportPlan.case_id == case.id)
        )
    ) or 0
    plan = SupportPlan(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        number=number + 1,
        cycle=case.cycle,
        replaces_id=in_force,
        status=PlanStatus.drafting.value,
        drafted_by=actor,
        created_at=now,
        version=1,
    )
    _apply(plan, data, now)
    session.add(plan)
    await session.flush()
    await emit(
        session,
        messaging,
        PlanDrafted(
            case_id=plan.case_id,
            plan_id=plan.id,
            tenant_id=plan.tenant_id,
            number=plan.number,
            replaces_id=plan.replaces_id,
            drafted_on=plan.drafted_on,
            drafted_at=now,
        ),
    )
    return plan


async def revise_plan(
    *, session: AsyncSession, plan: SupportPlan, data: PlanIn, now: datetime, today: date
) -> SupportPlan:
    """A draft (or a plan sent back) is changed in place; anything later is re-planned."""
    rules.check_editable(facts_of(plan))
    await _check_content(session, plan.tenant_id, data, today=today, kept={str(i["id"]) for i in plan.items})
    _apply(plan, data, now)
    return plan


# --- the meeting's approval and the municipality's decision ---------------------------------------


async def _meeting_decision(
    session: AsyncSession, plan: SupportPlan, meeting_id: str
) -> tuple[MeetingDecisionFacts | None, PlanMeetingDecision | None]:
    purpose = rules.required_purpose(facts_of(plan))
    row = await session.scalar(
        select(PlanMeetingDecision)
        .where(PlanMeetingDecision.meeting_id == meeting_id, PlanMeetingDecision.case_id == plan.case_id)
        .order_by(PlanMeetingDecision.purpose != purpose.value)
    )
    if row is None:
        return None, None
    members = [m for m in row.member_index.split("|") if m]
    facts = MeetingDecisionFacts(
        meeting_id=row.meeting_id,
        case_id=row.case_id,
        purpose=MeetingPurpose(row.purpose),
        plan_id=row.plan_id,
        members=members,
        held_on=row.held_on,
        plan_version=row.plan_version,
        approved=row.approved,
    )
    return facts, row


async def _municipality(session: AsyncSession, tenant_id: str) -> str:
    municipality = await organisations.municipality_of(session=session, tenant_id=tenant_id)
    # Unknown (the directory has not said which operator is the town): no meeting can satisfy it.
    return municipality or f"{tenant_id}-municipality"


async def approve_plan(
    *, session: AsyncSession, plan: SupportPlan, meeting_id: str, actor: str, now: datetime
) -> SupportPlan:
    facts, decision = await _meeting_decision(session, plan, meeting_id)
    municipality = await _municipality(session, plan.tenant_id)
    status = rules.after_approval(facts_of(plan), facts, municipality=municipality)
    assert decision is not None  # after_approval refuses an approval without one
    approved_version = plan.version
    plan.move_to(status, now=now)
    if status == PlanStatus.confirmed:
        plan.reported_at = now  # a plan with neither outreach nor participation: reported
    # The conditional UPDATE first: of two approvals from one ETag the second is stale (412) here,
    # before its record could meet the first's.
    await session.flush()
    session.add(
        PlanApproval(
            id=new_id(),
            tenant_id=plan.tenant_id,
            plan_id=plan.id,
            plan_version=approved_version,
            case_id=plan.case_id,
            meeting_id=meeting_id,
            held_on=decision.held_on,
            recorded_by=actor,
            recorded_at=now,
        )
    )
    await emit(
        session,
        messaging,
        PlanApproved(
            case_id=plan.case_id,
            plan_id=plan.id,
            tenant_id=plan.tenant_id,
            plan_version=approved_version,
            meeting_id=meeting_id,
            held_on=decision.held_on,
            approved_at=now,
        ),
    )
    if status == PlanStatus.confirmed:
        await _put_in_force(session, plan, now)
        await emit(
            session,
            messaging,
            PlanReported(case_id=plan.case_id, plan_id=plan.id, tenant_id=plan.tenant_id, reported_at=now),
        )
    return plan


async def decide_support(
    *,
    session: AsyncSession,
    plan: SupportPlan,
    data: SupportDecisionIn,
    access: Access,
    now: datetime,
    today: date,
) -> SupportPlan:
    if data.decided_on > today:
        raise InvalidInput(fields=[_problem("decided_on", "未来の日付です。", "In the future.", "in_future")])
    decisions = [rules.ItemDecision(d.item_id, d.answer, d.reason) for d in data.decisions]
    status = rules.after_support_decision(facts_of(plan), decisions, data.reviewed)
    decided_version = plan.version
    plan.move_to(status, now=now)
    await session.flush()  # the conditional UPDATE first (a concurrent decision is stale: 412)
    session.add(
        SupportDecision(
            id=new_id(),
            tenant_id=plan.tenant_id,
            plan_id=plan.id,
            plan_version=decided_version,
            case_id=plan.case_id,
            decided_on=data.decided_on,
            decided_by=access.caller.subject,
            organisation_id=access.caller.organisation_id,
            decisions=[d.model_dump(mode="json") for d in data.decisions],
            reviewed=list(data.reviewed),
            confirmed=status == PlanStatus.confirmed,
            recorded_at=now,
        )
    )
    await emit(
        session,
        messaging,
        SupportDecided(
            case_id=plan.case_id,
            plan_id=plan.id,
            tenant_id=plan.tenant_id,
            plan_version=decided_version,
            decided_on=data.decided_on,
            approved_items=[d.item_id for d in data.decisions if d.answer == rules.Answer.approve],
            refused_items=[d.item_id for d in data.decisions if d.answer == rules.Answer.refuse],
            confirmed=status == PlanStatus.confirmed,
            decided_at=now,
        ),
    )
    if status == PlanStatus.confirmed:
        await _put_in_force(session, plan, now)
    return plan


async def acknowledge_report(
    *, session: AsyncSession, plan: SupportPlan, actor: str, now: datetime
) -> SupportPlan:
    if plan.reported_at is None or plan.report_acknowledged_at is not None:
        raise ReportNotAwaited()
    plan.report_acknowledged_at = now
    plan.report_acknowledged_by = actor
    plan.updated_at = now
    return plan


async def _put_in_force(session: AsyncSession, plan: SupportPlan, now: datetime) -> None:
    """The confirmed plan is the case's plan from now on: the one it re-plans is superseded, a case
    still assessing and planning is in support, and its outreach and participation items go out
    (PlanConfirmed) to the services that carry them out."""
    if plan.replaces_id is not None:
        replaced = await session.get(SupportPlan, plan.replaces_id)
        if replaced is not None and replaced.status == PlanStatus.confirmed.value:
            replaced.move_to(PlanStatus.superseded, now=now)
    case = await session.get(Case, plan.case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    if case.status == CaseStatus.open.value:
        case.status = case_rules.transition(case.status, CaseStatus.in_support).value
    await session.flush()
    # The plan's organisations take part in the case from now on (they see it, and their items).
    await parties.join_from_plan(session=session, case=case, items=plan.items, actor=plan.drafted_by, now=now)
    items = decided_items(plan)
    bases = await sharing.bases(
        session=session, case=case, organisation_ids=[str(i["organisation_id"]) for i in items], now=now
    )
    confirmed = []
    for item in items:
        organisation_id = str(item["organisation_id"])
        confirmed.append(_confirmed_item(case, plan, item, bases[organisation_id]))
        basis = bases[organisation_id]
        if basis is not None and confirmed[-1].person is not None:
            sharing.disclose(
                session,
                case=case,
                organisation_id=organisation_id,
                basis=basis,
                data_classes=basis.data_classes,
                channel="PlanConfirmed",
                recipient=None,
                request_id=None,
                now=now,
            )
    await emit(
        session,
        messaging,
        PlanConfirmed(
            case_id=plan.case_id,
            plan_id=plan.id,
            tenant_id=plan.tenant_id,
            plan_version=plan.version,
            number=plan.number,
            replaces_id=plan.replaces_id,
            confirmed_at=now,
            items=confirmed,
        ),
    )


def _confirmed_item(
    case: Case, plan: SupportPlan, item: dict[str, Any], basis: sharing_rules.Basis | None
) -> ConfirmedItem:
    # The person's identity and contact go to the item's organisation only on a legal basis, as far
    # as it reaches; their own words only under their consent.
    person = sharing_rules.shown_person(case.person, basis.data_classes) if basis else None
    by_consent = basis is not None and basis.kind == sharing_rules.LegalBasis.consent
    return ConfirmedItem(
        item_id=str(item["id"]),
        kind=item["kind"],
        organisation_id=str(item["organisation_id"]),
        what=str(item["what"]),
        frequency=item.get("frequency"),
        starts_on=date.fromisoformat(item["starts_on"]) if item.get("starts_on") else None,
        ends_on=date.fromisoformat(item["ends_on"]) if item.get("ends_on") else None,
        person_wishes=plan.person_wishes if by_consent else None,
        person=ReferredPerson.model_validate(person) if person else None,
    )


# --- reading ---------------------------------------------------------------------------------------


async def get_plan(*, session: AsyncSession, plan_id: str) -> SupportPlan:
    plan = await session.get(SupportPlan, plan_id)
    if plan is None:
        raise PlanNotFound()
    return plan


async def plans_of(*, session: AsyncSession, case_id: str) -> list[SupportPlan]:
    if await session.get(Case, case_id) is None:
        raise CaseNotFound()
    rows = await session.scalars(
        select(SupportPlan).where(SupportPlan.case_id == case_id).order_by(SupportPlan.number)
    )
    return list(rows.all())


async def shown_one(*, session: AsyncSession, plan: SupportPlan, access: Access) -> PlanOut:
    """The plan as it stands after a change (flushed: its new version and records)."""
    await session.flush()
    (out,) = await shown(session=session, plans=[plan], access=access)
    return out


async def shown(*, session: AsyncSession, plans: Sequence[SupportPlan], access: Access) -> list[PlanOut]:
    """Plans as the caller sees them: the person's own words only where their consent reaches."""
    ids = [p.id for p in plans]
    approvals = (await session.scalars(select(PlanApproval).where(PlanApproval.plan_id.in_(ids)))).all()
    decisions = (await session.scalars(select(SupportDecision).where(SupportDecision.plan_id.in_(ids)))).all()
    cases = {
        c.id: c
        for c in (await session.scalars(select(Case).where(Case.id.in_({p.case_id for p in plans})))).all()
    }
    by_consent = await _wishes_shared(session, cases, access, plans)
    out = []
    for plan in plans:
        wishes_shown = access.reach == Reach.tenant or plan.case_id in by_consent
        out.append(
            PlanOut(
                id=plan.id,
                case_id=plan.case_id,
                number=plan.number,
                cycle=plan.cycle,
                replaces_id=plan.replaces_id,
                status=PlanStatus(plan.status),
                confirmation_path=rules.confirmation_path(facts_of(plan).items),
                drafted_on=plan.drafted_on,
                person_wishes=plan.person_wishes if wishes_shown else None,
                long_term_goals=plan.long_term_goals,
                short_term_goals=plan.short_term_goals,
                items=[PlanItemOut.model_validate(item) for item in plan.items],
                monitoring_dates=[date.fromisoformat(d) for d in plan.monitoring_dates],
                drafted_by=plan.drafted_by,
                approvals=[
                    ApprovalOut(meeting_id=a.meeting_id, held_on=a.held_on, plan_version=a.plan_version)
                    for a in sorted(approvals, key=lambda a: a.recorded_at)
                    if a.plan_id == plan.id
                ],
                support_decisions=[
                    SupportDecisionOut(
                        decided_on=d.decided_on,
                        decided_by=d.decided_by,
                        plan_version=d.plan_version,
                        decisions=[ItemDecisionOut.model_validate(x) for x in d.decisions],
                        reviewed=d.reviewed,
                        confirmed=d.confirmed,
                    )
                    for d in sorted(decisions, key=lambda d: d.recorded_at)
                    if d.plan_id == plan.id
                ],
                confirmed_at=plan.confirmed_at,
                reported_at=plan.reported_at,
                report_acknowledged_at=plan.report_acknowledged_at,
                version=plan.version,
                etag=etag_of(plan.id, plan.version),
            )
        )
    return out


async def _wishes_shared(
    session: AsyncSession, cases: dict[str, Case], access: Access, plans: Sequence[SupportPlan]
) -> set[str]:
    """The cases whose plans' person's wishes an organisation taking part is shown: under the person's
    consent only. Each showing is recorded as a disclosure."""
    if access.reach == Reach.tenant:
        return set()
    organisation_id = access.caller.organisation_id
    now = utcnow()
    shared: set[str] = set()
    for case in cases.values():
        basis = (
            await sharing.bases(session=session, case=case, organisation_ids=[organisation_id], now=now)
        )[organisation_id]
        if basis is None or basis.kind != sharing_rules.LegalBasis.consent:
            continue
        shared.add(case.id)
        if any(p.case_id == case.id and p.person_wishes for p in plans):
            sharing.disclose(
                session,
                case=case,
                organisation_id=organisation_id,
                basis=basis,
                data_classes=["wishes"],
                channel=access.operation,
                recipient=access.caller.subject,
                request_id=access.request_id,
                now=now,
            )
    return shared


def decided_items(plan: SupportPlan) -> list[dict[str, Any]]:
    return [item for item in plan.items if ItemKind(item["kind"]) in DECIDED_KINDS]
