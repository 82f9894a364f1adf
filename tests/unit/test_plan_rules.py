"""The rules of the support plan, the plan meeting and the end of support (seed 003 §6-1), without a
database: the three confirmation paths, and each refusal."""

from __future__ import annotations

from datetime import date

import pytest

from services.coordination.cases.rules import (
    CaseStatus,
    ClosingDecision,
    ContactNotAttempted,
    InvalidCaseTransition,
    check_reopening,
    check_suspension,
    check_termination,
    next_due,
)
from services.coordination.plan_meetings.rules import MeetingDecisionFacts, MeetingPurpose, NoMeetingDecided
from services.coordination.plans.rules import (
    Answer,
    ConfirmationPath,
    ItemDecision,
    ItemFacts,
    ItemKind,
    PlanFacts,
    PlanNotAwaitingThis,
    PlanNotEditable,
    PlanStatus,
    SupportDecisionNotExpected,
    after_approval,
    after_support_decision,
    check_editable,
    confirmation_path,
    item_problems,
)
from shared.errors import DomainError, InvalidInput

TOWN = "016314-town"
OUTREACH_NPO = "016314-npo-tsunagu"
SHAKYO = "016314-shakyo"
HOSPITAL = "016314-hospital"
TODAY = date(2026, 12, 1)

OUTREACH = ItemFacts("i-outreach", ItemKind.outreach, OUTREACH_NPO)
PARTICIPATION = ItemFacts("i-participation", ItemKind.participation, SHAKYO)
OTHER = ItemFacts("i-other", ItemKind.other, HOSPITAL)


def plan(
    *items: ItemFacts, status: PlanStatus = PlanStatus.drafting, replaces: str | None = None
) -> PlanFacts:
    return PlanFacts("p-1", "c-1", status, items, replaces)


def meeting(
    purpose: MeetingPurpose = MeetingPurpose.plan_evaluation,
    members: tuple[str, ...] = (TOWN, OUTREACH_NPO, SHAKYO, HOSPITAL),
    *,
    case_id: str = "c-1",
    plan_id: str | None = "p-1",
) -> MeetingDecisionFacts:
    return MeetingDecisionFacts("m-1", case_id, purpose, plan_id, members, TODAY)


def codes(error: DomainError) -> dict[str, str]:
    return {p.field: p.code for p in error.fields}


# --- the three confirmation paths ----------------------------------------------------------------


def test_a_plan_with_outreach_or_participation_items_waits_for_the_support_decision() -> None:
    drafted = plan(OUTREACH, PARTICIPATION)

    assert confirmation_path(drafted.items) == ConfirmationPath.support_decision
    assert after_approval(drafted, meeting(), municipality=TOWN) == PlanStatus.approved
    approved = plan(OUTREACH, PARTICIPATION, status=PlanStatus.approved)
    decisions = [ItemDecision(i.id, Answer.approve, None) for i in (OUTREACH, PARTICIPATION)]
    assert after_support_decision(approved, decisions, reviewed=[]) == PlanStatus.confirmed


def test_other_items_need_no_decision_but_are_reviewed_with_the_rest() -> None:
    approved = plan(OUTREACH, OTHER, status=PlanStatus.approved)
    decision = [ItemDecision(OUTREACH.id, Answer.approve, None)]

    assert after_support_decision(approved, decision, reviewed=[OTHER.id]) == PlanStatus.confirmed
    with pytest.raises(InvalidInput) as unreviewed:
        after_support_decision(approved, decision, reviewed=[])
    assert codes(unreviewed.value) == {"reviewed": "not_reviewed"}
    with pytest.raises(InvalidInput) as decided_other:
        after_support_decision(
            approved, [*decision, ItemDecision(OTHER.id, Answer.approve, None)], reviewed=[OTHER.id]
        )
    assert codes(decided_other.value) == {"decisions[1].item_id": "not_decided_item"}


def test_a_plan_with_neither_is_confirmed_by_the_meeting_and_reported() -> None:
    drafted = plan(OTHER)

    assert confirmation_path(drafted.items) == ConfirmationPath.report
    assert (
        after_approval(drafted, meeting(members=(TOWN, HOSPITAL)), municipality=TOWN) == PlanStatus.confirmed
    )


# --- refusals ----------------------------------------------------------------------------------------


def test_no_approval_without_a_meeting_that_evaluated_the_plan() -> None:
    for decision in (None, meeting(case_id="c-other"), meeting(plan_id="p-other")):
        with pytest.raises(NoMeetingDecided) as refused:
            after_approval(plan(OTHER), decision, municipality=TOWN)
        assert codes(refused.value) == {"meeting_id": "no_meeting"}


