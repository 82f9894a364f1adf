"""The Open Referral HSDS 3.0 shape the directory exchanges: organizations and services with their
phones, schedules, service areas and locations. Japanese facts HSDS lacks travel in `x_jusou`.

These models are the schema we adopt (extra fields forbidden); `hsds_json_schema()` publishes it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Hsds(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HsdsPhone(_Hsds):
    id: str
    number: str
    extension: str | None = None
    type: Literal["voice", "fax", "text", "cell", "video", "pager", "textphone"] = "voice"
    languages: list[dict[str, str]] = []


class HsdsAddress(_Hsds):
    id: str
    address_1: str
    city: str | None = None
    region: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country: str = "JP"
    address_type: Literal["physical", "postal", "virtual"] = "physical"


class HsdsLocation(_Hsds):
    id: str
    location_type: Literal["physical", "postal", "virtual"] = "physical"
    name: str | None = None
    addresses: list[HsdsAddress] = []


class HsdsServiceAtLocation(_Hsds):
    id: str
    location: HsdsLocation


class HsdsServiceArea(_Hsds):
    id: str
    name: str
    description: str | None = None
    extent_type: str | None = None


class HsdsSchedule(_Hsds):
    id: str
    description: str


class JusouExtension(_Hsds):
    """What Japan's multi-layered support system adds to HSDS."""

    name_kana: str
    kind: str
    field: str
    legal_item: str | None = None
    operation: str | None = None
    responsible_section: str | None = None
    program: str | None = None
    accepts: dict[str, Any] = {}
    areas: list[dict[str, str]] = []


class HsdsService(_Hsds):
    id: str
    organization_id: str | None = None
    name: str
    alternate_name: str | None = None
    description: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    phones: list[HsdsPhone] = []
    schedules: list[HsdsSchedule] = []
    service_areas: list[HsdsServiceArea] = []
    service_at_locations: list[HsdsServiceAtLocation] = []
    x_jusou: JusouExtension


class HsdsOrganization(_Hsds):
    id: str
    name: str
    alternate_name: str | None = None
    description: str | None = None
    x_jusou_kind: str


class HsdsDocument(_Hsds):
    """A municipality's directory as one HSDS document."""

    hsds_version: Literal["3.0"] = "3.0"
    tenant_id: str
    organizations: list[HsdsOrganization]
    services: list[HsdsService]


def hsds_json_schema() -> dict[str, Any]:
    return HsdsDocument.model_json_schema()
