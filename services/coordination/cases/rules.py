"""A case's states and the moves between them; case numbering by fiscal year. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from services.coordination.plan_meetings.rules import MeetingPurpose, NoMeetingDecided
from shared.errors import Conflict, FieldProblem, InvalidInput, Text

JST = timezone(timedelta(hours=9))


class CaseStatus(StrEnum):
    open = "open"  # accepted; assessment and planning (again, after a reopening)
    in_support = "in_support"  # a confirmed plan is in force
    terminated = "terminated"  # 終結: decided at a termination meeting
    suspended = "suspended"  # 中断: all contact lost, decided at a suspension meeting
    declined = "declined"  # collaboration will not take it on
    returned = "returned"  # sent back to the window


# Reopening (terminated/suspended -> open) is its own act, never a side effect of another change.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.open: frozenset(
        {
            CaseStatus.in_support,
            CaseStatus.terminated,
            CaseStatus.suspended,
            CaseStatus.declined,
            CaseStatus.returned,
        }
    ),
    CaseStatus.in_support: frozenset({CaseStatus.terminated, CaseStatus.suspended}),
    CaseStatus.terminated: frozenset({CaseStatus.open}),
    CaseStatus.suspended: frozenset({CaseStatus.open}),
    CaseStatus.declined: frozenset(),
    CaseStatus.returned: frozenset(),
}
ACTIVE = frozenset({CaseStatus.open, CaseStatus.in_support})


class InvalidCaseTransition(Conflict):
    slug = "invalid-case-transition"
    title = Text("現在のケースの状態ではこの操作はできません。", "The case's status does not allow this.")


def transition(current: str, target: CaseStatus) -> CaseStatus:
    if target not in TRANSITIONS[CaseStatus(current)]:
        raise InvalidCaseTransition(
            Text(
                f"状態 {current} のケースを {target} にはできません。",
                f"A {current} case cannot become {target}.",
            )
        )
    return target


def fiscal_year(at: datetime) -> int:
    """年度: April to March, by the date in Japan."""
    day: date = at.astimezone(JST).date()
    return day.year if day.month >= 4 else day.year - 1


def case_number(year: int, number: int) -> str:
    return f"{year}-{number:05d}"


_CASES = uuid.uuid5(uuid.NAMESPACE_URL, "https://jusou.example.jp/coordination/cases")


def case_id_for(tenant_id: str, referral_id: str) -> str:
    """The case's id, drawn from its referral (one case per referral): a coordination restored from
    a backup that opens the case again from the replayed referral gives it the same id, which
    other services' events about it (outreach's ContactLost) still name."""
    return str(uuid.uuid5(_CASES, f"{tenant_id}/{referral_id}"))


# --- the end of support, and a new start (seed 003 §6-1(4)(5)) ------------------------------------


class ContactNotAttempted(InvalidInput):
    slug = "contact-not-attempted"
    title = Text(
        "支援の中断は、本人と完全に連絡が取れなくなったときに限ります。連絡を試みた記録が必要です。",
        "Support is suspended only when all contact is lost: record the attempts to reach the person.",
    )


@dataclass(frozen=True)
class ClosingDecision:
    """A plan meeting's decision about the case: terminate (終結) or suspend (中断)."""

    case_id: str
    purpose: MeetingPurpose
    held_on: date


def _decided(case_id: str, decision: ClosingDecision | None, purpose: MeetingPurpose, today: date) -> None:
    if decision is None or decision.case_id != case_id or decision.purpose != purpose:
        raise NoMeetingDecided(
            fields=[
                FieldProblem(
                    "meeting_id",
                    Text(
                        f"このケースの {purpose.value} を決めた重層的支援会議を指定してください。",
                        f"Name the plan meeting that decided this case's {purpose.value}.",
                    ),
                    "no_meeting" if decision is None or decision.case_id != case_id else "wrong_purpose",
                )
            ]
        )
    if decision.held_on > today:
        raise NoMeetingDecided(
            fields=[
                FieldProblem(
                    "meeting_id",
                    Text("まだ開かれていない会議です。", "That meeting is in the future."),
                    "in_future",
                )
            ]
        )


def check_termination(
    status: str, case_id: str, decision: ClosingDecision | None, *, today: date
) -> CaseStatus:
    """終結: only after a termination meeting decided it."""
    target = transition(status, CaseStatus.terminated)
    _decided(case_id, decision, MeetingPurpose.termination, today)
    return target


def check_suspension(
    status: str,
    case_id: str,
    decision: ClosingDecision | None,
    *,
    attempts_since_contact: int,
    today: date,
) -> CaseStatus:
    """中断: only when all contact is lost, which the record must show (contact attempts since the
    person was last reached: progress notes of that kind, or outreach's word that contact is lost),
    and a suspension meeting decided it."""
    target = transition(status, CaseStatus.suspended)
    if attempts_since_contact < 1:
        raise ContactNotAttempted(
            fields=[
                FieldProblem(
                    "case_id",
                    Text(
                        "最後に本人と連絡が取れた後の、連絡を試みた記録（支援経過）がありません。",
                        "No contact attempt is recorded since the person was last reached.",
                    ),
                    "no_contact_attempts",
                )
            ]
        )
    _decided(case_id, decision, MeetingPurpose.suspension, today)
    return target


def check_reopening(status: str) -> CaseStatus:
    """A terminated or suspended case starts a new plan cycle; nothing else reopens it."""
    return transition(status, CaseStatus.open)


# --- the coordinator's work list ----------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    next: str  # assessment | draft_plan | plan_meeting | support_decision | monitoring | none
    due_on: date | None


def next_due(
    status: CaseStatus,
    *,
    opened_on: date,
    undecided_plan: tuple[str, date] | None,
    monitoring_dates: list[date],
    assessed: bool = True,
) -> Due:
    """What the case waits for next, and since when. `undecided_plan` is the status of a plan being
    drafted or awaiting its decision, and the day it got there; `assessed` whether the case has an
    assessment; `monitoring_dates` are those of the
    plan in force, not yet recorded as done (the earliest is due first; monitoring records come
    later)."""
    if status not in ACTIVE:
        return Due("none", None)
    if undecided_plan is not None:
        plan_status, since = undecided_plan
        return Due("support_decision" if plan_status == "approved" else "plan_meeting", since)
    if status == CaseStatus.open:
        # アセスメント first, then the plan drawn from it (a reopened case may be re-assessed or not).
        return Due("draft_plan" if assessed else "assessment", opened_on)
    upcoming = sorted(monitoring_dates)
    return Due("monitoring", upcoming[0]) if upcoming else Due("none", None)
