"""The directory service: `uvicorn services.directory.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.directory.access import POLICY
from services.directory.db import audit_log, messaging, metadata
from services.directory.reference.loader import load_reference
from services.directory.resources import api as resources_api
from services.directory.resources import exchange_api
from shared.runtime import ServiceDefinition, build_app
from shared.settings import Settings, get_settings

definition = ServiceDefinition(
    name="directory",
    title="Resource directory (社会資源)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    audit_table=audit_log,
    # The exchange routes first: /resources/export.csv must not be taken for a resource id.
    routers=(exchange_api.router, resources_api.router),
    seed=load_reference,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


app = create_app()
