"""The official HSDS 3.1 constraints catch the mistakes a hand-edited or foreign document makes, each
named by its path; what passes them but not our reading is located in the HSDS document too."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from services.directory.hsds.exchange import HsdsEntryInvalid, hsds_id, plan_import, resource_from_hsds
from services.directory.hsds.model import HsdsDocument, HsdsService
from services.directory.hsds.schema import HSDS_SCHEMA, validate_hsds

ORG = hsds_id("organization", "016314-town")
SERVICE = hsds_id("service", "016314-salon")


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _document() -> dict[str, Any]:
    return {
        "hsds_version": "3.1",
        "tenant_id": "016314",
        "organizations": [
            {
                "id": ORG,
                "name": "音更町",
                "description": "自治体（直営）",
                "x_jusou": {"id": "016314-town", "kind": "municipality"},
            }
        ],
        "services": [
            {
                "id": SERVICE,
                "organization_id": ORG,
                "name": "ふれあいサロン",
                "status": "active",
                "phones": [{"id": _id(1), "number": "0155-42-2111", "extension": 512, "type": "voice"}],
                "schedules": [
                    {
                        "id": _id(2),
                        "freq": "MONTHLY",
                        "byday": "1WE,-1FR",
                        "opens_at": "13:30+09:00",
                        "closes_at": "15:00+09:00",
                        "timezone": 9,
                        "valid_from": "2026-04-01",
                        "x_jusou": {"closed_on_holidays": True},
                    }
                ],
                "service_areas": [{"id": _id(3), "name": "東地区", "x_jusou": {"kind": "district"}}],
                "service_at_locations": [
                    {
                        "id": _id(4),
                        "location": {
                            "id": _id(5),
                            "location_type": "physical",
                            "addresses": [
                                {
                                    "id": _id(6),
                                    "address_1": "東通12丁目5番地",
                                    "city": "音更町",
                                    "state_province": "北海道",
                                    "postal_code": "080-0198",
                                    "country": "JP",
                                    "address_type": "physical",
                                }
                            ],
                        },
                    }
                ],
                "x_jusou": {
                    "id": "016314-salon",
                    "name_kana": "フレアイサロン",
                    "kind": "community_program",
                    "field": "other",
                },
            }
        ],
    }


def _codes(document: dict[str, Any]) -> dict[str, str]:
    return {p.field: p.code for p in validate_hsds(document)}


def test_the_reference_document_is_valid_and_reads() -> None:
    document = _document()
    assert validate_hsds(document) == []
    plan = plan_import(HsdsDocument.model_validate(document), known_organizations=[])
    assert plan.errors == []
    ((resource_id, entry),) = plan.services
    assert resource_id == "016314-salon" and entry.organisation_id == "016314-town"
    assert entry.schedules[0].byday == ["1WE", "-1FR"] and str(entry.schedules[0].opens_at) == "13:30:00"


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda obj: obj.pop(key)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda obj: obj.__setitem__(key, value)


def _service(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["services"][0]
    return found


def _schedule(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["services"][0]["schedules"][0]
    return found


def _address(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["services"][0]["service_at_locations"][0]["location"]["addresses"][0]
    return found


@pytest.mark.parametrize(
    ("target", "change", "path", "code"),
    [
        (_service, _without("name"), "services[0].name", "hsds_required"),
        (_service, _without("status"), "services[0].status", "hsds_required"),
        (_service, _set("status", "closed"), "services[0].status", "hsds_enum"),
        (_service, _set("id", "016314-salon"), "services[0].id", "hsds_format_uuid"),
        (_service, _set("organization_id", "016314-town"), "services[0].organization_id", "hsds_format_uuid"),
        (_service, _set("minimum_age", "65"), "services[0].minimum_age", "hsds_type"),
        (_service, _set("url", "not a uri"), "services[0].url", "hsds_format_uri"),
        (_service, _set("email", "nobody"), "services[0].email", "hsds_format_email"),
        (
            lambda d: d["organizations"][0],
            _without("description"),
            "organizations[0].description",
            "hsds_required",
        ),
        (
            lambda d: d["services"][0]["phones"][0],
            _set("extension", "512"),
            "services[0].phones[0].extension",
            "hsds_type",
        ),
        (
            lambda d: d["services"][0]["phones"][0],
            _without("number"),
            "services[0].phones[0].number",
            "hsds_required",
        ),
        (_schedule, _set("freq", "DAILY"), "services[0].schedules[0].freq", "hsds_enum"),
        (
            _schedule,
            _set("wkst", "MON"),
            "services[0].schedules[0].wkst",
            "hsds_enum",
        ),  # the 3.0 drafts' form
        (
            _schedule,
            _set("valid_from", "2026-02-30"),
            "services[0].schedules[0].valid_from",
            "hsds_format_date",
        ),
        (_schedule, _set("valid_to", "2026/03/31"), "services[0].schedules[0].valid_to", "hsds_format_date"),
        (_schedule, _set("bymonthday", 15), "services[0].schedules[0].bymonthday", "hsds_type"),
        (_schedule, _set("byday", "MO TU"), "services[0].schedules[0].byday", "hsds_pattern"),
        (_schedule, _set("opens_at", "8:30"), "services[0].schedules[0].opens_at", "hsds_pattern"),
        (_schedule, _set("timezone", "+09:00"), "services[0].schedules[0].timezone", "hsds_type"),
        (
            _schedule,
            _set("id", "ac148810d857441c9679408f346de14b"),
            "services[0].schedules[0].id",
            "hsds_format_uuid",
        ),
        (
            _address,
            _without("postal_code"),
            "services[0].service_at_locations[0].location.addresses[0].postal_code",
            "hsds_required",
        ),
        (
            _address,
            _set("address_type", "home"),
            "services[0].service_at_locations[0].location.addresses[0].address_type",
            "hsds_enum",
        ),
        (lambda d: d, _set("generator", "x"), "generator", "hsds_not_accepted"),  # our envelope is closed
        (lambda d: d, _without("services"), "services", "hsds_required"),
    ],
)
def test_official_constraints_name_the_bad_path(
    target: Callable[[dict[str, Any]], dict[str, Any]],
    change: Callable[[dict[str, Any]], None],
    path: str,
    code: str,
) -> None:
    document = _document()
    change(target(document))
    assert _codes(document) == {path: code}


def test_every_problem_is_listed_at_once_in_document_order() -> None:
    document = _document()
    for i in range(11):
        service = copy.deepcopy(_service(document))
        service["id"] = _id(100 + i) if i < 10 else "bad"
        for j, child in enumerate(service["phones"] + service["schedules"] + service["service_areas"]):
            child["id"] = _id(1000 + 10 * i + j)
        document["services"].append(service)
    document["services"][3].pop("name")
    document["services"][1]["schedules"][0]["freq"] = "YEARLY"
    problems = validate_hsds(document)
    assert [p.field for p in problems] == [
        "services[1].schedules[0].freq",
        "services[3].name",
        "services[11].id",  # after 3, not after 1: paths sort by index, not as text
    ]
    assert all(p.message.ja and p.message.en for p in problems)


def test_extension_properties_are_allowed_on_hsds_objects() -> None:
    document = _document()
    _service(document)["x_other_system"] = {"code": 1}
    _schedule(document)["x_note"] = "extension properties are HSDS's way to carry more"
    assert validate_hsds(document) == []
    assert "additionalProperties" not in HSDS_SCHEMA["$defs"]["service"]


def test_ids_are_unique() -> None:
    document = _document()
    other = copy.deepcopy(_service(document))
    document["services"].append(other)
    assert _codes(document) == {
        "services[1].id": "hsds_duplicate_id",
        "services[1].phones[0].id": "hsds_duplicate_id",
        "services[1].schedules[0].id": "hsds_duplicate_id",
        "services[1].service_areas[0].id": "hsds_duplicate_id",
        "services[1].service_at_locations[0].id": "hsds_duplicate_id",
    }


def test_not_an_object_at_all() -> None:
    assert _codes([]) == {"body": "hsds_type"}  # type: ignore[arg-type]


# --- valid HSDS that is not a directory entry: located in the HSDS document -----------------------


def _read(change: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    document = _document()
    change(document)
    assert validate_hsds(document) == []  # officially fine
    service = HsdsService.model_validate(_service(document))
    with pytest.raises(HsdsEntryInvalid) as invalid:
        resource_from_hsds(service, {ORG: "016314-town"})
    return {".".join(str(p) for p in e["loc"]): e["type"] for e in invalid.value.errors}


def test_times_must_be_japan_time() -> None:
    assert _read(lambda d: _schedule(d).__setitem__("opens_at", "04:30Z")) == {
        "schedules.0.opens_at": "japan_time_required"
    }

    def without_timezone(d: dict[str, Any]) -> None:
        del _schedule(d)["timezone"]
        _schedule(d)["closes_at"] = "15:00"

    assert _read(without_timezone) == {"schedules.0.closes_at": "japan_time_required"}


def test_our_rules_are_located_where_the_value_was_written() -> None:
    assert _read(lambda d: _service(d)["x_jusou"].__setitem__("name_kana", "漢字")) == {
        "x_jusou.name_kana": "value_error"
    }
    assert _read(lambda d: _schedule(d).__setitem__("byday", "6WE")) == {"schedules.0.byday": "value_error"}
    assert _read(lambda d: _schedule(d).__setitem__("closes_at", "12:00+09:00")) == {
        "schedules.0": "value_error"
    }
    assert _read(lambda d: _service(d).__setitem__("minimum_age", 200)) == {"minimum_age": "less_than_equal"}
    assert _read(lambda d: _address(d).__setitem__("postal_code", "080-01988")) == {
        "service_at_locations.0.location.addresses.0.postal_code": "value_error"
    }
    assert _read(lambda d: _service(d).__setitem__("organization_id", _id(9))) == {
        "organization_id": "unknown_organization"
    }
    assert _read(lambda d: _schedule(d).pop("freq")) == {"schedules.0.freq": "freq_required"}


def test_an_id_that_is_not_the_one_of_x_jusou_id_is_refused() -> None:
    document = _document()
    _service(document)["id"] = _id(77)
    plan = plan_import(HsdsDocument.model_validate(document), known_organizations=[])
    assert [(e["loc"], e["type"]) for e in plan.errors] == [
        (("body", "services", 0, "id"), "hsds_id_mismatch")
    ]
