"""Every event the services exchange, version 1. Import this module to register them all.

Personal data travels only inside the parts the person's consent covers: `CaseReferred` carries
`person`, `household` and `notes` only when the consent's data classes include them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.events.registry import Event, StrictWriter, register

DataClass = Literal["identity", "contact", "household", "concerns", "notes", "tax"]
Purpose = Literal["collaboration", "participation", "outreach", "support_meeting"]


class _Part(StrictWriter):
    """A nested part of an event: read tolerantly, written strictly, like the event itself."""


class ConsentScope(_Part):
    consent_id: str
    purposes: list[Purpose]
    data_classes: list[DataClass]
    organisations: list[str]
    obtained_at: datetime
    method: str


class ReferredAddress(_Part):
    postal_code: str | None = None
    text: str


class ReferredPerson(_Part):
    """The person as far as consent allows: identity fields and/or contact fields."""

    name: str | None = None
    name_kana: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    address: ReferredAddress | None = None
    phone: str | None = None


class ReferredHouseholdMember(_Part):
    name: str | None = None
    relation: str
    birth_date: date | None = None
    age: int | None = None
    note: str | None = None


@register
class CaseReferred(Event):
    """A window referred a consultation to multi-agency collaboration with the person's consent."""

    name = "CaseReferred"
    producer = "intake"

    referral_id: str
    consultation_id: str
    tenant_id: str
    window_code: str
    referring_organisation_id: str
    referred_at: datetime
    urgency: str
    main_concern: str | None
    concerns: list[str]
    welfare_fields: list[str]
    reason: str | None
    consent: ConsentScope
    person: ReferredPerson | None = None
    household: list[ReferredHouseholdMember] | None = None
    notes: str | None = None
    # 税情報: present only when the consent names the `tax` data class (Local Tax Act Art. 22).
    tax_information: str | None = None

    def aggregate_id(self) -> str:
        return self.referral_id

    def partition_key(self) -> str:
        return self.consultation_id


@register
class ConsentRecorded(Event):
    """A window recorded the person's consent: its scope only, no personal data.

    Other services keep what they need of it (coordination checks a support meeting's tax consent
    against it).
    """

    name = "ConsentRecorded"
    producer = "intake"

    consent_id: str
    consultation_id: str
    tenant_id: str
    organisation_id: str
    purposes: list[Purpose]
    data_classes: list[DataClass]
    organisations: list[str]
    obtained_at: datetime
    valid_from: datetime
    method: str

    def aggregate_id(self) -> str:
        return self.consent_id

    def partition_key(self) -> str:
        return self.consultation_id


@register
class ConsentWithdrawn(Event):
    """The person withdrew a consent: no new sharing under it from now on."""

    name = "ConsentWithdrawn"
    producer = "intake"

    consent_id: str
    consultation_id: str
    tenant_id: str
    withdrawn_at: datetime

    def aggregate_id(self) -> str:
        return self.consultation_id


@register
class CaseOpened(Event):
    """Coordination opened a case from a referral: the referral is accepted."""

    name = "CaseOpened"
    producer = "coordination"

    case_id: str
    case_number: str
    referral_id: str
    consultation_id: str
    tenant_id: str
    window_code: str
    opened_at: datetime

    def aggregate_id(self) -> str:
        return self.referral_id


class _ReferralAnswered(Event):
    producer = "coordination"

    case_id: str
    referral_id: str
    tenant_id: str
    reason: str
    answered_at: datetime

    def aggregate_id(self) -> str:
        return self.referral_id


@register
class ReferralDeclined(_ReferralAnswered):
    """Coordination will not take the case on (e.g. one agency can resolve it alone)."""

    name = "ReferralDeclined"


@register
class ReferralReturned(_ReferralAnswered):
    """Coordination sent the referral back to the window, e.g. for more information."""

    name = "ReferralReturned"


class _ResourceChanged(Event):
    """Facts about a directory entry (no personal data): enough for other services' read models."""

    producer = "directory"

    resource_id: str
    tenant_id: str
    resource_name: str
    kind: str
    field: str
    legal_item: str | None
    organization_id: str | None
    status: str
    resource_version: int
    changed_at: datetime
    # Added later, optional so that events written before them still validate (a compatible
    # change): what other services' read models show of an entry, e.g. intake's windows.
    organization_name: str | None = None
    operation: str | None = None  # direct (直営) | commissioned (委託)
    # The main voice phone as the directory stores it ("42-2111", extension "512" = 内線).
    phone_number: str | None = None
    phone_extension: str | None = None
    # 圏域: the names of the areas it covers, e.g. ["音更中学校区", "駒場中学校区"] or ["町内一円"].
    catchment_areas: list[str] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.resource_id


@register
class ResourcePublished(_ResourceChanged):
    """A window, program or host was added to the directory."""

    name = "ResourcePublished"


@register
class ResourceUpdated(_ResourceChanged):
    """A directory entry changed."""

    name = "ResourceUpdated"


@register
class ResourceRetired(_ResourceChanged):
    """A directory entry was retired (closed, or no longer offered)."""

    name = "ResourceRetired"
