"""The directory service: `uvicorn services.directory.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.access import POLICY
from services.directory.db import audit_log, idempotency_keys, messaging, metadata
from services.directory.districts import api as districts_api
from services.directory.districts.reference.loader import load_reference_districts
from services.directory.reference.loader import load_reference
from services.directory.resources import api as resources_api
from services.directory.resources import exchange_api
from shared.runtime import ServiceDefinition, app_on_first_use, build_app
from shared.settings import Settings, get_settings


async def seed(session: AsyncSession, settings: Settings) -> None:
    # The gazetteers first: the reference resources' areas are checked against them.
    await load_reference_districts(session, settings)
    await load_reference(session, settings)


definition = ServiceDefinition(
    name="directory",
    title="Resource directory (社会資源)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    audit_table=audit_log,
    idempotency_table=idempotency_keys,
    # The exchange routes first: /resources/export.csv must not be taken for a resource id.
    routers=(exchange_api.router, resources_api.router, districts_api.router),
    seed=seed,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


__getattr__ = app_on_first_use(globals(), create_app)
