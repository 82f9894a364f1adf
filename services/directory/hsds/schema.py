"""The official Open Referral HSDS constraints on the objects the directory exchanges, written as our
own JSON Schema (Draft 2020-12), and `validate_hsds`, which checks a document against it.

Followed: github.com/openreferral/specification at commit 0397823b65202a4219c2c78c89909d59a4cedfaa,
`schema/compiled/service_with_definitions.json` (the HSDS 3.1 line: it has `additional_urls` and
`capacities`), whose definitions give organization, phone, schedule, service_area,
service_at_location, location, address and language; cross-checked with `schema/simple/schema.csv`
at 32e5e5ce27814b03bda722d4cc1061be02a35f9e and `schema/compiled/organization.json` at
0aadc412d959f27166709c3d15d478886afc9c67. The older 3.0 drafts (`schema/*.json` at 67e7b37a…) differ
where it matters to us: ids carry no `uuid` format there, `wkst` is MON..SUN and `bymonthday` a
number; we follow the newer files. Their text is not copied here: only the constraints are restated.

What is ours, not theirs:
- the envelope (`hsds_version`, `tenant_id`, `organizations`, `services`): HSDS defines objects, not
  a file holding one municipality's directory; the envelope is closed (additionalProperties false);
- machine-readable forms of rules the official files state only in words: dates "in the ISO 8601
  format of YYYY-MM-DD" (`format: date`), opens_at/closes_at "HH:MM ... should include timezone
  information" (a pattern; the offset stays optional, as "should" says), byday/bymonthday "comma
  separated" RFC 5545 values (patterns);
- objects we never emit (contacts, attributes, metadata, funding, …): only that each is an object
  with a uuid `id`, which is what all of them require.

`additionalProperties`: the official files never set it, so every HSDS object admits extension
properties; that is where our `x_jusou` objects travel.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from shared.errors import FieldProblem, Text

HSDS_REVISION = "0397823b65202a4219c2c78c89909d59a4cedfaa"
HSDS_VERSION = "3.1"

_TEXT: dict[str, Any] = {"type": "string"}
_NUMBER: dict[str, Any] = {"type": "number"}
_UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
_URI: dict[str, Any] = {"type": "string", "format": "uri"}
_EMAIL: dict[str, Any] = {"type": "string", "format": "email"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}
_DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}

# RFC 5545: a weekday, optionally preceded by a signed ordinal (2MO, -1FR); month days 1..31, signed.
_WEEKDAY_NUM = r"(?:[+-]?(?:[1-9]|[1-4][0-9]|5[0-3]))?(?:MO|TU|WE|TH|FR|SA|SU)"
_MONTH_DAY = r"[+-]?(?:[1-9]|[12][0-9]|3[01])"
BYDAY_PATTERN = rf"^{_WEEKDAY_NUM}(?:,{_WEEKDAY_NUM})*$"
BYMONTHDAY_PATTERN = rf"^{_MONTH_DAY}(?:,{_MONTH_DAY})*$"
# HH:MM (seconds allowed: the official example is 10:00:00), then Z or a UTC offset.
_HOUR_MINUTE = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
TIME_PATTERN = rf"^{_HOUR_MINUTE}(?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-]{_HOUR_MINUTE})?$"


def _many(definition: str) -> dict[str, Any]:
    return {"type": "array", "items": {"$ref": f"#/$defs/{definition}"}}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    # No additionalProperties: the official definitions admit extension properties.
    return {"type": "object", "required": required, "properties": properties}


_COMMON = {"attributes": _many("linked"), "metadata": _many("linked")}

HSDS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://jusou.example.jp/schemas/directory/hsds-3.1.json",
    "title": "A municipality's resource directory as Open Referral HSDS 3.1 objects",
    "description": f"Official HSDS constraints as of openreferral/specification@{HSDS_REVISION}.",
    "type": "object",
    "required": ["tenant_id", "organizations", "services"],
    "additionalProperties": False,
    "properties": {
        "hsds_version": {"enum": [HSDS_VERSION]},
        "tenant_id": {"type": "string", "pattern": r"^[0-9]{6}$"},
        "organizations": _many("organization"),
        "services": _many("service"),
    },
    "$defs": {
        "service": _object(
            ["id", "name", "status"],
            {
                "id": _UUID,
                "organization_id": _UUID,
                "program_id": _UUID,
                "name": _TEXT,
                "alternate_name": _TEXT,
                "description": _TEXT,
                "url": _URI,
                "additional_urls": _many("url"),
                "email": _EMAIL,
                "status": {"type": "string", "enum": ["active", "inactive", "defunct", "temporarily closed"]},
                "interpretation_services": _TEXT,
                "application_process": _TEXT,
                "fees_description": _TEXT,
                "wait_time": _TEXT,
                "fees": _TEXT,
                "accreditations": _TEXT,
                "eligibility_description": _TEXT,
                "minimum_age": _NUMBER,
                "maximum_age": _NUMBER,
                "assured_date": _DATE,
                "assurer_email": _EMAIL,
                "licenses": _TEXT,
                "alert": _TEXT,
                "last_modified": _DATE_TIME,
                "phones": _many("phone"),
                "schedules": _many("schedule"),
                "service_areas": _many("service_area"),
                "service_at_locations": _many("service_at_location"),
                "languages": _many("language"),
                "organization": {"$ref": "#/$defs/organization"},
                "funding": _many("linked"),
                "cost_options": _many("linked"),
                "program": {"$ref": "#/$defs/linked"},
                "required_documents": _many("linked"),
                "contacts": _many("linked"),
                "capacities": _many("linked"),
                **_COMMON,
            },
        ),
        "organization": _object(
            ["id", "name", "description"],
            {
                "id": _UUID,
                "name": _TEXT,
                "alternate_name": _TEXT,
                "description": _TEXT,
                "email": _EMAIL,
                "website": _URI,
                "additional_websites": _many("url"),
                "tax_status": _TEXT,
                "tax_id": _TEXT,
                "year_incorporated": _NUMBER,
                "legal_status": _TEXT,
                "logo": _TEXT,
                "uri": _URI,
                "parent_organization_id": _UUID,
                "funding": _many("linked"),
                "contacts": _many("linked"),
                "phones": _many("phone"),
                "locations": _many("location"),
                "programs": _many("linked"),
                "organization_identifiers": _many("linked"),
                **_COMMON,
            },
        ),
        "phone": _object(
            ["id", "number"],
            {
                "id": _UUID,
                "location_id": _UUID,
                "service_id": _UUID,
                "organization_id": _UUID,
                "contact_id": _UUID,
                "service_at_location_id": _UUID,
                "number": _TEXT,
                "extension": _NUMBER,
                # No enum officially: the description points at RFC 6350's types (voice, fax, …).
                "type": _TEXT,
                "description": _TEXT,
                "languages": _many("language"),
                **_COMMON,
            },
        ),
        "schedule": _object(
            ["id"],
            {
                "id": _UUID,
                "service_id": _UUID,
                "location_id": _UUID,
                "service_at_location_id": _UUID,
                "valid_from": _DATE,
                "valid_to": _DATE,
                "dtstart": _DATE,
                "timezone": _NUMBER,
                "until": _DATE,
                "count": _NUMBER,
                "wkst": {"type": "string", "enum": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]},
                "freq": {"type": "string", "enum": ["WEEKLY", "MONTHLY"]},
                "interval": _NUMBER,
                "byday": {"type": "string", "pattern": BYDAY_PATTERN},
                "byweekno": _TEXT,
                "bymonthday": {"type": "string", "pattern": BYMONTHDAY_PATTERN},
                "byyearday": _TEXT,
                "description": _TEXT,
                "opens_at": {"type": "string", "pattern": TIME_PATTERN},
                "closes_at": {"type": "string", "pattern": TIME_PATTERN},
                "schedule_link": _URI,
                "attending_type": _TEXT,
                "notes": _TEXT,
                **_COMMON,
            },
        ),
        "service_area": _object(
            ["id"],
            {
                "id": _UUID,
                "service_id": _UUID,
                "service_at_location_id": _UUID,
                "name": _TEXT,
                "description": _TEXT,
                "extent": _TEXT,
                # Officially "geojson", "topojson", "kml" or "text", but stated in words, not as an enum.
                "extent_type": _TEXT,
                "uri": _TEXT,
                **_COMMON,
            },
        ),
        "service_at_location": _object(
            ["id"],
            {
                "id": _UUID,
                "service_id": _UUID,
                "location_id": _UUID,
                "description": _TEXT,
                "service_areas": _many("service_area"),
                "contacts": _many("linked"),
                "phones": _many("phone"),
                "schedules": _many("schedule"),
                "location": {"$ref": "#/$defs/location"},
                **_COMMON,
            },
        ),
        "location": _object(
            ["id", "location_type"],
            {
                "id": _UUID,
                "location_type": {"type": "string", "enum": ["physical", "postal", "virtual"]},
                "url": _URI,
                "organization_id": _UUID,
                "name": _TEXT,
                "alternate_name": _TEXT,
                "description": _TEXT,
                "transportation": _TEXT,
                "latitude": _NUMBER,
                "longitude": _NUMBER,
                "external_identifier": _TEXT,
                "external_identifier_type": _TEXT,
                "languages": _many("language"),
                "addresses": _many("address"),
                "contacts": _many("linked"),
                "accessibility": _many("linked"),
                "phones": _many("phone"),
                "schedules": _many("schedule"),
                **_COMMON,
            },
        ),
        "address": _object(
            ["id", "address_1", "city", "state_province", "postal_code", "country", "address_type"],
            {
                "id": _UUID,
                "location_id": _UUID,
                "attention": _TEXT,
                "address_1": _TEXT,
                "address_2": _TEXT,
                "city": _TEXT,
                "region": _TEXT,
                "state_province": _TEXT,
                "postal_code": _TEXT,
                "country": _TEXT,
                "address_type": {"type": "string", "enum": ["physical", "postal", "virtual"]},
                **_COMMON,
            },
        ),
        "language": _object(
            ["id"],
            {
                "id": _UUID,
                "service_id": _UUID,
                "location_id": _UUID,
                "phone_id": _UUID,
                "name": _TEXT,
                "code": _TEXT,
                "note": _TEXT,
                **_COMMON,
            },
        ),
        "url": _object(
            ["id", "url"],
            {"id": _UUID, "label": _TEXT, "url": _URI, "organization_id": _UUID, "service_id": _UUID},
        ),
        # Objects we never emit nor read: every one of them requires a uuid `id`.
        "linked": _object(["id"], {"id": _UUID}),
    },
}


def hsds_json_schema() -> dict[str, Any]:
    """A copy of the schema, to publish or to extend without touching the validator's."""
    return copy.deepcopy(HSDS_SCHEMA)


