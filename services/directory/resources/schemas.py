"""What the directory API accepts and returns."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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


class ResourceIn(_Input):
    name: Text200 = Field(examples=["地域包括支援センターらんらん"])
    name_kana: Annotated[str, StringConstraints(max_length=300), AfterValidator(_kana)] = Field(
        examples=["チイキホウカツシエンセンターランラン"]
    )
    kind: ServiceKind
    field: WelfareField
    legal_item: Annotated[str, StringConstraints(pattern=r"^[1-5][イロハニホ]?$")] | None = None
    organization_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    operation: Literal["direct", "commissioned"] | None = None
    responsible_section: Text200 | None = None
    program: Text200 | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    postal_code: Annotated[str, AfterValidator(valid_postal_code)] | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    areas: list[AreaIn] = Field(default_factory=list, max_length=50)
    schedule: Annotated[str, StringConstraints(max_length=300)] | None = None
    accepts: AcceptsIn = Field(default_factory=AcceptsIn)


class ResourceOut(BaseModel):
    id: str
    tenant_id: str
    organization_id: str | None
    organization_name: str | None
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
    accepts: dict[str, Any]
    status: str
    version: int
    updated_at: datetime
    updated_by: str
    etag: str


class OrganizationIn(_Input):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,60}$")]
    name: Text200
    name_kana: Annotated[str, StringConstraints(max_length=300), AfterValidator(_kana)] | None = None
    kind: OrganizationKind


class OrganizationOut(BaseModel):
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
