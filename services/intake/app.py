"""The intake service: `uvicorn services.intake.app:app` runs it alone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.access import POLICY
from services.intake.consent import api as consent_api
from services.intake.consultations import api as consultations_api
from services.intake.db import audit_log, idempotency_keys, messaging, metadata
from services.intake.figures import api as figures_api
from services.intake.referrals import api as referrals_api
from services.intake.referrals import handlers
from services.intake.windows import api as windows_api
from services.intake.windows import handlers as window_handlers
from shared.events.catalog import (
    RESOURCE_CHANGES,
    CaseOpened,
    ReferralDeclined,
    ReferralReturned,
)
from shared.runtime import ServiceDefinition, app_on_first_use, build_app
from shared.settings import Settings, get_settings

definition = ServiceDefinition(
    name="intake",
    title="Intake (包括的相談支援)",
    metadata=metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    audit_table=audit_log,
    idempotency_table=idempotency_keys,
    routers=(
        windows_api.router,
        consultations_api.router,
        consent_api.router,
        referrals_api.router,
        figures_api.router,
    ),
    handlers={
        CaseOpened: handlers.on_case_opened,
        ReferralDeclined: handlers.on_referral_declined,
        ReferralReturned: handlers.on_referral_returned,
        # The windows are a read model of the resource directory's entries of kind `window`.
        # Version 2, and version 1 from a directory not yet upgraded.
        **dict.fromkeys(RESOURCE_CHANGES, window_handlers.on_resource_changed),
    },
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([definition], settings or get_settings(), title=definition.title)


__getattr__ = app_on_first_use(globals(), create_app)
