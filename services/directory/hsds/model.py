"""The Open Referral HSDS 3.1 shape the directory exchanges: organizations and services with their
phones, schedules, service areas and locations. Japanese facts HSDS lacks travel in `x_jusou`
extension objects (HSDS admits extension properties; see `schema.py`).

These models are the part of HSDS we adopt (extra fields forbidden: what we could not keep is
refused, not dropped). The official constraints themselves are checked by `schema.validate_hsds`,
before a document is read with these models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.directory.reference.format import OrganizationKind, ServiceKind, WelfareField

LocationType = Literal["physical", "postal", "virtual"]
# RFC 6350 types, as HSDS's description of phone.type lists them.
PhoneType = Literal["voice", "fax", "text", "cell", "video", "pager", "textphone"]


class _Hsds(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneExtension(_Hsds):
    """内線 as written, when HSDS's numeric `extension` would lose it (a leading zero: 内線 012)."""

    extension: str


class HsdsPhone(_Hsds):
    id: str
    number: str
    extension: int | None = None  # HSDS: a number
    type: PhoneType | None = None
    description: str | None = None
    x_jusou: PhoneExtension | None = None


class HsdsAddress(_Hsds):
    id: str
    address_1: str
    city: str  # 市区町村
    state_province: str  # 都道府県
    postal_code: str
    country: str = "JP"
    address_type: LocationType = "physical"


class HsdsLocation(_Hsds):
    id: str
    location_type: LocationType = "physical"
    name: str | None = None
    # The address as the plans write it, when there is no full HSDS address (no postal code).
    description: str | None = None
    addresses: list[HsdsAddress] = []


class HsdsServiceAtLocation(_Hsds):
    id: str
    location: HsdsLocation


class AreaExtension(_Hsds):
    kind: Literal["municipality", "junior_high_district", "district", "other"]


class HsdsServiceArea(_Hsds):
    id: str
    name: str | None = None
    description: str | None = None
    x_jusou: AreaExtension | None = None


class ScheduleExtension(_Hsds):
    """HSDS has no field for it: closed on national holidays and 12/29–1/3 (行政機関の休日)."""

    closed_on_holidays: bool


class HsdsSchedule(_Hsds):
    """Either a rule (with `freq`) or, without one, the schedule as the plans word it."""

    id: str
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    byday: str | None = None  # 'MO,TU' or '1WE,-1FR'
    bymonthday: str | None = None  # '1,15,-1'
    opens_at: str | None = None  # '08:30+09:00'
    closes_at: str | None = None
    timezone: int | float | None = None  # UTC offset in hours: 9
    valid_from: date | None = None
    valid_to: date | None = None
    description: str | None = None
    x_jusou: ScheduleExtension | None = None


class AcceptsExtension(_Hsds):
    conditions: list[str] = []
    accessibility: list[str] = []


class JusouExtension(_Hsds):
    """What Japan's multi-layered support system adds to an HSDS service."""

    id: Annotated[str, Field(max_length=120)] | None = None  # ours, when it is not the HSDS id itself
    name_kana: str
    kind: ServiceKind
    field: WelfareField
    legal_item: str | None = None
    operation: Literal["direct", "commissioned"] | None = None
    responsible_section: str | None = None
    program: str | None = None
    accepts: AcceptsExtension = AcceptsExtension()
    postal_code: str | None = None  # only when no HSDS address carries it


class HsdsService(_Hsds):
    id: str
    organization_id: str | None = None
    name: str
    description: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    minimum_age: int | None = None
    maximum_age: int | None = None
    phones: list[HsdsPhone] = []
    schedules: list[HsdsSchedule] = []
    service_areas: list[HsdsServiceArea] = []
    service_at_locations: list[HsdsServiceAtLocation] = []
    x_jusou: JusouExtension


class OrganizationExtension(_Hsds):
    id: Annotated[str, Field(max_length=100)] | None = None  # ours, e.g. '016314-town'
    kind: OrganizationKind
    name_kana: str | None = None


class HsdsOrganization(_Hsds):
    id: str
    name: str
    description: str
    x_jusou: OrganizationExtension


class HsdsDocument(_Hsds):
    """A municipality's directory as one document: HSDS objects in our envelope."""

    # The example in the OpenAPI document: one entry of 音更町's export, as `GET /directory/v1/hsds` gives it.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [json.loads((Path(__file__).parent / "example.json").read_text("utf-8"))]
        }
    )

    hsds_version: Literal["3.1"] = "3.1"  # schema.HSDS_VERSION
    tenant_id: str
    organizations: list[HsdsOrganization]
    services: list[HsdsService]

    def to_json(self) -> dict[str, object]:
        """As exported: absent rather than null (HSDS types its optional fields, null is not one)."""
        return self.model_dump(mode="json", exclude_none=True)
