"""HTTP for support plans (支援プラン): drafting, the meeting's approval, the support decision."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.cases.rules import JST
from services.coordination.deps import CoordinationWork
from services.coordination.plans import service
from services.coordination.plans.schemas import ApprovalIn, PlanIn, PlanOut, SupportDecisionIn
from shared.db import utcnow
from shared.work import etag_of

router = APIRouter(prefix="/coordination/v1", tags=["support plans"], dependencies=[Depends(authorize)])


@router.post(
    "/cases/{case_id}/plans",
    status_code=201,
    response_model=PlanOut,
    operation_id="draftPlan",
    summary="支援プランの作成: draft the case's plan (a re-plan when one is in force; emits PlanDrafted)",
)
async def draft_plan(case_id: str, body: PlanIn, work: CoordinationWork) -> Response:
    now = utcnow()
    async with work.transaction() as session:
        plan = await service.draft_plan(
            session=session,
            case_id=case_id,
            data=body,
            actor=work.access.caller.subject,
            now=now,
            today=now.astimezone(JST).date(),
        )
        out = await service.shown_one(session=session, plan=plan, access=work.access)
        return work.created(
            out, location=f"{router.prefix}/plans/{plan.id}", etag=etag_of(plan.id, plan.version)
        )


@router.get(
    "/cases/{case_id}/plans",
    response_model=list[PlanOut],
    operation_id="listPlansOfCase",
    summary="Every plan of the case, re-plans included, oldest first",
)
async def list_plans(case_id: str, work: CoordinationWork) -> list[PlanOut]:
    async with work.transaction() as session:
        plans = await service.plans_of(session=session, case_id=case_id)
        return await service.shown(session=session, plans=plans, access=work.access)


@router.get("/plans/{plan_id}", response_model=PlanOut, operation_id="getPlan", summary="One plan")
async def get_plan(plan_id: str, work: CoordinationWork) -> PlanOut:
    async with work.transaction() as session:
        plan = await service.get_plan(session=session, plan_id=plan_id)
        work.etag(plan)
        return await service.shown_one(session=session, plan=plan, access=work.access)


@router.put(
    "/plans/{plan_id}",
    response_model=PlanOut,
    operation_id="revisePlan",
    summary="Revise a plan being drafted (or sent back); needs If-Match. An approved plan is re-planned",
)
async def revise_plan(plan_id: str, body: PlanIn, work: CoordinationWork) -> PlanOut:
    now = utcnow()
    async with work.transaction() as session:
        plan = await service.get_plan(session=session, plan_id=plan_id)
        work.check(plan)
        await service.revise_plan(
            session=session, plan=plan, data=body, now=now, today=now.astimezone(JST).date()
        )
        return await service.shown_one(session=session, plan=plan, access=work.access)


@router.post(
    "/plans/{plan_id}/approval",
    response_model=PlanOut,
    operation_id="approvePlan",
    summary="会議での了承: record the plan meeting's approval; needs If-Match (emits PlanApproved)",
    description=(
        "The meeting named must have discussed this case's plan, as it is now, for the right purpose "
        "(plan_evaluation for a first plan, re_plan for a re-plan), with the municipality and the "
        "operators of outreach and participation items among its members. A plan with neither kind of "
        "item is confirmed here and reported to the municipality (PlanConfirmed, PlanReported)."
    ),
)
async def approve_plan(plan_id: str, body: ApprovalIn, work: CoordinationWork) -> PlanOut:
    async with work.transaction() as session:
        plan = await service.get_plan(session=session, plan_id=plan_id)
        work.check(plan)
        await service.approve_plan(
            session=session,
            plan=plan,
            meeting_id=body.meeting_id,
            actor=work.access.caller.subject,
            now=utcnow(),
        )
        return await service.shown_one(session=session, plan=plan, access=work.access)


@router.post(
    "/plans/{plan_id}/support-decision",
    response_model=PlanOut,
    operation_id="decideSupport",
    summary="支援決定: the municipality decides the outreach and participation items; needs If-Match",
    description=(
        "Approve or refuse each outreach and participation item (a refusal gives its reason) and name "
        "the other items as reviewed. All approved: the plan is confirmed (SupportDecided, "
        "PlanConfirmed); any refused: it goes back to drafting (SupportDecided)."
    ),
)
async def decide_support(plan_id: str, body: SupportDecisionIn, work: CoordinationWork) -> PlanOut:
    now = utcnow()
    async with work.transaction() as session:
        plan = await service.get_plan(session=session, plan_id=plan_id)
        work.check(plan)
        await service.decide_support(
            session=session,
            plan=plan,
            data=body,
            access=work.access,
            now=now,
            today=now.astimezone(JST).date(),
        )
        return await service.shown_one(session=session, plan=plan, access=work.access)


@router.post(
    "/plans/{plan_id}/report-acknowledgement",
    response_model=PlanOut,
    operation_id="acknowledgePlanReport",
    summary="The municipality acknowledges a reported plan (one without outreach or participation); If-Match",
)
async def acknowledge_report(plan_id: str, work: CoordinationWork) -> PlanOut:
    async with work.transaction() as session:
        plan = await service.get_plan(session=session, plan_id=plan_id)
        work.check(plan)
        await service.acknowledge_report(
            session=session, plan=plan, actor=work.access.caller.subject, now=utcnow()
        )
        return await service.shown_one(session=session, plan=plan, access=work.access)