# --- validation -----------------------------------------------------------------------------------

_FORMATS = FormatChecker()  # jsonschema's own checks, among them uuid, date and email


def _is_uri(instance: object) -> bool:
    """RFC 3986 absolute URI. jsonschema checks `uri` only with rfc3987 or rfc3986-validator
    installed, and neither is; a scheme, no blanks and a parseable rest is the part we rely on."""
    if not isinstance(instance, str):
        return True
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", instance):
        return False
    urlsplit(instance)  # raises ValueError on a malformed authority, e.g. an unclosed IPv6 bracket
    return True


_FORMATS.checks("uri", raises=ValueError)(_is_uri)
VALIDATOR = Draft202012Validator(HSDS_SCHEMA, format_checker=_FORMATS)
MAX_PROBLEMS = 200  # a wholly wrong file would otherwise answer with thousands

_TYPE_JA = {
    "string": "文字列",
    "number": "数値",
    "integer": "整数",
    "array": "配列",
    "object": "オブジェクト",
    "boolean": "真偽値",
}
_FORMAT_TEXT = {
    "uuid": Text(
        "UUID の形式ではありません（例: 0e6a5c1e-3f0b-5d5a-9a51-2f1d7b0c4e11）。",
        "Not a UUID (e.g. 0e6a5c1e-3f0b-5d5a-9a51-2f1d7b0c4e11); HSDS 3 ids are UUIDs.",
    ),
    "date": Text(
        "存在しない日付、または日付の形式（YYYY-MM-DD）ではありません。",
        "Not an existing date in the form YYYY-MM-DD.",
    ),
    "date-time": Text("日時（ISO 8601）ではありません。", "Not an ISO 8601 date-time."),
    "uri": Text("URI ではありません（例: https://example.jp/）。", "Not a URI (e.g. https://example.jp/)."),
    "email": Text("メールアドレスではありません。", "Not an e-mail address."),
}
_PATTERN_TEXT = {
    BYDAY_PATTERN: Text(
        "曜日は MO〜SU をカンマ区切りで書いてください（例: MO,TU,WE、1WE,3WE、-1FR）。",
        "Days are MO..SU, comma separated, optionally numbered (e.g. MO,TU,WE or 1WE,3WE or -1FR).",
    ),
    BYMONTHDAY_PATTERN: Text(
        "日付は 1〜31（月末から数えるときは負の数）をカンマ区切りで書いてください（例: 1,15,-1）。",
        "Days of the month are 1..31 (negative from the end), comma separated (e.g. 1,15,-1).",
    ),
    TIME_PATTERN: Text(
        "時刻は HH:MM に UTC からの時差を付けて書いてください（例: 08:30+09:00）。",
        "Times are HH:MM with their UTC offset (e.g. 08:30+09:00).",
    ),
}


