"""Every request body in the OpenAPI document carries an example, and each example is a valid request:
a partner's first call, copied from the docs, is accepted by the model it is documented for."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from services.coordination.cases.schemas import CaseAnswer
from services.coordination.support_meetings.schemas import AcceptanceIn, SupportMeetingCreate
from services.directory.districts.schemas import GazetteerIn
from services.directory.hsds.model import HsdsDocument
from services.directory.resources.schemas import OrganisationIn, ResourceIn
from services.intake.consent.schemas import ConsentCreate, ConsentWithdraw
from services.intake.consultations.schemas import ConsultationCreate
from services.intake.referrals.schemas import ReferralCreate

MODELS: list[type[BaseModel]] = [
    ConsultationCreate,
    ConsentCreate,
    ConsentWithdraw,
    ReferralCreate,
    CaseAnswer,
    SupportMeetingCreate,
    AcceptanceIn,
    ResourceIn,
    OrganisationIn,
    GazetteerIn,
    HsdsDocument,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_documented_example_is_a_valid_request(model: type[BaseModel]) -> None:
    examples: list[Any] = model.model_json_schema().get("examples", [])
    assert examples, f"{model.__name__} has no example"
    for example in examples:
        model.model_validate(example)


def test_every_request_body_of_the_document_has_an_example() -> None:
    from services.embedded import create_app

    spec = create_app().openapi()
    missing = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            for media_type, media in body["content"].items():
                ref = media.get("schema", {}).get("$ref", "")
                schema = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
                if not ("example" in media or "examples" in media or "examples" in schema):
                    missing.append(f"{method.upper()} {path} ({media_type})")
    assert missing == []
