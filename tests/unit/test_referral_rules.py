"""A referral's life as the sending window sees it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.intake.referrals.rules import (
    OPEN,
    TRANSITIONS,
    AlreadyReferred,
    InvalidReferralTransition,
    ReferralStatus,
    check_can_refer,
    transition,
)

S = ReferralStatus


@dataclass
class FakeReferral:
    status: str


ALLOWED = {
    (S.sent, S.accepted),
    (S.sent, S.declined),
    (S.sent, S.returned),
    (S.accepted, S.declined),
    (S.accepted, S.returned),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_the_transition_table(current: ReferralStatus, target: ReferralStatus) -> None:
    if (current, target) in ALLOWED:
        assert transition(current.value, target) == target
    else:
        with pytest.raises(InvalidReferralTransition) as error:
            transition(current.value, target)
        assert error.value.status == 409


def test_the_table_covers_every_status_and_answers_are_final() -> None:
    assert set(TRANSITIONS) == set(S)
    assert TRANSITIONS[S.declined] == frozenset()
    assert TRANSITIONS[S.returned] == frozenset()


def test_sent_and_accepted_referrals_are_still_open() -> None:
    assert frozenset({S.sent, S.accepted}) == OPEN


def test_a_consultation_never_referred_can_be_referred() -> None:
    check_can_refer([])


def test_a_consultation_whose_referrals_were_all_answered_can_be_referred_again() -> None:
    check_can_refer([FakeReferral("declined"), FakeReferral("returned")])


@pytest.mark.parametrize("open_status", ["sent", "accepted"])
def test_a_consultation_with_an_open_referral_cannot_be_referred_again(open_status: str) -> None:
    with pytest.raises(AlreadyReferred) as error:
        check_can_refer([FakeReferral("returned"), FakeReferral(open_status)])

    assert error.value.status == 409
    assert error.value.slug == "already-referred"
