"""All five services in one process: the embedded mode of `make run`.

This module is the composition root, not a service: it only gathers the services' definitions.
Each keeps its own database file; they talk through the in-process bus fed by their outboxes.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.coordination.app import definition as coordination
from services.directory.app import definition as directory
from services.intake.app import definition as intake
from services.outreach.app import definition as outreach
from services.participation.app import definition as participation
from shared.runtime import ServiceDefinition, build_app
from shared.settings import Settings, get_settings

DEFINITIONS: dict[str, ServiceDefinition] = {
    d.name: d for d in (intake, coordination, participation, outreach, directory)
}

DESCRIPTION = """
重層的支援体制整備事業 (multi-layered support system) backend.

Services: intake (包括的相談支援), coordination (多機関協働), participation (参加支援),
outreach (アウトリーチ), directory (社会資源). Errors are RFC 9457 problem+json, in Japanese by
default and in English with `Accept-Language: en`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    names = settings.services or list(DEFINITIONS)
    return build_app(
        [DEFINITIONS[n] for n in names], settings, title="重層的支援体制 backend", description=DESCRIPTION
    )


app = create_app()
