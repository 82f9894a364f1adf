"""Between the directory's rows and HSDS 3.1 documents. Plain functions, no database.

Ids: HSDS 3 ids are UUIDs. An entry or operator whose id is already a UUID keeps it; any other id
('016314-ranran') becomes a UUIDv5 in `NAMESPACE`, and our id travels in `x_jusou.id` so an import
finds the same row again. Phones, schedules, areas and places get UUIDv5 ids from their entry's id
and position, so exporting twice gives the same document.

Mapping (ResourceIn → HSDS service):
- schedules → `schedules` rules (freq; byday and bymonthday comma separated; opens_at/closes_at in
  Japan time with +09:00; timezone 9), `closed_on_holidays` in the schedule's `x_jusou`; the plans'
  own wording (`schedule`) → one more schedule with only a description (no freq);
- phones → `phones` (extension as the number HSDS asks for; as written in `x_jusou` if a number
  would lose a leading zero); areas → `service_areas` (name; our kind in `x_jusou`);
- address → a location: with an HSDS address (all of whose fields HSDS requires) when the postal
  code is known, else the address text as the location's description. The plans give no postal
  codes, and we do not invent them;
- accepts ages → minimum_age / maximum_age; conditions and accessibility → `x_jusou.accepts`.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.directory.hsds.model import (
    AcceptsExtension,
    AreaExtension,
    HsdsAddress,
    HsdsDocument,
    HsdsLocation,
    HsdsOrganization,
    HsdsPhone,
    HsdsSchedule,
    HsdsService,
    HsdsServiceArea,
    HsdsServiceAtLocation,
    JusouExtension,
    OrganizationExtension,
    PhoneExtension,
    ScheduleExtension,
)
from services.directory.reference.loader import reference_files
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.schemas import ResourceIn
from shared.errors import BilingualValueError, DomainError, InvalidInput, Text

# Fixed for good: changing it changes every exported id.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://jusou.example.jp/directory/hsds")
JAPAN_OFFSET = "+09:00"
JAPAN_TIMEZONE = 9  # HSDS `timezone`: the UTC offset in hours

_STATUS = {"active": "active", "retired": "defunct"}
ORGANIZATION_KIND_JA = {
    "municipality": "自治体（直営）",
    "social_welfare_council": "社会福祉協議会",
    "social_welfare_corporation": "社会福祉法人",
    "npo": "特定非営利活動法人",
    "company": "株式会社・有限会社",
    "foundation": "公益財団法人・一般社団法人等",
    "school_corporation": "学校法人",
    "medical_corporation": "医療法人",
    "other": "その他の団体",
}
# JIS X 0401: the first two digits of a municipality code name its prefecture.
PREFECTURES: tuple[str, ...] = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)


def hsds_id(kind: str, our_id: str) -> str:
    """The HSDS id of an entry or operator: its own id when that is a UUID, else a UUIDv5."""
    try:
        if str(uuid.UUID(our_id)) == our_id:
            return our_id
    except ValueError:
        pass
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{our_id}"))


def _child_id(kind: str, resource_id: str, key: int | str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{resource_id}/{key}"))


@dataclass(frozen=True)
class Place:
    prefecture: str
    city: str


@functools.cache
def _municipalities() -> dict[str, str]:
    return {f.tenant_id: f.municipality for f in reference_files()}


def place_of(tenant_id: str) -> Place | None:
    """都道府県 and 市区町村 of a municipality we know, for HSDS addresses (which require both)."""
    city = _municipalities().get(tenant_id)
    index = int(tenant_id[:2]) - 1 if tenant_id[:2].isdigit() else -1
    if city is None or not 0 <= index < len(PREFECTURES):
        return None
    return Place(PREFECTURES[index], city)


# --- export ---------------------------------------------------------------------------------------


def to_hsds(tenant_id: str, organizations: list[Organisation], resources: list[Resource]) -> HsdsDocument:
    place = place_of(tenant_id)
    return HsdsDocument(
        tenant_id=tenant_id,
        organizations=[_organization(o) for o in organizations],
        services=[_service(r, place) for r in resources],
    )


def _organization(o: Organisation) -> HsdsOrganization:
    return HsdsOrganization(
        id=hsds_id("organization", o.id),
        name=o.name,
        # Required by HSDS; what we know of every operator is what kind of body it is.
        description=ORGANIZATION_KIND_JA.get(o.kind, o.kind),
        x_jusou=OrganizationExtension(id=o.id, kind=o.kind, name_kana=o.name_kana),
    )


def _service(r: Resource, place: Place | None) -> HsdsService:
    accepts = r.accepts or {}
    location, postal_code_elsewhere = _location(r, place)
    schedules = [_schedule(r.id, i, s) for i, s in enumerate(r.schedules or [])]
    if r.schedule:
        schedules.append(HsdsSchedule(id=_child_id("schedule", r.id, "wording"), description=r.schedule))
    return HsdsService(
        id=hsds_id("service", r.id),
        organization_id=hsds_id("organization", r.organisation_id) if r.organisation_id else None,
        name=r.name,
        description=r.description,
        status=_STATUS.get(r.status, "inactive"),
        minimum_age=accepts.get("age_from"),
        maximum_age=accepts.get("age_to"),
        phones=[_phone(r.id, i, p) for i, p in enumerate(r.phones)],
        schedules=schedules,
        service_areas=[
            HsdsServiceArea(
                id=_child_id("service_area", r.id, i),
                name=a["name"],
                x_jusou=AreaExtension(kind=a["kind"]),
            )
            for i, a in enumerate(r.areas)
        ],
        service_at_locations=[location] if location else [],
        x_jusou=JusouExtension(
            id=r.id,
            name_kana=r.name_kana,
            kind=r.kind,
            field=r.field,
            legal_item=r.legal_item,
            operation=r.operation,
            responsible_section=r.responsible_section,
            program=r.program,
            accepts=AcceptsExtension(
                conditions=accepts.get("conditions", []), accessibility=accepts.get("accessibility", [])
            ),
            postal_code=postal_code_elsewhere,
        ),
    )


def _location(r: Resource, place: Place | None) -> tuple[HsdsServiceAtLocation | None, str | None]:
    """The place, and the postal code when no HSDS address can carry it."""
    if not r.address:
        return None, r.postal_code
    addresses = []
    if r.postal_code and place:
        addresses.append(
            HsdsAddress(
                id=_child_id("address", r.id, 0),
                address_1=r.address,
                city=place.city,
                state_province=place.prefecture,
                postal_code=r.postal_code,
            )
        )
    location = HsdsLocation(
        id=_child_id("location", r.id, 0),
        name=r.name,
        description=None if addresses else r.address,
        addresses=addresses,
    )
    sal = HsdsServiceAtLocation(id=_child_id("service_at_location", r.id, 0), location=location)
    return sal, None if addresses else r.postal_code


def _phone(resource_id: str, index: int, p: dict[str, Any]) -> HsdsPhone:
    extension: str | None = p.get("extension")
    return HsdsPhone(
        id=_child_id("phone", resource_id, index),
        number=p["number"],
        extension=int(extension) if extension else None,
        type=p.get("type", "voice"),
        # A leading zero (内線 012) would be lost in the number.
        x_jusou=PhoneExtension(extension=extension)
        if extension and str(int(extension)) != extension
        else None,
    )


def _schedule(resource_id: str, index: int, s: dict[str, Any]) -> HsdsSchedule:
    return HsdsSchedule(
        id=_child_id("schedule", resource_id, index),
        freq=s["freq"],
        byday=",".join(s.get("byday", [])) or None,
        bymonthday=",".join(str(d) for d in s.get("bymonthday", [])) or None,
        opens_at=_hsds_time(s.get("opens_at")),
        closes_at=_hsds_time(s.get("closes_at")),
        timezone=JAPAN_TIMEZONE,
        valid_from=s.get("valid_from"),
        valid_to=s.get("valid_to"),
        description=s.get("description"),
        x_jusou=ScheduleExtension(closed_on_holidays=s.get("closed_on_holidays", True)),
    )


def _hsds_time(stored: str | None) -> str | None:
    """'08:30:00' (Japan time, as stored) → '08:30+09:00'; seconds only when there are some."""
    if stored is None:
        return None
    value = time.fromisoformat(stored)
    return value.strftime("%H:%M:%S" if value.second else "%H:%M") + JAPAN_OFFSET


# --- import ---------------------------------------------------------------------------------------


class HsdsNotJson(DomainError):
    slug = "malformed-json"
    status = 400
    title = Text("JSON として読めません。", "The body is not valid JSON.")


class HsdsDocumentInvalid(InvalidInput):
    slug = "hsds-document-invalid"
    title = Text(
        "HSDS の公式スキーマに合わない箇所があるため、何も取り込んでいません。",
        "The document breaks the official HSDS schema; nothing was imported.",
    )


def read_document(body: bytes) -> HsdsDocument:
    """The body as an HSDS document: JSON, then the official constraints, then our shape. Each step
    refuses with every problem it finds, named by path, before anything is written."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HsdsNotJson(Text("JSON の構文を確認してください。", f"Check the JSON syntax: {exc}.")) from exc
    # Here, not at the top: jsonschema and the compiled HSDS validator are loaded by the first
    # import of an HSDS document, not by every start of the service.
    from services.directory.hsds.schema import validate_hsds

    problems = validate_hsds(raw)
    if problems:
        raise HsdsDocumentInvalid(
            Text(
                f"{len(problems)} 件の誤りを直してから、もう一度取り込んでください。",
                f"Fix the {len(problems)} problems listed, then import again.",
            ),
            fields=problems,
        )
    try:
        return HsdsDocument.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


