"""The directory service: `uvicorn services.directory.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.directory.db import audit_log, messaging, metadata
from shared.auth.audit_api import audit_rules
from shared.runtime import ServiceDefinition, build_app
from shared.settings import Settings, get_settings

definition = ServiceDefinition(
    name="directory",
    title="Resource directory (社会資源)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=audit_rules("directory"),
    audit_table=audit_log,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


app = create_app()