def validate_hsds(document: Any) -> list[FieldProblem]:
    """Every place where `document` breaks the official HSDS constraints (or our envelope), each
    named by its path (`services[3].schedules[0].freq`); empty when the document is valid."""
    found: dict[tuple[str, str], tuple[tuple[Any, ...], FieldProblem]] = {}
    for error in VALIDATOR.iter_errors(document):
        for path, problem in _problems(error):
            found.setdefault((problem.field, problem.code), (path, problem))
    if not found:
        for path, problem in _duplicate_ids(document):
            found.setdefault((problem.field, problem.code), (path, problem))
    ordered = [problem for _, problem in sorted(found.values(), key=lambda item: _sort_key(item[0]))]
    if len(ordered) > MAX_PROBLEMS:
        rest = len(ordered) - MAX_PROBLEMS
        ordered = [
            *ordered[:MAX_PROBLEMS],
            FieldProblem(
                "body",
                Text(f"ほかに {rest} 件の誤りがあります。", f"{rest} more problems are not listed."),
                "hsds_more_problems",
            ),
        ]
    return ordered


def path_of(parts: tuple[Any, ...] | list[Any]) -> str:
    """('services', 3, 'name') → 'services[3].name', as the API names fields elsewhere."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + str(part)
    return path or "body"


def _sort_key(parts: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:09d}") if isinstance(p, int) else (1, str(p)) for p in parts)


def _problems(error: ValidationError) -> Iterator[tuple[tuple[Any, ...], FieldProblem]]:
    at = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield (
                    (*at, name),
                    FieldProblem(
                        path_of((*at, name)),
                        Text("HSDS で必須の項目です。", "Required by HSDS."),
                        "hsds_required",
                    ),
                )
        return
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for name in sorted(set(error.instance) - allowed):
            yield (
                (*at, name),
                FieldProblem(
                    path_of((*at, name)),
                    Text("この項目は受け付けていません。", "This field is not accepted here."),
                    "hsds_not_accepted",
                ),
            )
        return
    yield at, FieldProblem(path_of(at), _message(error), f"hsds_{_code(error)}")


def _code(error: ValidationError) -> str:
    if error.validator == "format":
        return f"format_{str(error.validator_value).replace('-', '_')}"
    return {"type": "type", "enum": "enum", "pattern": "pattern"}.get(str(error.validator), "invalid")


def _message(error: ValidationError) -> Text:
    keyword, value = error.validator, error.validator_value
    if keyword == "type":
        wanted = [str(t) for t in (value if isinstance(value, list) else [value])]
        ja = "・".join(_TYPE_JA.get(t, t) for t in wanted)
        return Text(f"{ja}で書いてください。", f"Must be of type {' or '.join(wanted)}.")
    if keyword == "enum":
        choices = ", ".join(str(v) for v in value)
        return Text(f"選択肢（{choices}）にない値です。", f"Not one of: {choices}.")
    if keyword == "format" and value in _FORMAT_TEXT:
        return _FORMAT_TEXT[value]
    if keyword == "pattern" and value in _PATTERN_TEXT:
        return _PATTERN_TEXT[value]
    if keyword == "pattern":
        return Text("形式が正しくありません。", "The format is not valid.")
    return Text(error.message, error.message)


# HSDS ids are unique (its `constraints: unique`). Locations and addresses may be shared between
# services, so only the objects that belong to one parent are checked.
_OWNED = ("phones", "schedules", "service_areas", "service_at_locations")


def _duplicate_ids(document: Any) -> Iterator[tuple[tuple[Any, ...], FieldProblem]]:
    seen: dict[str, tuple[Any, ...]] = {}

    def check(path: tuple[Any, ...], value: Any) -> Iterator[tuple[tuple[Any, ...], FieldProblem]]:
        if not isinstance(value, str):
            return
        first = seen.setdefault(value, path)
        if first != path:
            yield (
                path,
                FieldProblem(
                    path_of(path),
                    Text(
                        f"ID が {path_of(first)} と重複しています。",
                        f"The id repeats the one at {path_of(first)}.",
                    ),
                    "hsds_duplicate_id",
                ),
            )

    for collection in ("organizations", "services"):
        for i, item in enumerate(document.get(collection, [])):
            yield from check((collection, i, "id"), item.get("id"))
    for i, item in enumerate(document.get("services", [])):
        for owned in _OWNED:
            for j, child in enumerate(item.get(owned, [])):
                yield from check(("services", i, owned, j, "id"), child.get("id"))
