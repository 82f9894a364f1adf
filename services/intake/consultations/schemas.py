"""What the API accepts and returns for consultations. Input models forbid unknown fields."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from services.intake.consultations.concerns import Concern
from shared.errors import BilingualValueError
from shared.text import normalize_kana_reading
from shared.validators import postal_code


class Channel(StrEnum):
    counter = "counter"  # 来所
    phone = "phone"  # 電話
    visit = "visit"  # 訪問
    fax = "fax"
    email = "email"


class Source(StrEnum):
    person = "person"  # 本人
    family = "family"  # 家族
    welfare_volunteer = "welfare_volunteer"  # 民生委員・児童委員
    neighbour = "neighbour"  # 近隣住民
    municipal_department = "municipal_department"  # 庁内他部署
    hospital = "hospital"
    school = "school"
    npo = "npo"
    other_agency = "other_agency"
    meeting = "meeting"
    other = "other"


class Urgency(StrEnum):
    normal = "normal"
    high = "high"
    emergency = "emergency"  # 緊急: safety at risk now


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]

_PHONE = re.compile(r"^(?:\d{2,5}-?\d{1,4}-?\d{3,4}|0\d{9,10})(?:[(（]?内線\d{1,5}[)）]?)?$")


def _phone(value: str) -> str:
    normalized = unicodedata.normalize("NFKC", value).replace(" ", "").replace("ー", "-").replace("−", "-")
    if not _PHONE.match(normalized):
        raise BilingualValueError(
            "電話番号の形式が正しくありません（例: 0155-42-2111、0155-42-2111内線512）。",
            "Not a Japanese phone number (e.g. 0155-42-2111, 0155-42-2111内線512).",
        )
    return normalized


def _kana(value: str) -> str:
    reading = normalize_kana_reading(value)
    if reading is None:
        raise BilingualValueError(
            "フリガナはひらがな・カタカナで入力してください。", "The reading must be in hiragana or katakana."
        )
    return reading


Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_phone)]
KanaReading = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_kana)
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressIn(_Input):
    postal_code: str | None = Field(default=None, examples=["080-0198"])
    text: ShortText = Field(examples=["音更町元町2番地"])

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str | None) -> str | None:
        return None if value is None else postal_code(value)


class PersonIn(_Input):
    """本人."""

    name: Name = Field(examples=["音更 花子"])
    name_kana: KanaReading = Field(examples=["オトフケ ハナコ"])
    birth_date: date | None = Field(default=None, examples=["1968-04-12"])
    sex: Literal["female", "male", "other", "not_stated"] | None = None
    address: AddressIn | None = None
    phone: Phone | None = Field(default=None, examples=["0155-42-2111"])
    mobile_phone: Phone | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class VisitorIn(_Input):
    """来談者: who came, when it is not the person."""

    name: Name
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    phone: Phone | None = None


class HouseholdMemberIn(_Input):
    """世帯員: one row of the household, the person not repeated."""

    name: Name | None = None
    name_kana: KanaReading | None = None
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)] = Field(
        examples=["長男"]
    )
    birth_date: date | None = None
    age: int | None = Field(default=None, ge=0, le=130)
    note: LongText | None = None


class ConcernIn(_Input):
    code: Concern
    detail: LongText | None = None


class ConsultationCreate(_Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "window_code": "016314-ranran",
                    "received_at": "2026-11-20T10:30:00+09:00",
                    "channel": "counter",
                    "source": "family",
                    "received_by": "相談員 山田",
                    "person": {
                        "name": "音更 花子",
                        "name_kana": "オトフケ ハナコ",
                        "birth_date": "1944-05-01",
                        "sex": "female",
                        "address": {"postal_code": "080-0198", "text": "音更町元町2番地"},
                        "phone": "0155-42-2111",
                    },
                    "household": [{"relation": "長男", "age": 52, "note": "20年ほど自宅にひきこもり"}],
                    "concerns": [
                        {"code": "elder_care", "detail": "足腰が弱り買い物が難しい"},
                        {"code": "withdrawal_truancy"},
                        {"code": "income"},
                    ],
                    "main_concern": "elder_care",
                    "urgency": "high",
                    "wishes": "息子の将来が心配",
                    "notes": "介護保険の説明をした",
                }
            ]
        }
    )
    window_code: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        description="The window's code: its id in the resource directory (`GET /intake/v1/windows`).",
        examples=["016314-ranran"],
    )
    received_at: AwareDatetime = Field(examples=["2026-11-20T10:30:00+09:00"])
    channel: Channel
    source: Source | None = None
    received_by: Name | None = Field(default=None, description="Staff who took the consultation.")
    person: PersonIn
    visitor: VisitorIn | None = None
    household: list[HouseholdMemberIn] = Field(default_factory=list, max_length=30)
    concerns: list[ConcernIn] = Field(min_length=1, max_length=16)
    main_concern: Concern = Field(description="The most pressing concern (◎); must be one of `concerns`.")
    urgency: Urgency = Urgency.normal
    wishes: LongText | None = Field(
        default=None, description="What they want to consult about, their wishes."
    )
    notes: LongText | None = Field(default=None, description="What the window did; free text.")
    tax_information: LongText | None = Field(
        default=None,
        description="税情報 (e.g. arrears the tax section told of). Shared only under a `tax` consent.",
    )


class ConcernOut(BaseModel):
    code: Concern
    label: str
    detail: str | None = None
    main: bool


class ReferralSummary(BaseModel):
    id: str
    status: str
    status_reason: str | None
    case_id: str | None
    case_number: str | None
    referred_at: datetime


class ConsultationOut(BaseModel):
    id: str
    tenant_id: str
    window_code: str
    received_at: datetime
    channel: Channel
    source: Source | None
    received_by: str | None
    person: PersonIn
    visitor: VisitorIn | None
    household: list[HouseholdMemberIn]
    concerns: list[ConcernOut]
    main_concern: Concern
    welfare_fields: list[str]
    urgency: Urgency
    wishes: str | None
    notes: str | None
    tax_information: str | None
    created_at: datetime
    referrals: list[ReferralSummary] = Field(default_factory=list)


class ConsultationListItem(BaseModel):
    id: str
    tenant_id: str
    window_code: str
    received_at: datetime
    channel: Channel
    person_name: str
    person_name_kana: str
    main_concern: Concern
    welfare_fields: list[str]
    urgency: Urgency
