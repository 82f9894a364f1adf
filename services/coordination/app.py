"""The coordination service: `uvicorn services.coordination.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.coordination.access import POLICY
from services.coordination.assessments import api as assessments_api
from services.coordination.cases import api as cases_api
from services.coordination.cases import handlers as case_handlers
from services.coordination.cases import work_list_api
from services.coordination.consents import handlers as consent_handlers
from services.coordination.db import audit_log, idempotency_keys, messaging, metadata
from services.coordination.figures import api as figures_api
from services.coordination.monitoring import api as monitoring_api
from services.coordination.monitoring.service import notice_overdue
from services.coordination.organisations import handlers as organisation_handlers
from services.coordination.parties import api as parties_api
from services.coordination.plan_meetings import api as plan_meetings_api
from services.coordination.plans import api as plans_api
from services.coordination.progress_notes import api as progress_notes_api
from services.coordination.progress_notes import handlers as progress_note_handlers
from services.coordination.support_meetings import api as support_meetings_api
from shared.events.catalog import (
    RESOURCE_CHANGES,
    CaseReferred,
    ConsentRecorded,
    ConsentWithdrawn,
    ContactLost,
    ContactResumed,
)
from shared.jobs import Job
from shared.runtime import ServiceDefinition, app_on_first_use, build_app
from shared.settings import Settings, get_settings

definition = ServiceDefinition(
    name="coordination",
    title="Coordination (多機関協働事業)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    audit_table=audit_log,
    idempotency_table=idempotency_keys,
    routers=(
        work_list_api.router,
        cases_api.router,
        parties_api.router,
        progress_notes_api.router,
        assessments_api.router,
        support_meetings_api.router,
        support_meetings_api.case_links_router,
        plans_api.router,
        plan_meetings_api.router,
        monitoring_api.router,
        figures_api.router,
    ),
    jobs=(Job("monitoring-overdue", lambda s: s.monitoring_check_interval_seconds, notice_overdue),),
    handlers={
        CaseReferred: case_handlers.on_case_referred,
        ConsentRecorded: consent_handlers.on_consent_recorded,
        ConsentWithdrawn: consent_handlers.on_consent_withdrawn,
        # Outreach's contact attempts become the case's progress notes (the suspension rule counts them).
        ContactLost: progress_note_handlers.on_contact_lost,
        ContactResumed: progress_note_handlers.on_contact_resumed,
        # The directory's entries in version 2, and version 1 from a directory not yet upgraded.
        **dict.fromkeys(RESOURCE_CHANGES, organisation_handlers.on_resource_changed),
    },
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


__getattr__ = app_on_first_use(globals(), create_app)
