"""A referral's life as the sending window sees it: sent, then accepted, declined or returned."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from shared.errors import Conflict, Text


class ReferralStatus(StrEnum):
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    returned = "returned"


TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.sent: frozenset(
        {ReferralStatus.accepted, ReferralStatus.declined, ReferralStatus.returned}
    ),
    ReferralStatus.accepted: frozenset({ReferralStatus.declined, ReferralStatus.returned}),
    ReferralStatus.declined: frozenset(),
    ReferralStatus.returned: frozenset(),
}

# A referral still in coordination's hands: the window must not send the same consultation again.
OPEN = frozenset({ReferralStatus.sent, ReferralStatus.accepted})


class ReferralFacts(Protocol):
    status: str


class AlreadyReferred(Conflict):
    slug = "already-referred"
    title = Text(
        "この相談は既に多機関協働事業につながれています。",
        "This consultation has already been referred to collaboration.",
    )


class InvalidReferralTransition(Conflict):
    slug = "invalid-referral-transition"
    title = Text("つなぎの状態を変更できません。", "The referral cannot move to that status.")


def check_can_refer(existing: Sequence[ReferralFacts]) -> None:
    if any(ReferralStatus(r.status) in OPEN for r in existing):
        raise AlreadyReferred(
            Text(
                "回答（差戻し・辞退）があるまで、同じ相談を重ねてつなぐことはできません。",
                "Wait for coordination's answer (returned or declined) before referring again.",
            )
        )


def transition(current: str, target: ReferralStatus) -> ReferralStatus:
    if target not in TRANSITIONS[ReferralStatus(current)]:
        raise InvalidReferralTransition(
            Text(f"{current} から {target} へは変更できません。", f"Cannot go from {current} to {target}.")
        )
    return target
