"""HSDS export → import gives back the same entries: the four municipalities' reference data and
entries using every field (structured schedules, extensions, fax, areas, accepts, addresses)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.directory.hsds.exchange import hsds_id, plan_import, to_hsds
from services.directory.hsds.model import HsdsDocument
from services.directory.hsds.schema import validate_hsds
from services.directory.reference.format import ReferenceFile
from services.directory.reference.loader import reference_files, resource_in
from services.directory.resources import service
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.schemas import ResourceIn

OTOFUKE = "016314"


def _organizations(file: ReferenceFile) -> list[Organisation]:
    return [
        Organisation(
            id=f"{file.tenant_id}-{o.key}",
            tenant_id=file.tenant_id,
            name=o.name,
            name_kana=o.name_kana,
            kind=o.kind,
        )
        for o in file.organizations
    ]


def _row(tenant_id: str, resource_id: str, data: ResourceIn, organizations: list[Organisation]) -> Resource:
    """The row as the use cases store it."""
    resource = Resource(id=resource_id, tenant_id=tenant_id, status="active", version=1)
    organization = next((o for o in organizations if o.id == data.organisation_id), None)
    service._apply(resource, data, organization)
    return resource


def _round_trip(
    tenant_id: str, organizations: list[Organisation], entries: dict[str, ResourceIn]
) -> tuple[dict[str, Any], dict[str, ResourceIn]]:
    rows = [_row(tenant_id, rid, data, organizations) for rid, data in entries.items()]
    exported = to_hsds(tenant_id, organizations, rows).to_json()
    assert validate_hsds(exported) == []
    plan = plan_import(HsdsDocument.model_validate(exported), known_organizations=[])
    assert plan.errors == []
    assert [o.id for o in plan.organizations] == [o.id for o in organizations]
    return exported, dict(plan.services)


@pytest.mark.parametrize("file", reference_files(), ids=lambda f: f.tenant_id)
def test_every_reference_entry_comes_back_the_same(file: ReferenceFile) -> None:
    organizations = _organizations(file)
    entries = {f"{file.tenant_id}-{e.key}": resource_in(file.tenant_id, e) for e in file.services}
    exported, imported = _round_trip(file.tenant_id, organizations, entries)
    assert imported == entries
    assert {o["x_jusou"]["id"] for o in exported["organizations"]} == {o.id for o in organizations}
    # Every id is a UUID, and one entry's id is the same in every export.
    ids = [s["id"] for s in exported["services"]]
    assert all(str(uuid.UUID(i)) == i for i in ids) and len(set(ids)) == len(ids)
    assert ids[0] == hsds_id("service", next(iter(entries)))


def _full_entry(**overrides: Any) -> ResourceIn:
    return ResourceIn.model_validate(
        {
            "name": "ふれあいサロン東",
            "name_kana": "ふれあいさろんひがし",
            "kind": "community_program",
            "field": "other",
            "legal_item": "3ロ",
            "organisation_id": f"{OTOFUKE}-town",
            "operation": "commissioned",
            "responsible_section": "福祉課",
            "program": "地域介護予防活動支援事業",
            "description": "高齢者の通いの場。",
            "address": "音更町東通12丁目5番地",
            "postal_code": "080-0198",
            "phones": [
                {"number": "0155-42-2111", "extension": "512"},
                {"number": "0155-42-2112", "extension": "012"},  # a leading zero survives
                {"number": "0155-42-2696", "type": "fax"},
            ],
            "areas": [
                {"kind": "district", "name": "東地区"},
                {"kind": "junior_high_district", "name": "音更中学校区"},
            ],
            "schedule": "主に、月1・2回のペースで開催",
            "schedules": [
                {
                    "freq": "WEEKLY",
                    "byday": ["MO", "TU", "WE", "TH", "FR"],
                    "opens_at": "08:30",
                    "closes_at": "17:15",
                },
                {
                    "freq": "MONTHLY",
                    "byday": ["1WE", "-1FR"],
                    "opens_at": "13:30:15",
                    "closes_at": "15:00",
                    "valid_from": "2026-04-01",
                    "valid_to": "2027-03-31",
                    "closed_on_holidays": False,
                    "description": "第1水曜・最終金曜",
                },
                {"freq": "MONTHLY", "bymonthday": [15, -1]},
            ],
            "accepts": {
                "age_from": 65,
                "age_to": 120,
                "conditions": ["町内在住"],
                "accessibility": ["車いす可", "駐車場あり"],
            },
            **overrides,
        }
    )


def test_entries_using_every_field_come_back_the_same() -> None:
    file = next(f for f in reference_files() if f.tenant_id == OTOFUKE)
    organizations = _organizations(file)  # 音更町 itself among them
    entries = {
        f"{OTOFUKE}-salon-east": _full_entry(),
        str(uuid.uuid4()): _full_entry(name="サロン（住所なし）", address=None, organisation_id=None),
        f"{OTOFUKE}-no-postal": _full_entry(postal_code=None, schedules=[], schedule=None, phones=[]),
    }
    exported, imported = _round_trip(OTOFUKE, organizations, entries)
    assert imported == entries

    full, without_address, without_postal = exported["services"]
    assert [p.get("extension") for p in full["phones"]] == [512, 12, None]  # HSDS: a number
    assert full["phones"][1]["x_jusou"] == {"extension": "012"}
    assert full["phones"][2]["type"] == "fax"
    weekly, monthly, days, wording = full["schedules"]
    assert weekly["byday"] == "MO,TU,WE,TH,FR" and weekly["opens_at"] == "08:30+09:00"
    assert weekly["timezone"] == 9 and weekly["x_jusou"] == {"closed_on_holidays": True}
    assert monthly["byday"] == "1WE,-1FR" and monthly["opens_at"] == "13:30:15+09:00"
    assert monthly["valid_from"] == "2026-04-01" and monthly["x_jusou"] == {"closed_on_holidays": False}
    assert days["bymonthday"] == "-1,15" and "opens_at" not in days
    assert wording == {"id": wording["id"], "description": "主に、月1・2回のペースで開催"}
    assert full["minimum_age"] == 65 and full["maximum_age"] == 120
    assert [a["x_jusou"]["kind"] for a in full["service_areas"]] == ["district", "junior_high_district"]
    (address,) = full["service_at_locations"][0]["location"]["addresses"]
    assert address["state_province"] == "北海道" and address["city"] == "音更町"
    assert address["postal_code"] == "080-0198" and address["country"] == "JP"

    # A UUID id is kept; the postal code of an entry without an address stays in x_jusou.
    assert without_address["id"] == without_address["x_jusou"]["id"]
    assert "service_at_locations" not in without_address or without_address["service_at_locations"] == []
    assert without_address["x_jusou"]["postal_code"] == "080-0198"
    # Without a postal code, HSDS's address (which requires one) is left out: the text describes the place.
    location = without_postal["service_at_locations"][0]["location"]
    assert location["addresses"] == [] and location["description"] == "音更町東通12丁目5番地"


def test_an_export_is_the_same_every_time() -> None:
    file = next(f for f in reference_files() if f.tenant_id == OTOFUKE)
    organizations = _organizations(file)
    rows = [
        _row(OTOFUKE, f"{OTOFUKE}-{e.key}", resource_in(OTOFUKE, e), organizations) for e in file.services
    ]
    assert to_hsds(OTOFUKE, organizations, rows).to_json() == to_hsds(OTOFUKE, organizations, rows).to_json()
