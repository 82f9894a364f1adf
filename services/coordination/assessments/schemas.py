"""The assessment sheet (インテーク・アセスメントシート) as the API takes and gives it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Situation(_Strict):
    """The second sheet's situation items."""

    work: Literal["regular", "part_time", "self_employed", "pension", "unemployed", "other"] | None = Field(
        default=None,
        description="正社員・公務員 / パート・アルバイト・派遣 / 自営業 / 年金生活 / 失業・休職中 / その他",
    )
    housing: Literal["owned", "rented", "public_housing", "company_housing", "homeless", "other"] | None = (
        Field(default=None, description="持家 / 借家 / 公営住宅 / 会社寮 / 野宿 / その他")
    )
    health_insurance: Short | None = None
    pension: Short | None = None
    health: Body | None = None


class AssessedConcern(_Strict):
    concern: Code = Field(description="The concern checklist's code, e.g. caregiving, withdrawal, debt.")
    field: Code | None = Field(default=None, description="elderly_care, disability, children, hardship, …")
    view: Body = Field(description="The coordinator's view of it.")


class Risks(_Strict):
    urgency: Literal["normal", "high", "emergency"] = "normal"
    abuse: bool = False
    suicide_risk: bool = False
    neglect: bool = False
    note: Body | None = None


class Source(_Strict):
    organisation_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None
    ) = None
    who: Short | None = Field(
        default=None, description="When not an organisation: the family, a neighbour, …"
    )
    provided: Body = Field(description="What they told.")


class AssessmentIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "assessed_on": "2026-11-18",
                    "situation": {"work": "unemployed", "housing": "owned", "health": "腰痛で通院中"},
                    "household": "本人（52）と母（80、要介護2）の二人暮らし",
                    "concerns": [
                        {"concern": "caregiving", "field": "elderly_care", "view": "母の介護負担が大きい"},
                        {"concern": "withdrawal", "field": "hardship", "view": "10年以上就労していない"},
                    ],
                    "strengths": "母との関係は良好。料理が得意",
                    "wishes": "母の介護を続けながら、少しずつ外に出たい",
                    "risks": {"urgency": "high", "neglect": False},
                    "sources": [
                        {"organisation_id": "016314-hakuju-kyokai", "provided": "母の介護認定と利用状況"}
                    ],
                }
            ]
        },
    )

    assessed_on: date = Field(description="The day of the assessment; not in the future.")
    situation: Situation = Field(default_factory=Situation)
    household: Body | None = Field(default=None, description="The household and relationships.")
    concerns: list[AssessedConcern] = Field(min_length=1, max_length=16)
    strengths: Body | None = None
    wishes: Body | None = Field(default=None, description="本人の思い, in the person's words.")
    risks: Risks = Field(default_factory=Risks)
    sources: list[Source] = Field(default_factory=list, max_length=40)


class AssessmentOut(AssessmentIn):
    model_config = ConfigDict(extra="ignore", json_schema_extra=None)

    id: str
    case_id: str
    number: int = Field(description="1 for the first; a later assessment is the next number.")
    assessed_by: str
    recorded_at: datetime
