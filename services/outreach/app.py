"""The outreach service: `uvicorn services.outreach.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.outreach.db import audit_log, idempotency_keys, messaging, metadata
from shared.auth.audit_api import audit_rules
from shared.runtime import ServiceDefinition, app_on_first_use, build_app
from shared.settings import Settings, get_settings

definition = ServiceDefinition(
    name="outreach",
    title="Outreach (アウトリーチ等を通じた継続的支援事業)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=audit_rules("outreach"),
    audit_table=audit_log,
    idempotency_table=idempotency_keys,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


__getattr__ = app_on_first_use(globals(), create_app)
