"""The shape of the directory's reference files (`reference/<tenant>.json`), transcribed from the
municipalities' plans. Close to Open Referral HSDS 3 (organization, service, location, phone,
schedule, service area) plus the Japanese facts HSDS lacks (field, legal item, operation, section,
kana readings)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WelfareField = Literal["elderly_care", "disability", "children", "hardship", "other"]
OrganizationKind = Literal[
    "municipality",  # the municipality itself or one of its sections (直営)
    "social_welfare_council",  # 社会福祉協議会
    "social_welfare_corporation",  # 社会福祉法人
    "npo",  # 特定非営利活動法人
    "company",  # 株式会社・有限会社
    "foundation",  # 公益財団法人・一般社団法人 etc.
    "school_corporation",  # 学校法人
    "medical_corporation",  # 医療法人
    "other",
]
ServiceKind = Literal[
    "window",  # 相談窓口 (item 1)
    "community_program",  # 地域づくりの事業・拠点 (item 3)
    "participation_host",  # 参加支援の受入先 (item 2)
    "outreach",  # アウトリーチ (item 4)
    "collaboration",  # 多機関協働 (item 5)
    "other",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReferenceOrganization(_Strict):
    key: str = Field(
        pattern=r"^[a-z0-9-]+$", description="id within the tenant; the full id is '<tenant>-<key>'"
    )
    name: str
    name_kana: str | None = None
    kind: OrganizationKind


class ReferencePhone(_Strict):
    number: str  # as written in the plan, e.g. "67-7090" or "42-2111"
    extension: str | None = None  # 内線
    type: Literal["voice", "fax"] = "voice"


class ReferenceArea(_Strict):
    kind: Literal["municipality", "junior_high_district", "district", "other"]
    name: str  # e.g. "町内一円", "音更中学校区", "下音更中学校区の一部"


class ReferenceService(_Strict):
    key: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    name_kana: str = Field(description="reading of the name in katakana (フリガナ)")
    kind: ServiceKind
    field: WelfareField
    legal_item: str | None = Field(
        default=None, description="Art. 106-4 para 2 item, e.g. '1イ', '2', '3ロ', '4', '5'"
    )
    organization: str | None = Field(default=None, description="key of the operating organization")
    operation: Literal["direct", "commissioned"] | None = None
    responsible_section: str | None = None  # 所管課
    program: str | None = Field(
        default=None, description="the 事業名 the place belongs to, when it is one of several"
    )
    description: str | None = None
    address: str | None = None
    postal_code: str | None = None
    phones: list[ReferencePhone] = Field(default_factory=list)
    areas: list[ReferenceArea] = Field(default_factory=list)
    schedule: str | None = Field(default=None, description="as written, e.g. '毎月第1・第3水曜日'")
    # Structured only where a document states days and hours; none of the four plans does.
    schedules: list[dict[str, Any]] = Field(default_factory=list, description="HSDS-style, see ScheduleIn")
    source: str = Field(description="where in the seed document, e.g. 'seed 000 §2(2)ア'")


class ReferenceFile(_Strict):
    tenant_id: str = Field(pattern=r"^\d{6}$")
    municipality: str
    source: str
    organizations: list[ReferenceOrganization]
    services: list[ReferenceService]
