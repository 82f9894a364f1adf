"""`python -m services.cli announce`: read models that began after the data did (coordination's
operators and consents, after an upgrade) are filled from the directory's and intake's current state."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from services.coordination.consents.models import KnownConsent
from services.coordination.organisations.models import KnownOrganisation
from services.directory.resources.service import announce_every_entry
from services.intake.consent.service import announce_every_consent
from shared.db import utcnow
from shared.runtime import runtimes_of
from tests.api.helpers import record_consent, record_consultation
from tests.support.waiting import eventually


async def test_announcing_the_directory_fills_coordinations_operators_again(client, app) -> None:
    coordination = runtimes_of(app)["coordination"]
    async with coordination.db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(KnownOrganisation))
        await session.execute(delete(KnownOrganisation))  # as after the upgrade: nothing known
    assert before and before > 10

    async with runtimes_of(app)["directory"].db.transaction() as session:
        announced = await announce_every_entry(session=session, now=utcnow())

    async def refilled() -> bool:
        async with coordination.db.transaction() as session:
            return await session.scalar(select(func.count()).select_from(KnownOrganisation)) == before

    await eventually(refilled)
    assert announced >= before
    # Intake's windows hold those versions already: nothing changed there, nothing dead-lettered.
    assert runtimes_of(app)["intake"].consumer.stats["dead_lettered"] == 0


async def test_announcing_intake_tells_coordination_every_consent_and_withdrawal(client, app) -> None:
    consultation = await record_consultation(client)
    standing = await record_consent(client, consultation["id"])
    withdrawn = await record_consent(client, consultation["id"], data_classes=["identity", "concerns", "tax"])
    response = await client.post(
        f"/intake/v1/consultations/{consultation['id']}/consents/{withdrawn['id']}/withdrawal",
        json={},
        headers={"If-Match": withdrawn["etag"]},
    )
    assert response.status_code == 200, response.text
    coordination = runtimes_of(app)["coordination"]

    async def heard(count: int) -> bool:
        async with coordination.db.transaction() as session:
            return await session.scalar(select(func.count()).select_from(KnownConsent)) == count

    await eventually(lambda: heard(2))
    async with coordination.db.transaction() as session:
        await session.execute(delete(KnownConsent))

    async with runtimes_of(app)["intake"].db.transaction() as session:
        assert await announce_every_consent(session=session) == 3  # two recorded, one withdrawn

    await eventually(lambda: heard(2))
    async with coordination.db.transaction() as session:
        again = {k.consent_id: k for k in (await session.scalars(select(KnownConsent))).all()}
    assert again[standing["id"]].withdrawn_at is None
    assert again[withdrawn["id"]].withdrawn_at is not None
    assert again[withdrawn["id"]].data_classes == ["identity", "concerns", "tax"]
