"""Loads the demo gazetteers (`districts/reference/<tenant>.json`), transcribed from the seed plans.

The plans name districts but give no table of which town lies in which, so the files hold districts
and no address lines. Runs before the resource loader, whose areas are checked against them.
Idempotent: a municipality that has a gazetteer (loaded before, or an editor's) is left as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.districts import service
from services.directory.districts.models import Gazetteer
from services.directory.districts.schemas import GazetteerIn
from shared.db import utcnow
from shared.settings import Settings

REFERENCE_DIR = Path(__file__).parent
LOADER = "reference-loader"


class ReferenceGazetteer(GazetteerIn):
    tenant_id: str = Field(pattern=r"^\d{6}$")
    source: str = Field(description="where in the seed document the districts are named")


def reference_gazetteers() -> list[ReferenceGazetteer]:
    return [
        ReferenceGazetteer.model_validate(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(REFERENCE_DIR.glob("[0-9][0-9][0-9][0-9][0-9][0-9].json"))
    ]


async def load_reference_districts(session: AsyncSession, settings: Settings) -> None:
    if not settings.loads_demo_data:
        return
    present = set((await session.scalars(select(Gazetteer.tenant_id))).all())
    for file in reference_gazetteers():
        if file.tenant_id in present:
            continue
        await service.replace_gazetteer(
            session=session,
            revision=service.GazetteerRevision(file.tenant_id, 0),
            data=GazetteerIn.model_validate(file.model_dump(exclude={"tenant_id", "source"})),
            actor=LOADER,
            now=utcnow(),
            source=file.source,
        )