@dataclass(frozen=True)
class ImportedOrganization:
    id: str
    name: str
    name_kana: str | None
    kind: str


@dataclass
class ImportPlan:
    """What a document would write, or why it cannot be written (pydantic-style errors by path)."""

    organizations: list[ImportedOrganization] = field(default_factory=list)
    services: list[tuple[str, ResourceIn]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class HsdsEntryInvalid(ValueError):
    """One service that does not make a directory entry; `errors` are located within the service."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def plan_import(document: HsdsDocument, known_organizations: Iterable[str]) -> ImportPlan:
    """Reads every organization and service of a checked document; `known_organizations` are the
    ids of the municipality's operators already in the directory, which services may refer to."""
    plan = ImportPlan()
    by_hsds_id = {hsds_id("organization", o): o for o in known_organizations}
    for i, org in enumerate(document.organizations):
        our_id = org.x_jusou.id or org.id
        if hsds_id("organization", our_id) != org.id:
            plan.errors.append(_id_mismatch(("organizations", i, "id"), "organization", our_id))
        by_hsds_id[org.id] = our_id
        plan.organizations.append(
            ImportedOrganization(our_id, org.name, org.x_jusou.name_kana, org.x_jusou.kind)
        )
    for i, entry in enumerate(document.services):
        our_id = entry.x_jusou.id or entry.id
        if hsds_id("service", our_id) != entry.id:
            plan.errors.append(_id_mismatch(("services", i, "id"), "service", our_id))
        try:
            plan.services.append((our_id, resource_from_hsds(entry, by_hsds_id)))
        except HsdsEntryInvalid as invalid:
            plan.errors.extend({**e, "loc": ("services", i, *e["loc"])} for e in invalid.errors)
    for e in plan.errors:
        e["loc"] = ("body", *e["loc"])
    return plan


def resource_from_hsds(service: HsdsService, organizations: Mapping[str, str]) -> ResourceIn:
    """The directory entry an HSDS service describes; `organizations` maps HSDS organization ids to
    ours. Raises HsdsEntryInvalid naming each problem by its place in the service."""
    reader = _ServiceReader(service, organizations)
    data = reader.read()
    try:
        resource = ResourceIn.model_validate(data)
    except ValidationError as exc:
        raise HsdsEntryInvalid(
            reader.errors + [{**e, "loc": reader.locate(e["loc"])} for e in exc.errors()]
        ) from exc
    if reader.errors:
        raise HsdsEntryInvalid(reader.errors)
    return resource


def _problem(loc: tuple[Any, ...], code: str, ja: str, en: str) -> dict[str, Any]:
    # In pydantic's error form, so the app's validation handler renders it like any other.
    return {"loc": loc, "type": code, "msg": en, "ctx": {"error": BilingualValueError(ja, en)}}


def _id_mismatch(loc: tuple[Any, ...], kind: str, our_id: str) -> dict[str, Any]:
    expected = hsds_id(kind, our_id)
    return _problem(
        loc,
        "hsds_id_mismatch",
        f"x_jusou.id「{our_id}」の HSDS ID は {expected} です。",
        f"The HSDS id of x_jusou.id '{our_id}' is {expected}.",
    )


_TIME = re.compile(r"^(?P<clock>\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(?P<offset>Z|[+-]\d\d:\d\d)?$")
_JUSOU_FIELDS = ("name_kana", "kind", "field", "legal_item", "operation", "responsible_section", "program")


class _ServiceReader:
    """Turns one HSDS service into ResourceIn's input, remembering where each part came from so
    that ResourceIn's complaints can be located in the HSDS document."""

    def __init__(self, service: HsdsService, organizations: Mapping[str, str]) -> None:
        self.service = service
        self.organizations = organizations
        self.errors: list[dict[str, Any]] = []
        self.rule_at: list[int] = []  # HSDS index of each structured schedule
        self.wording_at: int | None = None
        self.has_address = False

    def read(self) -> dict[str, Any]:
        s, x = self.service, self.service.x_jusou
        address, postal_code = self._place()
        accepts: dict[str, Any] = x.accepts.model_dump()  # conditions, accessibility
        if s.minimum_age is not None:
            accepts["age_from"] = s.minimum_age
        if s.maximum_age is not None:
            accepts["age_to"] = s.maximum_age
        schedules, wording = self._schedules()
        return {
            "name": s.name,
            **{name: getattr(x, name) for name in _JUSOU_FIELDS},
            "organisation_id": self._organization(),  # ours: HSDS spells it organization_id
            "description": s.description,
            "address": address,
            "postal_code": postal_code,
            "phones": [self._phone(i, p) for i, p in enumerate(s.phones)],
            "areas": [
                {"kind": a.x_jusou.kind if a.x_jusou else "other", "name": a.name} for a in s.service_areas
            ],
            "schedule": wording,
            "schedules": schedules,
            "accepts": accepts,
        }

    def _organization(self) -> str | None:
        hsds = self.service.organization_id
        if hsds is None:
            return None
        if hsds not in self.organizations:
            self.errors.append(
                _problem(
                    ("organization_id",),
                    "unknown_organization",
                    "この文書にも、この自治体の実施機関にもない organization です。",
                    "No organization of this document or of this municipality has this id.",
                )
            )
            return None
        return self.organizations[hsds]

    def _place(self) -> tuple[str | None, str | None]:
        s = self.service
        for i in range(1, len(s.service_at_locations)):
            self.errors.append(
                _problem(
                    ("service_at_locations", i),
                    "one_place_only",
                    "社会資源の所在地は1か所です。",
                    "A directory entry has one place.",
                )
            )
        if not s.service_at_locations:
            return None, s.x_jusou.postal_code
        location = s.service_at_locations[0].location
        for i in range(1, len(location.addresses)):
            self.errors.append(
                _problem(
                    ("service_at_locations", 0, "location", "addresses", i),
                    "one_address_only",
                    "住所は1つです。",
                    "A place has one address.",
                )
            )
        if location.addresses:
            self.has_address = True
            address = location.addresses[0]
            return address.address_1, address.postal_code or None
        return location.description, s.x_jusou.postal_code

    def _phone(self, index: int, p: HsdsPhone) -> dict[str, Any]:
        extension = str(p.extension) if p.extension is not None else None
        if p.x_jusou is not None:
            if extension is not None and (
                not p.x_jusou.extension.isdigit() or int(p.x_jusou.extension) != p.extension
            ):
                self.errors.append(
                    _problem(
                        ("phones", index, "x_jusou", "extension"),
                        "extension_mismatch",
                        "内線が extension と食い違っています。",
                        "Does not match the phone's extension.",
                    )
                )
            extension = p.x_jusou.extension
        return {"number": p.number, "extension": extension, "type": p.type or "voice"}

    def _schedules(self) -> tuple[list[dict[str, Any]], str | None]:
        rules, wording = [], None
        for j, s in enumerate(self.service.schedules):
            if s.freq is not None:
                self.rule_at.append(j)
                rules.append(self._rule(j, s))
                continue
            rule_fields = ("byday", "bymonthday", "opens_at", "closes_at", "valid_from", "valid_to")
            if any(getattr(s, name) is not None for name in rule_fields) or s.x_jusou is not None:
                self.errors.append(
                    _problem(
                        ("schedules", j, "freq"),
                        "freq_required",
                        "曜日・時刻などを指定するときは freq（WEEKLY か MONTHLY）が必要です。",
                        "A schedule with days or hours needs freq (WEEKLY or MONTHLY).",
                    )
                )
            elif s.description is None:
                self.errors.append(
                    _problem(
                        ("schedules", j),
                        "empty_schedule",
                        "freq か description のどちらかを書いてください。",
                        "Give a rule (freq) or a description.",
                    )
                )
            elif self.wording_at is not None:
                self.errors.append(
                    _problem(
                        ("schedules", j, "description"),
                        "one_wording_only",
                        "規則（freq）のない日程の説明は1つだけです。",
                        "Only one schedule may be a description without a rule.",
                    )
                )
            else:
                self.wording_at, wording = j, s.description
        return rules, wording

    def _rule(self, j: int, s: HsdsSchedule) -> dict[str, Any]:
        if s.timezone is not None and s.timezone != JAPAN_TIMEZONE:
            self.errors.append(self._not_japan_time(("schedules", j, "timezone")))
        return {
            "freq": s.freq,
            "byday": s.byday.split(",") if s.byday else [],
            "bymonthday": [int(d) for d in s.bymonthday.split(",")] if s.bymonthday else [],
            "opens_at": self._japan_time(j, "opens_at", s.opens_at, s.timezone),
            "closes_at": self._japan_time(j, "closes_at", s.closes_at, s.timezone),
            "valid_from": s.valid_from,
            "valid_to": s.valid_to,
            "closed_on_holidays": s.x_jusou.closed_on_holidays if s.x_jusou else True,
            "description": s.description,
        }

    def _japan_time(self, j: int, name: str, value: str | None, timezone: float | None) -> str | None:
        """Japan time as ScheduleIn reads it. Another offset would move opening hours across
        midnight into another weekday, so it is refused rather than converted."""
        if value is None:
            return None
        match = _TIME.match(value)
        if match is None:  # the official pattern already refused it
            return value
        offset = match["offset"]
        if (offset is None and timezone != JAPAN_TIMEZONE) or (offset is not None and offset != JAPAN_OFFSET):
            self.errors.append(self._not_japan_time(("schedules", j, name)))
        return match["clock"]

    @staticmethod
    def _not_japan_time(loc: tuple[Any, ...]) -> dict[str, Any]:
        return _problem(
            loc,
            "japan_time_required",
            "時刻は日本時間で、+09:00 を付けて（または timezone を 9 にして）書いてください。",
            "Times are Japan time: with +09:00, or with timezone 9.",
        )

    def locate(self, loc: tuple[Any, ...]) -> tuple[Any, ...]:
        """Where in the HSDS service a ResourceIn field came from."""
        head, rest = loc[0], tuple(loc[1:])
        if head in _JUSOU_FIELDS:
            return ("x_jusou", head, *rest)
        if head == "address":
            return self._place_path("address_1" if self.has_address else None)
        if head == "postal_code":
            return self._place_path("postal_code") if self.has_address else ("x_jusou", "postal_code")
        if head == "areas" and rest:
            return ("service_areas", rest[0], *(("x_jusou", "kind") if rest[1:] == ("kind",) else rest[1:]))
        if head == "schedules" and rest and isinstance(rest[0], int) and rest[0] < len(self.rule_at):
            tail = rest[1:]
            if tail[:1] == ("closed_on_holidays",):
                tail = ("x_jusou", "closed_on_holidays")
            return ("schedules", self.rule_at[rest[0]], *tail)
        if head == "schedule" and self.wording_at is not None:
            return ("schedules", self.wording_at, "description")
        if head == "accepts" and rest:
            ages = {"age_from": ("minimum_age",), "age_to": ("maximum_age",)}
            return ages.get(rest[0], ("x_jusou", "accepts", *rest))
        return tuple(loc)

    @staticmethod
    def _place_path(leaf: str | None) -> tuple[Any, ...]:
        location = ("service_at_locations", 0, "location")
        return (*location, "addresses", 0, leaf) if leaf else (*location, "description")
