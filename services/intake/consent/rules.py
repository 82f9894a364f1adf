"""When a consent allows sharing. Plain functions over the consent's facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from shared.errors import Conflict, FieldProblem, InvalidInput, Text

# What coordination cannot work without: who the person is and what worries them.
REQUIRED_FOR_COLLABORATION = frozenset({"identity", "concerns"})

SUPPORT_MEETING_ROUTE = Text(
    "本人の同意がないため、多機関協働事業につなぐことはできません。"
    "同意が得られない場合は、支援会議（社会福祉法第106条の6）で情報を共有し支援の方向性を検討してください。",
    "Without the person's consent the case cannot be referred to multi-agency collaboration. "
    "Where consent cannot be obtained, the support meeting (支援会議, Social Welfare Act Art. 106-6) is "
    "the route: its members share information under a statutory duty of confidentiality.",
)


class ConsentFacts(Protocol):
    @property
    def purposes(self) -> Sequence[str]: ...

    @property
    def data_classes(self) -> Sequence[str]: ...

    @property
    def explained(self) -> bool: ...

    @property
    def valid_from(self) -> datetime: ...

    @property
    def withdrawn_at(self) -> datetime | None: ...


class ConsentRequired(InvalidInput):
    slug = "consent-required"
    status = 422
    title = Text("本人の同意が必要です。", "The person's consent is required.")


class ConsentAlreadyWithdrawn(Conflict):
    slug = "consent-withdrawn"
    title = Text("この同意は既に撤回されています。", "This consent has already been withdrawn.")


def is_active(consent: ConsentFacts, at: datetime) -> bool:
    return consent.withdrawn_at is None and consent.valid_from <= at


def covers_collaboration(consent: ConsentFacts, at: datetime) -> bool:
    return (
        is_active(consent, at)
        and consent.explained
        and "collaboration" in consent.purposes
        and REQUIRED_FOR_COLLABORATION.issubset(consent.data_classes)
    )


def consent_for_referral(consents: Iterable[ConsentFacts], at: datetime) -> ConsentFacts:
    """The newest consent that allows a referral to collaboration, or ConsentRequired."""
    usable = [c for c in consents if covers_collaboration(c, at)]
    if not usable:
        raise ConsentRequired(
            SUPPORT_MEETING_ROUTE,
            fields=[
                FieldProblem(
                    "consent",
                    Text(
                        "多機関協働への情報共有（本人特定情報と課題を含む）に対する有効な同意がありません。",
                        "No active consent covers sharing identity and concerns for collaboration.",
                    ),
                    "consent_required",
                )
            ],
            extra={"alternative_route": "support_meeting"},
        )
    return max(usable, key=lambda c: c.valid_from)


def check_withdrawable(consent: ConsentFacts) -> None:
    if consent.withdrawn_at is not None:
        raise ConsentAlreadyWithdrawn()
