"""Between the directory's rows and HSDS documents. Plain functions."""

from __future__ import annotations

from services.directory.hsds.model import (
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
)
from services.directory.resources.models import Organization, Resource
from services.directory.resources.schemas import ResourceIn

_STATUS = {"active": "active", "retired": "defunct"}


def to_hsds(tenant_id: str, organizations: list[Organization], resources: list[Resource]) -> HsdsDocument:
    return HsdsDocument(
        tenant_id=tenant_id,
        organizations=[
            HsdsOrganization(id=o.id, name=o.name, alternate_name=o.name_kana, x_jusou_kind=o.kind)
            for o in organizations
        ],
        services=[_service(r) for r in resources],
    )


def _service(r: Resource) -> HsdsService:
    locations = []
    if r.address:
        locations.append(
            HsdsServiceAtLocation(
                id=f"{r.id}:sal",
                location=HsdsLocation(
                    id=f"{r.id}:loc",
                    name=r.name,
                    addresses=[
                        HsdsAddress(id=f"{r.id}:addr", address_1=r.address, postal_code=r.postal_code)
                    ],
                ),
            )
        )
    return HsdsService(
        id=r.id,
        organization_id=r.organization_id,
        name=r.name,
        alternate_name=r.name_kana,
        description=r.description,
        status=_STATUS.get(r.status, "inactive"),  # type: ignore[arg-type]
        phones=[
            HsdsPhone(
                id=f"{r.id}:phone:{i}",
                number=p["number"],
                extension=p.get("extension"),
                type=p.get("type", "voice"),
            )
            for i, p in enumerate(r.phones)
        ],
        schedules=[HsdsSchedule(id=f"{r.id}:schedule", description=r.schedule)] if r.schedule else [],
        service_areas=[
            HsdsServiceArea(id=f"{r.id}:area:{i}", name=a["name"], extent_type=a["kind"])
            for i, a in enumerate(r.areas)
        ],
        service_at_locations=locations,
        x_jusou=JusouExtension(
            name_kana=r.name_kana,
            kind=r.kind,
            field=r.field,
            legal_item=r.legal_item,
            operation=r.operation,
            responsible_section=r.responsible_section,
            program=r.program,
            accepts=r.accepts,
            areas=[{"kind": a["kind"], "name": a["name"]} for a in r.areas],
        ),
    )


def resource_from_hsds(service: HsdsService) -> ResourceIn:
    address = service.service_at_locations[0].location.addresses[0] if service.service_at_locations else None
    return ResourceIn.model_validate(
        {
            "name": service.name,
            "name_kana": service.x_jusou.name_kana,
            "kind": service.x_jusou.kind,
            "field": service.x_jusou.field,
            "legal_item": service.x_jusou.legal_item,
            "organization_id": service.organization_id,
            "operation": service.x_jusou.operation,
            "responsible_section": service.x_jusou.responsible_section,
            "program": service.x_jusou.program,
            "description": service.description,
            "address": address.address_1 if address else None,
            "postal_code": address.postal_code if address else None,
            "phones": [
                {"number": p.number, "extension": p.extension, "type": p.type} for p in service.phones
            ],
            "areas": service.x_jusou.areas,
            "schedule": service.schedules[0].description if service.schedules else None,
            "accepts": service.x_jusou.accepts,
        }
    )
