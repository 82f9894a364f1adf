"""支援プラン: how a plan is approved, decided and confirmed. Plain functions, no I/O.

Seed 003 §6-1(4)(6), the most precise statement of the rules (seeds 000 §2(2)ウ and 001 §4 agree):
- a plan meeting (重層的支援会議) must evaluate every newly drafted plan and every re-plan; the
  municipality is a member of every plan meeting, and the outreach and participation operators are
  members when the plan has items of their kind;
- a plan with outreach (item 4) or participation (item 2) items is confirmed only after the
  municipality's support decision (支援決定) on those items; its other items need no decision, but
  the municipality reviews them with the rest;
- a plan with neither is confirmed by the meeting's approval and reported to the municipality.
A refused item sends the plan back to drafting. A plan that was approved is never edited in place:
a change is a re-plan (再プラン), a new version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.coordination.plan_meetings.rules import (
    MeetingDecisionFacts,
    MeetingPurpose,
    NoMeetingDecided,
    membership_problems,
    organisation_problem,
)
from shared.errors import Conflict, FieldProblem, InvalidInput, Text


class ItemKind(StrEnum):
    outreach = "outreach"  # アウトリーチ等事業 (item 4)
    participation = "participation"  # 参加支援事業 (item 2)
    other = "other"  # any other support: an agency's own service, a program, the family


DECIDED_KINDS = frozenset({ItemKind.outreach, ItemKind.participation})


class PlanStatus(StrEnum):
    drafting = "drafting"  # written or sent back; a meeting has not approved it
    approved = "approved"  # the meeting approved it; the municipality's support decision awaited
    confirmed = "confirmed"  # in force
    superseded = "superseded"  # a re-plan was confirmed in its place


class ConfirmationPath(StrEnum):
    support_decision = "support_decision"  # outreach or participation items: the municipality decides
    report = "report"  # neither: confirmed by the meeting, reported to the municipality


class Answer(StrEnum):
    approve = "approve"
    refuse = "refuse"


@dataclass(frozen=True)
class ItemFacts:
    id: str
    kind: ItemKind
    organisation_id: str  # the organisation responsible for the item
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class PlanFacts:
    id: str
    case_id: str
    status: PlanStatus
    items: Sequence[ItemFacts]
    replaces: str | None = None  # the plan this re-plan takes over from
    version: int = 1


@dataclass(frozen=True)
class ItemDecision:
    item_id: str
    answer: Answer
    reason: str | None


class PlanNotEditable(Conflict):
    slug = "plan-not-editable"
    title = Text(
        "会議で了承されたプランは変更できません。再プランを作成してください。",
        "A plan a meeting approved is not changed in place: draft a re-plan.",
    )


class PlanNotAwaitingThis(Conflict):
    slug = "plan-not-awaiting-this"
    title = Text("現在のプランの状態ではこの操作はできません。", "The plan's status does not allow this.")


class SupportDecisionNotExpected(InvalidInput):
    slug = "support-decision-not-expected"
    title = Text(
        "アウトリーチ等事業・参加支援事業を含まないプランには支援決定は不要です（町への報告で確定します）。",
        "A plan without outreach or participation items needs no support decision: it is reported.",
    )


def _problem(field: str, ja: str, en: str, code: str) -> FieldProblem:
    return FieldProblem(field, Text(ja, en), code)


def _kinds_by_organisation(items: Sequence[ItemFacts]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for item in items:
        if item.kind in DECIDED_KINDS:
            kinds.setdefault(item.organisation_id, set()).add(item.kind.value)
    return kinds


# --- what a plan needs ------------------------------------------------------------------------


def confirmation_path(items: Sequence[ItemFacts]) -> ConfirmationPath:
    if any(item.kind in DECIDED_KINDS for item in items):
        return ConfirmationPath.support_decision
    return ConfirmationPath.report


def required_purpose(plan: PlanFacts) -> MeetingPurpose:
    """A first plan of a cycle is evaluated; a plan that takes over from another is a re-plan."""
    return MeetingPurpose.re_plan if plan.replaces is not None else MeetingPurpose.plan_evaluation


def item_problems(
    items: Sequence[ItemFacts], known_organisations: Mapping[str, str], tenant_id: str
) -> list[FieldProblem]:
    """Each item's organisation is an operator of the municipality; its dates are in order.
    `known_organisations` maps the organisations coordination knows to their municipality."""
    problems: list[FieldProblem] = []
    for i, item in enumerate(items):
        problem = organisation_problem(
            f"items[{i}].organisation_id", item.organisation_id, known_organisations, tenant_id
        )
        if problem is not None:
            problems.append(problem)
        if item.starts_on is not None and item.ends_on is not None and item.ends_on < item.starts_on:
            problems.append(
                _problem(
                    f"items[{i}].ends_on",
                    "終了日が開始日より前です。",
                    "Ends before it starts.",
                    "before_start",
                )
            )
    return problems


def check_editable(plan: PlanFacts) -> None:
    if plan.status != PlanStatus.drafting:
        raise PlanNotEditable()


# --- the meeting's approval -------------------------------------------------------------------


def after_approval(
    plan: PlanFacts, decision: MeetingDecisionFacts | None, *, municipality: str
) -> PlanStatus:
    """The plan's status once the meeting's approval is recorded; refuses an approval no meeting
    of the right purpose gave, or one whose meeting lacked a required member."""
    if plan.status != PlanStatus.drafting:
        raise PlanNotAwaitingThis(
            Text("了承を待つプランではありません。", "The plan is not awaiting a meeting's approval.")
        )
    purpose = required_purpose(plan)
    if decision is None or decision.case_id != plan.case_id or decision.plan_id != plan.id:
        raise NoMeetingDecided(
            fields=[
                _problem(
                    "meeting_id",
                    "このプランを検討した重層的支援会議を指定してください。",
                    "Name the plan meeting that evaluated this plan.",
                    "no_meeting",
                )
            ]
        )
    if decision.purpose != purpose:
        raise NoMeetingDecided(
            fields=[
                _problem(
                    "meeting_id",
                    f"この会議の目的は {decision.purpose.value} です（{purpose.value} が必要）。",
                    f"That meeting's purpose was {decision.purpose.value}; {purpose.value} is needed.",
                    "wrong_purpose",
                )
            ]
        )
    for wrong, code, ja, en in (
        (
            decision.plan_version not in (None, plan.version),
            "plan_changed",
            "会議の後にプランが変更されています。変更後のプランを会議で検討してください。",
            "The plan was changed after the meeting: the meeting must see the plan as it is.",
        ),
        (
            not decision.approved,
            "not_approved",
            "会議はこのプランを了承していません。",
            "The meeting did not approve this plan.",
        ),
    ):
        if wrong:
            raise NoMeetingDecided(fields=[_problem("meeting_id", ja, en, code)])
    problems = membership_problems(
        decision.members, municipality=municipality, operators=_kinds_by_organisation(plan.items)
    )
    if problems:
        raise InvalidInput(fields=problems)
    if confirmation_path(plan.items) == ConfirmationPath.report:
        return PlanStatus.confirmed
    return PlanStatus.approved


# --- the municipality's support decision -------------------------------------------------------


def after_support_decision(
    plan: PlanFacts, decisions: Sequence[ItemDecision], reviewed: Sequence[str]
) -> PlanStatus:
    """支援決定 on every outreach and participation item (approve or refuse, a reason with a
    refusal), and the other items named as reviewed. All approved: confirmed; any refused: back to
    drafting."""
    if confirmation_path(plan.items) != ConfirmationPath.support_decision:
        raise SupportDecisionNotExpected(
            fields=[
                _problem(
                    "plan_id",
                    "アウトリーチ等事業・参加支援事業の項目がありません。",
                    "The plan has no outreach or participation item.",
                    "nothing_to_decide",
                )
            ]
        )
    if plan.status != PlanStatus.approved:
        raise PlanNotAwaitingThis(
            Text(
                "会議で了承され、支援決定を待つプランではありません。",
                "The plan is not approved and awaiting the support decision.",
            )
        )
    problems = _answer_problems(plan, decisions)
    others = {item.id for item in plan.items if item.kind not in DECIDED_KINDS}
    for item_id in sorted(others - set(reviewed)):
        problems.append(
            _problem(
                "reviewed",
                f"項目 {item_id} の内容の確認が記録されていません。",
                f"Item {item_id} was not recorded as reviewed.",
                "not_reviewed",
            )
        )
    if problems:
        raise InvalidInput(fields=problems)
    if any(d.answer == Answer.refuse for d in decisions):
        return PlanStatus.drafting
    return PlanStatus.confirmed


def _answer_problems(plan: PlanFacts, decisions: Sequence[ItemDecision]) -> list[FieldProblem]:
    """Each decision names a decided item of the plan, once; a refusal gives its reason. Every
    decided item has its decision."""
    by_id = {item.id: item for item in plan.items}
    problems: list[FieldProblem] = []
    decided: set[str] = set()
    for i, decision in enumerate(decisions):
        item = by_id.get(decision.item_id)
        if item is None or item.kind not in DECIDED_KINDS:
            problems.append(
                _problem(
                    f"decisions[{i}].item_id",
                    "このプランのアウトリーチ等事業・参加支援事業の項目ではありません。",
                    "Not an outreach or participation item of this plan.",
                    "not_decided_item",
                )
            )
            continue
        if decision.item_id in decided:
            problems.append(
                _problem(f"decisions[{i}].item_id", "重複しています。", "Decided twice.", "duplicate")
            )
        decided.add(decision.item_id)
        if decision.answer == Answer.refuse and not (decision.reason or "").strip():
            problems.append(
                _problem(
                    f"decisions[{i}].reason",
                    "支援しない場合は理由が必要です。",
                    "A refusal needs its reason.",
                    "missing",
                )
            )
    for item in plan.items:
        if item.kind in DECIDED_KINDS and item.id not in decided:
            problems.append(
                _problem(
                    "decisions",
                    f"項目 {item.id}（{item.kind.value}）の支援決定がありません。",
                    f"Item {item.id} ({item.kind.value}) has no decision.",
                    "undecided_item",
                )
            )
    return problems
