"""The access matrix: every operation x every role x own/other organisation x own/other tenant.

Generated from the services' permission tables. For each cell the expectation follows from the rule:
a role without a grant is refused (403); a granted role sees the object only within its reach, and
an object beyond it does not exist for the caller (404, or absent from a list). A new endpoint with
no request spec here, or a spec for an endpoint that is gone, fails `test_every_operation_has_a_spec`;
an endpoint with no rule keeps the app from starting at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from services.embedded import DEFINITIONS
from shared.auth.policy import Reach, Rule
from shared.auth.roles import Role
from tests.access.world import World, build_world
from tests.support.builders import (
    NAGAIZUMI,
    OTOFUKE,
    RANRAN,
    RANRAN_OPERATOR,
    WILLWORK,
    consent_body,
    consultation_body,
)
from tests.support.tokens import bearer

OWN_ORG, OTHER_ORG = RANRAN_OPERATOR, WILLWORK
OWN_TENANT, OTHER_TENANT = OTOFUKE, NAGAIZUMI


@dataclass(frozen=True)
class Spec:
    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any] | None = None
    # What an in-reach caller must find in a list response, when the operation lists objects.
    listed: Callable[[World], str] | None = None
    # True when the target object lives in the tenant: other tenants cannot see it. False for
    # operations on the caller's own tenant as a whole (creating at no parent, listing windows).
    targets_object: bool = True
    needs_if_match: bool = False


RESOURCE = {
    "name": "ふれあいサロン",
    "name_kana": "フレアイサロン",
    "kind": "community_program",
    "field": "other",
}


def _meeting_body(_: World) -> dict[str, Any]:
    return {
        "held_on": date.today().isoformat(),
        "members": [OWN_ORG, OTHER_ORG],
        "concerning": "見守りが必要な世帯",
    }


SPECS: dict[str, Spec] = {
    # intake
    "listWindows": Spec("GET", lambda w: "/intake/v1/windows", targets_object=False),
    "recordConsultation": Spec(
        "POST", lambda w: "/intake/v1/consultations", body=lambda w: consultation_body(window_code=RANRAN)
    ),
    "getConsultation": Spec("GET", lambda w: f"/intake/v1/consultations/{w.consultation_id}"),
    "listConsultations": Spec(
        "GET", lambda w: "/intake/v1/consultations", listed=lambda w: w.consultation_id
    ),
    "recordConsent": Spec(
        "POST",
        lambda w: f"/intake/v1/consultations/{w.consultation_id}/consents",
        body=lambda w: consent_body(),
    ),
    "listConsents": Spec("GET", lambda w: f"/intake/v1/consultations/{w.consultation_id}/consents"),
    "withdrawConsent": Spec(
        "POST",
        lambda w: f"/intake/v1/consultations/{w.consultation_id}/consents/{w.consent_id}/withdrawal",
        body=lambda w: {},
        needs_if_match=True,
    ),
    "referToCollaboration": Spec(
        "POST", lambda w: f"/intake/v1/consultations/{w.consultation_id}/referrals", body=lambda w: {}
    ),
    "listReferralsOfConsultation": Spec(
        "GET", lambda w: f"/intake/v1/consultations/{w.consultation_id}/referrals"
    ),
    "getReferral": Spec("GET", lambda w: f"/intake/v1/referrals/{w.referral_id}"),
    # coordination
    "getCase": Spec("GET", lambda w: f"/coordination/v1/cases/{w.case_id}"),
    "listCases": Spec("GET", lambda w: "/coordination/v1/cases", listed=lambda w: w.case_id),
    "declineCase": Spec(
        "POST",
        lambda w: f"/coordination/v1/cases/{w.case_id}/decline",
        body=lambda w: {"reason": "理由"},
        needs_if_match=True,
    ),
    "returnCase": Spec(
        "POST",
        lambda w: f"/coordination/v1/cases/{w.case_id}/return",
        body=lambda w: {"reason": "理由"},
        needs_if_match=True,
    ),
    "conveneSupportMeeting": Spec(
        "POST", lambda w: "/coordination/v1/support-meetings", body=_meeting_body, targets_object=False
    ),
    "getSupportMeeting": Spec("GET", lambda w: f"/coordination/v1/support-meetings/{w.meeting_id}"),
    "listSupportMeetings": Spec(
        "GET", lambda w: "/coordination/v1/support-meetings", listed=lambda w: w.meeting_id
    ),
    # directory (not personal data: every role but the auditor reads; editors and partner systems write)
    "searchResources": Spec("GET", lambda w: "/directory/v1/resources", targets_object=False),
    "getResource": Spec("GET", lambda w: f"/directory/v1/resources/{w.resource_id}"),
    "getResourceHistory": Spec("GET", lambda w: f"/directory/v1/resources/{w.resource_id}/history"),
    "listOrganizations": Spec("GET", lambda w: "/directory/v1/organizations", targets_object=False),
    "exportHsds": Spec("GET", lambda w: "/directory/v1/hsds", targets_object=False),
    "exportResourcesCsv": Spec("GET", lambda w: "/directory/v1/resources/export.csv", targets_object=False),
    "publishResource": Spec(
        "POST", lambda w: "/directory/v1/resources", body=lambda w: RESOURCE, targets_object=False
    ),
    "updateResource": Spec(
        "PUT",
        lambda w: f"/directory/v1/resources/{w.resource_id}",
        body=lambda w: RESOURCE,
        needs_if_match=True,
    ),
    "retireResource": Spec(
        "POST", lambda w: f"/directory/v1/resources/{w.resource_id}/retirement", needs_if_match=True
    ),
    "recordOrganization": Spec(
        "POST",
        lambda w: "/directory/v1/organizations",
        body=lambda w: {"key": "matrix-npo", "name": "NPO法人テスト", "kind": "npo"},
        targets_object=False,
    ),
    "importResourcesCsv": Spec("POST", lambda w: "/directory/v1/resources/import.csv", targets_object=False),
    "importHsds": Spec(
        "POST",
        lambda w: "/directory/v1/hsds",
        body=lambda w: {"tenant_id": OWN_TENANT, "organizations": [], "services": []},
        targets_object=False,
    ),
    # 地区・学区の台帳: one per municipality, so the caller's own tenant as a whole.
    "listDistricts": Spec("GET", lambda w: "/directory/v1/districts", targets_object=False),
    "lookupDistricts": Spec(
        "GET", lambda w: "/directory/v1/districts/lookup?address=柏寿台1-5", targets_object=False
    ),
    "replaceDistricts": Spec(
        "PUT",
        lambda w: "/directory/v1/districts",
        body=lambda w: {"districts": [{"kind": "junior_high_district", "name": "音更中学校区"}]},
        targets_object=False,
        needs_if_match=True,
    ),
}
for _service in DEFINITIONS:
    _name = _service[:1].upper() + _service[1:]
    SPECS[f"list{_name}AuditEntries"] = Spec(
        "GET", lambda w, s=_service: f"/{s}/v1/audit", targets_object=False
    )
    SPECS[f"export{_name}AuditEntries"] = Spec(
        "GET", lambda w, s=_service: f"/{s}/v1/audit/export.csv", targets_object=False
    )
    SPECS[f"verify{_name}AuditChain"] = Spec(
        "GET", lambda w, s=_service: f"/{s}/v1/audit/verification", targets_object=False
    )

RULES: dict[str, Rule] = {op: rule for d in DEFINITIONS.values() for op, rule in d.policy.items()}

# The organisation that owns or takes part in the world's objects, per reach. Support meetings list
# both OWN_ORG and the town as members; the case names OWN_ORG (the referring window's operator).
CELLS = [(org, tenant) for org in (OWN_ORG, OTHER_ORG) for tenant in (OWN_TENANT, OTHER_TENANT)]


def expected(rule: Rule, spec: Spec, role: Role, org: str, tenant: str) -> str:
    reach = rule.grants.get(role)
    if reach is None:
        return "forbidden"
    if not spec.targets_object:
        return "allowed"
    if tenant != OWN_TENANT:
        return "hidden"
    if reach == Reach.tenant:
        return "allowed"
    return "allowed" if org == OWN_ORG else "hidden"


async def observe(client: httpx.AsyncClient, spec: Spec, world: World, headers: dict[str, str]) -> str:
    path = spec.path(world)
    if spec.needs_if_match:
        headers = {**headers, "If-Match": "*"}  # never current: an allowed caller gets 412, not 403/404
    response = await client.request(
        spec.method, path, json=spec.body(world) if spec.body else None, headers=headers
    )
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "hidden"
    if response.status_code == 422 and any(
        e.get("code") == "unknown_window" for e in response.json().get("errors", [])
    ):
        return "hidden"  # a window of another organisation or municipality is not there for the caller
    assert response.status_code not in (401, 500), (path, response.status_code, response.text)
    if spec.listed is not None:
        assert response.status_code == 200, response.text
        ids = {item["id"] for item in _items(response.json())}
        return "allowed" if spec.listed(world) in ids else "hidden"
    return "allowed"


def _items(body: Any) -> list[dict[str, Any]]:
    return body["items"] if isinstance(body, dict) else body


def test_every_operation_has_a_spec_and_a_rule(app) -> None:
    operations = {
        operation["operationId"]
        for path in app.openapi()["paths"].values()
        for operation in path.values()
        if "health" not in operation.get("tags", [])
    }
    assert operations == set(SPECS), {
        "without spec": operations - set(SPECS),
        "stale": set(SPECS) - operations,
    }
    assert operations == set(RULES)


@pytest.mark.parametrize("operation", sorted(SPECS))
async def test_access_matrix(operation: str, client: httpx.AsyncClient, settings) -> None:
    world = await build_world(client, settings)
    rule, spec = RULES[operation], SPECS[operation]
    mismatches = []
    for role in Role:
        for org, tenant in CELLS:
            headers = bearer(settings, role.value, org=org, tenant=tenant, subject=f"{role.value}@{org}")
            seen = await observe(client, spec, world, headers)
            want = expected(rule, spec, role, org, tenant)
            if seen != want:
                mismatches.append(f"{role.value} org={org} tenant={tenant}: expected {want}, got {seen}")
    assert not mismatches, f"{operation}:\n" + "\n".join(mismatches)