@pytest.mark.parametrize(
    ("replaces", "purpose"),
    [
        (None, MeetingPurpose.re_plan),
        (None, MeetingPurpose.termination),
        ("p-0", MeetingPurpose.plan_evaluation),
        ("p-0", MeetingPurpose.suspension),
    ],
)
def test_no_approval_by_a_meeting_of_another_purpose(replaces: str | None, purpose: MeetingPurpose) -> None:
    with pytest.raises(NoMeetingDecided) as refused:
        after_approval(plan(OTHER, replaces=replaces), meeting(purpose), municipality=TOWN)
    assert codes(refused.value) == {"meeting_id": "wrong_purpose"}


def test_a_re_plan_is_approved_by_a_re_plan_meeting() -> None:
    assert (
        after_approval(plan(OTHER, replaces="p-0"), meeting(MeetingPurpose.re_plan), municipality=TOWN)
        == PlanStatus.confirmed
    )


def test_no_approval_when_the_municipality_was_not_a_member() -> None:
    with pytest.raises(InvalidInput) as refused:
        after_approval(plan(OTHER), meeting(members=(HOSPITAL,)), municipality=TOWN)
    assert codes(refused.value) == {"members": "municipality_missing"}


def test_no_approval_when_an_outreach_or_participation_operator_was_missing() -> None:
    with pytest.raises(InvalidInput) as refused:
        after_approval(plan(OUTREACH, PARTICIPATION), meeting(members=(TOWN,)), municipality=TOWN)
    assert sorted(p.code for p in refused.value.fields) == [
        "outreach_operator_missing",
        "participation_operator_missing",
    ]
    # The operator of an `other` item need not attend.
    assert after_approval(plan(OUTREACH, OTHER), meeting(members=(TOWN, OUTREACH_NPO)), municipality=TOWN)


def test_no_support_decision_on_a_plan_without_outreach_or_participation_items() -> None:
    with pytest.raises(SupportDecisionNotExpected) as refused:
        after_support_decision(plan(OTHER, status=PlanStatus.confirmed), [], reviewed=[OTHER.id])
    assert codes(refused.value) == {"plan_id": "nothing_to_decide"}


def test_no_support_decision_before_the_meeting_approved() -> None:
    with pytest.raises(PlanNotAwaitingThis):
        after_support_decision(plan(OUTREACH), [ItemDecision(OUTREACH.id, Answer.approve, None)], reviewed=[])


def test_a_support_decision_must_decide_every_outreach_and_participation_item() -> None:
    approved = plan(OUTREACH, PARTICIPATION, status=PlanStatus.approved)
    with pytest.raises(InvalidInput) as refused:
        after_support_decision(approved, [ItemDecision(OUTREACH.id, Answer.approve, None)], reviewed=[])
    assert codes(refused.value) == {"decisions": "undecided_item"}


def test_a_refused_item_needs_a_reason_and_sends_the_plan_back_to_drafting() -> None:
    approved = plan(OUTREACH, PARTICIPATION, status=PlanStatus.approved)
    without_reason = [
        ItemDecision(OUTREACH.id, Answer.approve, None),
        ItemDecision(PARTICIPATION.id, Answer.refuse, "  "),
    ]
    with pytest.raises(InvalidInput) as refused:
        after_support_decision(approved, without_reason, reviewed=[])
    assert codes(refused.value) == {"decisions[1].reason": "missing"}

    with_reason = [without_reason[0], ItemDecision(PARTICIPATION.id, Answer.refuse, "受入先の調整がつかない")]
    assert after_support_decision(approved, with_reason, reviewed=[]) == PlanStatus.drafting


@pytest.mark.parametrize("status", [PlanStatus.approved, PlanStatus.confirmed, PlanStatus.superseded])
def test_a_plan_past_drafting_is_not_edited_in_place(status: PlanStatus) -> None:
    with pytest.raises(PlanNotEditable):
        check_editable(plan(OTHER, status=status))
    check_editable(plan(OTHER))  # a draft (or one sent back) is


def test_plan_items_name_known_organisations_of_the_municipality_with_dates_in_order() -> None:
    items = [
        ItemFacts("a", ItemKind.other, "016314-nowhere"),
        ItemFacts("b", ItemKind.other, "223417-town"),
        ItemFacts("c", ItemKind.other, HOSPITAL, starts_on=date(2027, 1, 1), ends_on=date(2026, 12, 1)),
    ]
    known = {HOSPITAL: "016314", "223417-town": "223417"}
    assert {p.field: p.code for p in item_problems(items, known, "016314")} == {
        "items[0].organisation_id": "unknown_organisation",
        "items[1].organisation_id": "other_municipality",
        "items[2].ends_on": "before_start",
    }


# --- termination, suspension, reopening ----------------------------------------------------------


def closing(purpose: MeetingPurpose, *, case_id: str = "c-1", held_on: date = TODAY) -> ClosingDecision:
    return ClosingDecision(case_id, purpose, held_on)


