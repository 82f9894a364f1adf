"""重層的支援会議 (the plan meeting): why it is held and who must attend. Plain functions.

Seed 003 §6-1(2)(4): it must be held to evaluate a newly drafted plan, to re-plan, to judge
termination and to decide suspension; the municipality attends every one (it makes the support
decision on the plan), and the outreach and participation operators attend when the plan has items
of their kind. A meeting may discuss several cases and decide something for each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.errors import FieldProblem, InvalidInput, Text


class NoMeetingDecided(InvalidInput):
    slug = "no-meeting-decided"
    title = Text(
        "この操作を決めた重層的支援会議の記録がありません。",
        "No plan meeting of the required purpose decided this.",
    )


def organisation_problem(
    field: str, organisation_id: str, known: Mapping[str, str], tenant_id: str
) -> FieldProblem | None:
    """An organisation named in a plan or a meeting is one the directory lists, of the municipality.
    `known` maps the organisations coordination knows to their municipality."""
    tenant = known.get(organisation_id)
    if tenant is None:
        return FieldProblem(
            field,
            Text("社会資源に登録されていない機関です。", "Not an organisation the resource directory lists."),
            "unknown_organisation",
        )
    if tenant != tenant_id:
        return FieldProblem(
            field,
            Text("他の自治体の機関です。", "An organisation of another municipality."),
            "other_municipality",
        )
    return None


class MeetingPurpose(StrEnum):
    """The four moments a plan meeting must be held (seed 003 §6-1(4))."""

    plan_evaluation = "plan_evaluation"  # プラン策定後の評価時
    re_plan = "re_plan"  # 再プラン策定時
    termination = "termination"  # 支援終結の判断時
    suspension = "suspension"  # 支援中断の決定時


@dataclass(frozen=True)
class MeetingDecisionFacts:
    """What a plan meeting decided about one case."""

    meeting_id: str
    case_id: str
    purpose: MeetingPurpose
    plan_id: str | None  # the plan evaluated (plan_evaluation, re_plan)
    members: Sequence[str]  # organisation ids
    held_on: date
    plan_version: int | None = None  # the version the meeting discussed
    approved: bool = True  # False: discussed, not approved


def membership_problems(
    members: Sequence[str], *, municipality: str, operators: Mapping[str, set[str]]
) -> list[FieldProblem]:
    """The municipality attends every plan meeting; the operators of the plan's outreach and
    participation items (`operators`: organisation -> the kinds it is responsible for) attend when
    it discusses them."""
    present = set(members)
    problems: list[FieldProblem] = []
    if municipality not in present:
        problems.append(
            FieldProblem(
                "members",
                Text(
                    f"町（{municipality}）はすべての重層的支援会議の構成員です。",
                    f"The municipality ({municipality}) is a member of every plan meeting.",
                ),
                "municipality_missing",
            )
        )
    for operator, kinds in sorted(operators.items()):
        if operator in present:
            continue
        for kind in sorted(kinds):
            problems.append(
                FieldProblem(
                    "members",
                    Text(
                        f"{kind} の項目を担う {operator} が会議の構成員にいません。",
                        f"{operator}, responsible for the plan's {kind} items, is not a member.",
                    ),
                    f"{kind}_operator_missing",
                )
            )
    return problems
