"""What the API takes and gives for support meetings (支援会議)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Entry = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class WatchingMethod(StrEnum):
    """How a member organisation keeps watch (見守り)."""

    visit = "visit"  # 訪問
    phone = "phone"  # 電話
    meal_delivery = "meal_delivery"  # 配食
    neighbourhood = "neighbourhood"  # 民生委員・近隣による見守り
    school = "school"  # 学校・保育所での見守り
    other = "other"


class MemberPersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: OrgId
    name: Short = Field(description="The person attending for the organisation.")
    role: Short | None = Field(default=None, examples=["民生委員", "保健師"])
    subject: Subject = Field(
        description="The staff member's token subject (`sub`): how the system knows them when they "
        "accept the duty of confidentiality and read the record."
    )


class SharedInformationIn(BaseModel):
    """情報共有: what an organisation brought to the meeting."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: OrgId
    information: Entry


class WatchingIn(BaseModel):
    """見守り: who watches, how and how often."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: OrgId
    method: WatchingMethod
    frequency: Short = Field(examples=["週1回", "毎日（配食時）"])
    note: Entry | None = None


class EmergencyResponseIn(BaseModel):
    """緊急時の対応: what is done, by whom, when a given situation arises."""

    model_config = ConfigDict(extra="forbid")

    situation: Entry = Field(examples=["訪問時に応答がなく、安否が確認できないとき"])
    response: Entry = Field(examples=["町に連絡し、警察・消防と安否確認を行う"])
    organisation_id: OrgId | None = Field(default=None, description="The member organisation acting.")


class SupportMeetingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-25",
                    "members": [
                        {
                            "organisation_id": "016314-town",
                            "name": "音更 一郎",
                            "role": "保健福祉課",
                            "subject": "officer-otofuke",
                        },
                        {
                            "organisation_id": "016314-shakyo",
                            "name": "十勝 花子",
                            "role": "社会福祉士",
                            "subject": "shakyo-tokachi",
                        },
                    ],
                    "concerning": "同意が得られていない高齢の世帯（民生委員から連絡）",
                    "discussion": "民生委員から見守りの報告。訪問時は応答なし。",
                    "information_shared": [
                        {"organisation_id": "016314-shakyo", "information": "配食時に室内が荒れている様子"}
                    ],
                    "watching": [
                        {"organisation_id": "016314-shakyo", "method": "meal_delivery", "frequency": "毎日"}
                    ],
                    "direction": "地域包括支援センターが週1回訪問し、本人との関係づくりを進める",
                    "emergency_responses": [
                        {
                            "situation": "配食時に応答がないとき",
                            "response": "町に連絡し、安否確認を行う",
                            "organisation_id": "016314-town",
                        }
                    ],
                }
            ]
        },
    )

    held_on: date
    members: list[MemberPersonIn] = Field(
        min_length=1,
        max_length=60,
        description="The persons attending, each for a member organisation of the municipality. The "
        "recording officer is a member person whether listed or not, and accepts the duty of "
        "confidentiality by recording the meeting.",
    )
    concerning: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    consultation_id: Id | None = Field(
        default=None,
        description="The person's consultation at a window, if any; required with tax_consent_id.",
    )
    discussion: Body | None = None
    information_shared: list[SharedInformationIn] = Field(default_factory=list, max_length=50)
    watching: list[WatchingIn] = Field(default_factory=list, max_length=20)
    direction: Body | None = Field(default=None, description="The agreed support direction.")
    emergency_responses: list[EmergencyResponseIn] = Field(default_factory=list, max_length=20)
    tax_information: Body | None = None
    tax_consent_id: Id | None = None


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"name": "十勝 花子", "role": "社会福祉士"}]}
    )

    name: Short | None = Field(
        default=None,
        description="Needed only on a record that names no one for your organisation (kept before "
        "member persons were); a named member person is known by name already.",
    )
    role: Short | None = None


class MemberPersonOut(BaseModel):
    organisation_id: str
    name: str | None
    role: str | None
    subject: str
    confidentiality_accepted_at: datetime | None


class AcceptanceOut(BaseModel):
    id: str
    meeting_id: str
    organisation_id: str
    subject: str
    name: str | None
    role: str | None
    accepted_at: datetime
    on_recording: bool = Field(description="The recording officer's, made with the record.")


class SupportMeetingOut(BaseModel):
    """The material (everything from `concerning` on) is null unless `material_shown`: only a
    member person who accepted the duty of confidentiality sees it."""

    id: str
    tenant_id: str
    convened_by: str
    held_on: date
    member_organisations: list[str]
    members: list[MemberPersonOut]
    material_shown: bool
    concerning: str | None
    consultation_id: str | None
    discussion: str | None
    information_shared: list[SharedInformationIn] | None
    watching: list[WatchingIn] | None
    direction: str | None
    emergency_responses: list[EmergencyResponseIn] | None
    tax_information: str | None
    tax_consent_id: str | None
    linked_case_ids: list[str] | None = Field(
        description="Consented cases opened from a referral naming this record."
    )
    recorded_by: str | None
    created_at: datetime


class SupportMeetingLinkOut(BaseModel):
    """That a support meeting preceded the case: ids only, never its material."""

    support_meeting_id: str
    case_id: str
    linked_at: datetime