def test_termination_needs_a_termination_meeting_decision() -> None:
    assert check_termination("in_support", "c-1", closing(MeetingPurpose.termination), today=TODAY) == (
        CaseStatus.terminated
    )
    for decision, code in (
        (None, "no_meeting"),
        (closing(MeetingPurpose.termination, case_id="c-2"), "no_meeting"),
        (closing(MeetingPurpose.suspension), "wrong_purpose"),
        (closing(MeetingPurpose.termination, held_on=date(2026, 12, 2)), "in_future"),
    ):
        with pytest.raises(NoMeetingDecided) as refused:
            check_termination("in_support", "c-1", decision, today=TODAY)
        assert codes(refused.value) == {"meeting_id": code}


def test_suspension_needs_recorded_contact_attempts_and_a_suspension_meeting() -> None:
    decided = closing(MeetingPurpose.suspension)
    assert (
        check_suspension("in_support", "c-1", decided, attempts_since_contact=2, today=TODAY)
        == CaseStatus.suspended
    )
    with pytest.raises(ContactNotAttempted) as no_attempts:
        check_suspension("in_support", "c-1", decided, attempts_since_contact=0, today=TODAY)
    assert codes(no_attempts.value) == {"case_id": "no_contact_attempts"}
    with pytest.raises(NoMeetingDecided):
        check_suspension(
            "in_support", "c-1", closing(MeetingPurpose.termination), attempts_since_contact=3, today=TODAY
        )


@pytest.mark.parametrize("status", ["declined", "returned", "terminated", "suspended"])
def test_only_an_active_case_is_terminated_or_suspended(status: str) -> None:
    with pytest.raises(InvalidCaseTransition):
        check_termination(status, "c-1", closing(MeetingPurpose.termination), today=TODAY)


@pytest.mark.parametrize("status", ["terminated", "suspended"])
def test_a_terminated_or_suspended_case_reopens_to_a_new_plan_cycle(status: str) -> None:
    assert check_reopening(status) == CaseStatus.open


@pytest.mark.parametrize("status", ["open", "in_support", "declined", "returned"])
def test_nothing_else_reopens(status: str) -> None:
    with pytest.raises(InvalidCaseTransition):
        check_reopening(status)


def test_no_approval_of_a_plan_changed_since_the_meeting_or_not_approved_by_it() -> None:
    changed = MeetingDecisionFacts(
        "m-1", "c-1", MeetingPurpose.plan_evaluation, "p-1", (TOWN, HOSPITAL), TODAY, plan_version=1
    )
    with pytest.raises(NoMeetingDecided) as refused:
        after_approval(
            PlanFacts("p-1", "c-1", PlanStatus.drafting, [OTHER], version=2), changed, municipality=TOWN
        )
    assert codes(refused.value) == {"meeting_id": "plan_changed"}

    not_approved = MeetingDecisionFacts(
        "m-1", "c-1", MeetingPurpose.plan_evaluation, "p-1", (TOWN, HOSPITAL), TODAY, approved=False
    )
    with pytest.raises(NoMeetingDecided) as refused:
        after_approval(plan(OTHER), not_approved, municipality=TOWN)
    assert codes(refused.value) == {"meeting_id": "not_approved"}


def test_an_approved_or_confirmed_plan_is_not_approved_again() -> None:
    for status in (PlanStatus.approved, PlanStatus.confirmed, PlanStatus.superseded):
        with pytest.raises(PlanNotAwaitingThis):
            after_approval(plan(OTHER, status=status), meeting(), municipality=TOWN)


# --- the work list ---------------------------------------------------------------------------------


def test_the_next_thing_due_follows_the_case_and_its_plan() -> None:
    opened = date(2026, 10, 1)

    def due(status: CaseStatus, **kwargs: object) -> tuple[str, date | None]:
        values: dict[str, object] = {
            "opened_on": opened,
            "undecided_plan": None,
            "monitoring_dates": [],
        }
        values.update(kwargs)
        got = next_due(status, **values)  # type: ignore[arg-type]
        return got.next, got.due_on

    assert due(CaseStatus.open) == ("draft_plan", opened)
    assert due(CaseStatus.open, assessed=False) == ("assessment", opened)
    assert due(CaseStatus.open, undecided_plan=("drafting", date(2026, 11, 2))) == (
        "plan_meeting",
        date(2026, 11, 2),
    )
    assert due(CaseStatus.in_support, undecided_plan=("approved", date(2026, 11, 9))) == (
        "support_decision",
        date(2026, 11, 9),
    )
    months = [date(2027, 1, 15), date(2026, 12, 15)]
    assert due(CaseStatus.in_support, monitoring_dates=months) == ("monitoring", date(2026, 12, 15))
    assert due(CaseStatus.in_support) == ("none", None)
    for ended in (CaseStatus.terminated, CaseStatus.suspended, CaseStatus.declined):
        assert due(ended, undecided_plan=("drafting", opened)) == ("none", None)
