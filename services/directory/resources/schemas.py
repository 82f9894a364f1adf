"""What the directory API accepts and returns."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.directory.reference.format import OrganizationKind, ServiceKind, WelfareField
from shared.errors import BilingualValueError
from shared.text import normalize_kana_reading
from shared.validators import postal_code as valid_postal_code

_PHONE = re.compile(r"^(?:0\d{1,4}-)?\d{1,4}-\d{3,4}$|^0\d{9,10}$")


def _phone(value: str) -> str:
    normalized = unicodedata.normalize("NFKC", value).replace(" ", "")
    if not _PHONE.match(normalized):
        raise BilingualValueError(
            "電話番号の形式が正しくありません（例: 0155-42-2111、42-2111）。",
            "Not a phone number (e.g. 0155-42-2111, or 42-2111 within the area code).",
        )
    return normalized


def _kana(value: str) -> str:
    reading = normalize_kana_reading(value)
    if reading is None:
        raise BilingualValueError(
            "フリガナはひらがな・カタカナで入力してください。", "The reading must be kana."
        )
    return reading


Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhoneIn(_Input):
    number: Annotated[str, AfterValidator(_phone)]
    extension: Annotated[str, StringConstraints(pattern=r"^\d{1,6}$")] | None = None
    type: Literal["voice", "fax"] = "voice"


class AreaIn(_Input):
    kind: Literal["municipality", "junior_high_district", "district", "other"]
    name: Text200


class AcceptsIn(_Input):
    """Who the place is for: ages, conditions, accessibility."""

    age_from: int | None = Field(default=None, ge=0, le=130)
    age_to: int | None = Field(default=None, ge=0, le=130)
    conditions: list[Text200] = Field(default_factory=list, max_length=20)
    accessibility: list[Text200] = Field(default_factory=list, max_length=20)


_BYDAY = re.compile(r"^(?:-1|[1-5])?(?:MO|TU|WE|TH|FR|SA|SU)$")


def _byday(tokens: list[str]) -> list[str]:
    cleaned = [t.strip().upper() for t in tokens]
    for token in cleaned:
        if not _BYDAY.match(token):
            raise BilingualValueError(
                f"曜日の指定「{token}」が正しくありません（例: MO、1WE（第1水曜）、-1FR（最終金曜））。",
                f"Day '{token}' is not MO..SU, optionally preceded by 1..5 or -1 (e.g. 1WE, -1FR).",
            )
    return list(dict.fromkeys(cleaned))


def _monthdays(days: list[int]) -> list[int]:
    for day in days:
        if not (1 <= day <= 31 or day == -1):
            raise BilingualValueError(
                "日付は1〜31、または-1（月末）で指定してください。",
                "Days of the month are 1..31, or -1 for the last day.",
            )
    return sorted(set(days))


class ScheduleIn(_Input):
    """開所日時, as an HSDS schedule: weekly on weekdays, or monthly on the n-th/last weekday or on
    days of the month; hours in Japan time; whether holidays and the year end are closed."""

    freq: Literal["WEEKLY", "MONTHLY"]
    byday: Annotated[list[str], AfterValidator(_byday)] = Field(
        default_factory=list, max_length=35, examples=[["MO", "TU", "WE", "TH", "FR"], ["1WE", "3WE"]]
    )
    bymonthday: Annotated[list[int], AfterValidator(_monthdays)] = Field(default_factory=list, max_length=31)
    opens_at: time | None = Field(default=None, examples=["08:30"])
    closes_at: time | None = Field(default=None, examples=["17:15"])
    valid_from: date | None = None
    valid_to: date | None = None
    closed_on_holidays: bool = True
    description: Annotated[str, StringConstraints(max_length=300)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleIn:
        def problem(field: str, ja: str, en: str) -> BilingualValueError:
            return BilingualValueError(f"{field}: {ja}", f"{field}: {en}")

        if not self.byday and not self.bymonthday:
            raise problem("byday", "曜日か日付を指定してください。", "Give days of the week or of the month.")
        if self.freq == "WEEKLY" and (self.bymonthday or any(len(t) > 2 for t in self.byday)):
            raise problem(
                "freq",
                "第n曜日・日付の指定には MONTHLY を使ってください。",
                "Use MONTHLY for n-th weekdays or days of the month.",
            )
        if (self.opens_at is None) != (self.closes_at is None):
            raise problem(
                "closes_at", "開始・終了時刻は両方指定してください。", "Give both opening and closing."
            )
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise problem(
                "closes_at", "終了時刻は開始時刻より後にしてください。", "Closing must be after opening."
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise problem(
                "valid_to", "有効期間の終わりが始まりより前です。", "valid_to is before valid_from."
            )
        return self


class ResourceIn(_Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "ふれあいサロン東",
                    "name_kana": "フレアイサロンヒガシ",
                    "kind": "community_program",
                    "field": "other",
                    "organisation_id": "016314-shakyo",
                    "operation": "commissioned",
                    "address": "音更町東通1丁目",
                    "postal_code": "080-0198",
                    "phones": [{"number": "0155-42-2111", "extension": "512"}],
                    "areas": [{"kind": "junior_high_district", "name": "駒場中学校区"}],
                    "schedule": "毎月第1・第3水曜日",
                }
            ]
        }
    )
    name: Text200 = Field(examples=["地域包括支援センターらんらん"])
    name_kana: Annotated[str, StringConstraints(max_length=300), AfterValidator(_kana)] = Field(
        examples=["チイキホウカツシエンセンターランラン"]
    )
    kind: ServiceKind
    field: WelfareField
    legal_item: Annotated[str, StringConstraints(pattern=r"^[1-5][イロハニホ]?$")] | None = None
    organisation_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    operation: Literal["direct", "commissioned"] | None = None
    responsible_section: Text200 | None = None
    program: Text200 | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    postal_code: Annotated[str, AfterValidator(valid_postal_code)] | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    areas: list[AreaIn] = Field(default_factory=list, max_length=50)
    # As the documents write it (「主に、月1・2回のペースで開催」); `schedules` is what "open on" uses.
    schedule: Annotated[str, StringConstraints(max_length=300)] | None = None
    schedules: list[ScheduleIn] = Field(default_factory=list, max_length=20)
    accepts: AcceptsIn = Field(default_factory=AcceptsIn)


class ResourceOut(BaseModel):
    id: str
    tenant_id: str
    organisation_id: str | None
    organisation_name: str | None
    name: str
    name_kana: str
    kind: str
    field: str
    legal_item: str | None
    operation: str | None
    responsible_section: str | None
    program: str | None
    description: str | None
    address: str | None
    postal_code: str | None
    phones: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    schedule: str | None
    schedules: list[dict[str, Any]]
    accepts: dict[str, Any]
    status: str
    version: int
    updated_at: datetime
    updated_by: str
    etag: str


class OrganisationIn(_Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "kyosei-npo",
                    "name": "NPO法人きょうせい",
                    "name_kana": "エヌピーオーホウジンキョウセイ",
                    "kind": "npo",
                }
            ]
        }
    )
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,60}$")]
    name: Text200
    name_kana: Annotated[str, StringConstraints(max_length=300), AfterValidator(_kana)] | None = None
    kind: OrganizationKind


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    name: str
    name_kana: str | None
    kind: str


class ResourceVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change: str
    changed_by: str
    changed_at: datetime
    snapshot: dict[str, Any]

    @field_validator("snapshot")
    @classmethod
    def _british_spelling(cls, snapshot: dict[str, Any]) -> dict[str, Any]:
        """Versions kept before the API said `organisation_id` stored the column's `organization_id`."""
        if "organization_id" not in snapshot:
            return snapshot
        return {("organisation_id" if k == "organization_id" else k): v for k, v in snapshot.items()}
