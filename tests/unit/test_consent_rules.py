"""When a consent allows a referral to multi-agency collaboration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.consent.rules import (
    ConsentAlreadyWithdrawn,
    ConsentRequired,
    check_withdrawable,
    consent_for_referral,
    covers_collaboration,
    is_active,
)

AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


@dataclass(frozen=True)
class FakeConsent:
    purposes: list[str] = field(default_factory=lambda: ["collaboration"])
    data_classes: list[str] = field(default_factory=lambda: ["identity", "contact", "household", "concerns"])
    explained: bool = True
    valid_from: datetime = AT - timedelta(days=1)
    withdrawn_at: datetime | None = None
    label: str = "consent"


def make_consent(**overrides: object) -> FakeConsent:
    return replace(FakeConsent(), **overrides)  # type: ignore[arg-type]


def test_an_explained_active_consent_for_collaboration_with_identity_and_concerns_covers_it() -> None:
    assert covers_collaboration(make_consent(), AT)
    assert covers_collaboration(make_consent(data_classes=["identity", "concerns"]), AT)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"withdrawn_at": AT - timedelta(minutes=1)}, id="withdrawn"),
        pytest.param({"valid_from": AT + timedelta(minutes=1)}, id="not yet valid"),
        pytest.param({"explained": False}, id="not explained"),
        pytest.param({"purposes": ["participation", "outreach"]}, id="collaboration purpose missing"),
        pytest.param({"data_classes": ["identity", "contact"]}, id="concerns missing"),
        pytest.param({"data_classes": ["concerns", "household"]}, id="identity missing"),
    ],
)
def test_a_consent_that_does_not_cover_collaboration(overrides: dict[str, object]) -> None:
    assert not covers_collaboration(make_consent(**overrides), AT)


def test_a_consent_valid_from_this_very_moment_is_active() -> None:
    assert is_active(make_consent(valid_from=AT), AT)


def test_a_withdrawn_consent_is_no_longer_active() -> None:
    assert not is_active(make_consent(withdrawn_at=AT - timedelta(seconds=1)), AT)


def test_the_newest_usable_consent_is_the_one_a_referral_uses() -> None:
    oldest = make_consent(valid_from=AT - timedelta(days=30), label="oldest")
    newest_usable = make_consent(valid_from=AT - timedelta(days=2), label="newest usable")
    newer_withdrawn = make_consent(
        valid_from=AT - timedelta(days=1), withdrawn_at=AT - timedelta(hours=1), label="withdrawn"
    )
    newer_unexplained = make_consent(valid_from=AT - timedelta(hours=2), explained=False, label="unexplained")
    not_yet_valid = make_consent(valid_from=AT + timedelta(days=1), label="future")

    chosen = consent_for_referral(
        [oldest, newer_withdrawn, newest_usable, newer_unexplained, not_yet_valid], AT
    )

    assert chosen.label == "newest usable"  # type: ignore[attr-defined]


def test_without_a_usable_consent_the_support_meeting_is_the_route() -> None:
    with pytest.raises(ConsentRequired) as error:
        consent_for_referral([make_consent(withdrawn_at=AT - timedelta(days=1))], AT)

    problem = error.value
    assert problem.status == 422
    assert problem.slug == "consent-required"
    assert problem.extra == {"alternative_route": "support_meeting"}
    assert [f.field for f in problem.fields] == ["consent"]
    assert problem.detail is not None
    assert "支援会議" in problem.detail.pick("ja")
    assert "support meeting" in problem.detail.pick("en")


def test_no_consent_at_all_requires_consent() -> None:
    with pytest.raises(ConsentRequired):
        consent_for_referral([], AT)


def test_a_consent_can_be_withdrawn_once() -> None:
    check_withdrawable(make_consent())
    with pytest.raises(ConsentAlreadyWithdrawn) as error:
        check_withdrawable(make_consent(withdrawn_at=AT))

    assert error.value.status == 409
