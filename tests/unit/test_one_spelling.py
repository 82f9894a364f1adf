"""One spelling at the API and event boundary: `organisation`, as the glossary, intake, coordination
and the tokens' `org` say it. Only the HSDS exchange keeps HSDS's `organization` (its own field
names), and the directory's table keeps its column name, mapped to `organisation_id`."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.directory.hsds import model as hsds_model
from services.directory.resources.models import Resource
from services.directory.resources.schemas import ResourceVersionOut
from services.directory.resources.service import snapshot
from services.embedded import create_app
from shared.events.catalog import ResourcePublished, ResourcePublishedV1
from shared.events.registry import registered
from tests.conftest import embedded_settings

HSDS_SCHEMAS = {
    name
    for name, cls in inspect.getmembers(hsds_model, inspect.isclass)
    if cls.__module__ == hsds_model.__name__
}


def _names(value: Any) -> list[str]:
    """Every key and string in a JSON document."""
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in (str(k), *_names(v))]
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return [value] if isinstance(value, str) else []


def test_the_openapi_document_says_organisation_outside_the_hsds_exchange(tmp_path: Path) -> None:
    document = create_app(embedded_settings(tmp_path / "data")).openapi()
    schemas = {k: v for k, v in document["components"]["schemas"].items() if k not in HSDS_SCHEMAS}
    paths = {
        path: {
            method: {k: v for k, v in op.items() if k not in {"description", "requestBody", "responses"}}
            for method, op in item.items()
        }
        for path, item in document["paths"].items()
        if not path.endswith("/hsds")
    }

    spelled = [n for n in _names(schemas) + _names(paths) if "organization" in n.lower()]

    assert spelled == []
    assert "/directory/v1/organisations" in document["paths"]
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {"listOrganisations", "recordOrganisation"} <= operations
    search = document["paths"]["/directory/v1/resources"]["get"]["parameters"]
    assert "organisation_id" in {p["name"] for p in search}


def test_every_current_event_says_organisation() -> None:
    current = [
        cls
        for cls in registered().values()
        if cls.version == max(c.version for c in registered().values() if c.name == cls.name)
    ]

    assert ResourcePublished in current and ResourcePublishedV1 not in current
    for cls in current:
        assert "organization" not in json.dumps(cls.model_json_schema()).lower(), cls.cloudevent_type()


def test_the_column_keeps_its_name_and_python_says_organisation() -> None:
    assert Resource.__table__.c.organization_id is Resource.organisation_id.property.columns[0]
    resource = Resource(
        id="r", tenant_id="016314", organisation_id="016314-town", updated_at=datetime.now(UTC)
    )

    kept = snapshot(resource)

    assert kept["organisation_id"] == "016314-town" and "organization_id" not in kept


def test_a_version_kept_before_the_rename_is_shown_with_the_new_spelling() -> None:
    stored = {"id": "r", "organization_id": "016314-town", "name": "サロン"}

    shown = ResourceVersionOut.model_validate(
        {
            "version": 1,
            "change": "published",
            "changed_by": "x",
            "changed_at": datetime.now(UTC),
            "snapshot": stored,
        }
    )

    assert shown.snapshot == {"id": "r", "organisation_id": "016314-town", "name": "サロン"}
