"""Every event the services exchange. Import this module to register them all.

Each event is at version 1 but the directory's entry events (`ResourcePublished`, `ResourceUpdated`,
`ResourceRetired`), which are at version 2; their version 1 is kept for reading (`…V1`).

Personal data travels only inside the parts the person's consent covers: `CaseReferred` carries
`person`, `household` and `notes` only when the consent's data classes include them; `PlanConfirmed`
carries the person to an item's organisation only when the consent covers that organisation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

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
    # The support-meeting (支援会議) record the person was discussed in before consenting, as the
    # window named it (intake cannot check it; coordination links the case to it, and shows the
    # link only when the record is one of the same municipality). An id, never the material.
    support_meeting_id: str | None = None

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
    """Facts about a directory entry (no personal data): enough for other services' read models.

    Version 2: the operator is `organisation_id` / `organisation_name`, spelled as everywhere else
    at the API and event boundary (version 1 spelled them `organization_*`; renaming a field is a
    breaking change, hence a new version). Consumers accept both during the upgrade window."""

    producer = "directory"
    version = 2

    resource_id: str
    tenant_id: str
    resource_name: str
    kind: str
    field: str
    legal_item: str | None
    organisation_id: str | None
    status: str
    resource_version: int
    changed_at: datetime
    # Optional, as in version 1 (where they were added later): what other services' read models
    # show of an entry, e.g. intake's windows.
    organisation_name: str | None = None
    operation: str | None = None  # direct (直営) | commissioned (委託)
    # The main voice phone as the directory stores it ("42-2111", extension "512" = 内線).
    phone_number: str | None = None
    phone_extension: str | None = None
    # 圏域: the names of the areas it covers, e.g. ["音更中学校区", "駒場中学校区"] or ["町内一円"].
    catchment_areas: list[str] = Field(default_factory=list)
    # The operator's kind (municipality, social_welfare_council, npo, …): coordination needs to know
    # the municipality, a member of every plan meeting. Optional: added after version 2 went out.
    organisation_kind: str | None = None

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


ResourceChange = ResourcePublished | ResourceUpdated | ResourceRetired


class _ResourceChangedV1(Event):
    """Version 1 of the directory's entry events, as directories before version 2 emit them: the
    operator spelled `organization_id` / `organization_name`. Only read (a consumer upgraded before
    the directory), never emitted; `upgraded()` gives the version-2 event it stands for."""

    producer = "directory"
    current: ClassVar[type[ResourceChange]]

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
    # Added later, optional so that events written before them still validate (a compatible change).
    organization_name: str | None = None
    operation: str | None = None
    phone_number: str | None = None
    phone_extension: str | None = None
    catchment_areas: list[str] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.resource_id

    def upgraded(self) -> ResourceChange:
        data = self.model_dump()
        data["organisation_id"] = data.pop("organization_id")
        data["organisation_name"] = data.pop("organization_name")
        return self.current(**data)


@register
class ResourcePublishedV1(_ResourceChangedV1):
    """A window, program or host was added to the directory (version 1)."""

    name = "ResourcePublished"
    current = ResourcePublished


@register
class ResourceUpdatedV1(_ResourceChangedV1):
    """A directory entry changed (version 1)."""

    name = "ResourceUpdated"
    current = ResourceUpdated


@register
class ResourceRetiredV1(_ResourceChangedV1):
    """A directory entry was retired (version 1)."""

    name = "ResourceRetired"
    current = ResourceRetired


AnyResourceChange = ResourceChange | ResourcePublishedV1 | ResourceUpdatedV1 | ResourceRetiredV1


# What a consumer of the directory's entries subscribes to during the upgrade window: both versions.
RESOURCE_CHANGES: tuple[type[AnyResourceChange], ...] = (
    ResourcePublished,
    ResourceUpdated,
    ResourceRetired,
    ResourcePublishedV1,
    ResourceUpdatedV1,
    ResourceRetiredV1,
)


def current_resource_change(event: AnyResourceChange) -> ResourceChange:
    """The event in the current version, whichever version the directory emitted."""
    return event.upgraded() if isinstance(event, _ResourceChangedV1) else event


# --- support plans (支援プラン): coordination's, keyed by the case ---------------------------------


class _PlanEvent(Event):
    producer = "coordination"

    case_id: str
    plan_id: str
    tenant_id: str

    def aggregate_id(self) -> str:
        # One key for a case's plan events: they arrive in the order they happened.
        return self.case_id


@register
class PlanDrafted(_PlanEvent):
    """A plan was drafted: the case's first of a cycle, or a re-plan (`replaces_id`)."""

    name = "PlanDrafted"

    number: int
    replaces_id: str | None
    drafted_on: date
    drafted_at: datetime


@register
class PlanApproved(_PlanEvent):
    """A plan meeting (重層的支援会議) approved this version of the plan."""

    name = "PlanApproved"

    plan_version: int
    meeting_id: str
    held_on: date
    approved_at: datetime


@register
class SupportDecided(_PlanEvent):
    """The municipality's support decision (支援決定) on the plan's outreach and participation items.
    `confirmed` False: an item was refused and the plan went back to drafting. Reasons stay in
    coordination (they may speak of the person)."""

    name = "SupportDecided"

    plan_version: int
    decided_on: date
    approved_items: list[str]
    refused_items: list[str]
    confirmed: bool
    decided_at: datetime


class ConfirmedItem(_Part):
    """An outreach or participation item, as the service that carries it out needs it to start.

    `person` and `person_wishes` are present only when the person's consent covers the item's
    organisation (and has not been withdrawn): identity and contact as far as it allows."""

    item_id: str
    kind: Literal["outreach", "participation"]
    organisation_id: str
    what: str
    frequency: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    person_wishes: str | None = None
    person: ReferredPerson | None = None


@register
class PlanConfirmed(_PlanEvent):
    """The plan is in force (after the support decision, or the meeting's approval when it has no
    outreach or participation item). Outreach and participation start their work from `items`."""

    name = "PlanConfirmed"

    plan_version: int
    number: int
    replaces_id: str | None
    confirmed_at: datetime
    items: list[ConfirmedItem]


@register
class PlanReported(_PlanEvent):
    """A plan without outreach or participation items, confirmed by the meeting, is reported to the
    municipality, which acknowledges it."""

    name = "PlanReported"

    reported_at: datetime


# --- the end of support, and a new start: coordination's, keyed by the case -----------------------


class _CaseMoved(Event):
    producer = "coordination"

    case_id: str
    tenant_id: str
    occurred_on: date
    moved_at: datetime

    def aggregate_id(self) -> str:
        return self.case_id


@register
class CaseTerminated(_CaseMoved):
    """終結, as a termination meeting judged it. Follow-up needs stay in coordination."""

    name = "CaseTerminated"

    meeting_id: str


@register
class CaseSuspended(_CaseMoved):
    """中断: all contact lost, as a suspension meeting decided after the recorded attempts."""

    name = "CaseSuspended"

    meeting_id: str


@register
class CaseReopened(_CaseMoved):
    """A terminated or suspended case starts a new plan cycle."""

    name = "CaseReopened"

    cycle: int


@register
class CaseAssigned(Event):
    """A lead coordinator (担当の包括化推進員) was assigned to the case, or it was reassigned."""

    name = "CaseAssigned"
    producer = "coordination"

    case_id: str
    tenant_id: str
    coordinator: str  # the staff member's subject: not the person's data
    assigned_at: datetime

    def aggregate_id(self) -> str:
        return self.case_id


@register
class MonitoringOverdue(Event):
    """A planned monitoring date passed without a monitoring record (sent once per plan and date)."""

    name = "MonitoringOverdue"
    producer = "coordination"

    case_id: str
    plan_id: str
    tenant_id: str
    due_on: date
    noticed_at: datetime

    def aggregate_id(self) -> str:
        return self.case_id


# --- 関係機関: the organisations taking part in a case; coordination's, keyed by the case -----------


class _CasePartyEvent(Event):
    producer = "coordination"

    case_id: str
    tenant_id: str
    party_id: str
    organisation_id: str
    role: str
    from_on: date
    to_on: date | None

    def aggregate_id(self) -> str:
        return self.case_id


@register
class CasePartyAdded(_CasePartyEvent):
    """An organisation takes part in the case (the referring window at opening, the organisations of
    a confirmed plan's items, or one the coordinator added). It sees the case; the person only on a
    legal basis (consent, support meeting or emergency), which this event does not carry."""

    name = "CasePartyAdded"

    added_at: datetime


@register
class CasePartyChanged(_CasePartyEvent):
    """An organisation's part changed: its role, or the day it ends (`to_on`)."""

    name = "CasePartyChanged"

    changed_at: datetime


@register
class EmergencySharingRecorded(Event):
    """The person's data was given to an organisation without consent, to protect life or body (APPI
    Art. 27(1)(ii)); reported to the municipality, which acknowledges it. The reason stays in
    coordination (it speaks of the person)."""

    name = "EmergencySharingRecorded"
    producer = "coordination"

    case_id: str
    tenant_id: str
    sharing_id: str
    organisation_id: str
    decided_at: datetime
    until: date
    recorded_at: datetime

    def aggregate_id(self) -> str:
        return self.case_id


# --- outreach (アウトリーチ) tells coordination: contact lost, contact found again; keyed by the case --

ContactMethod = Literal["visit", "phone", "letter", "neighbours", "agencies"]


class ContactAttempt(_Part):
    """One try to reach the person that did not reach them (接触の試み).

    `outcome` is a short free text (「不在、郵便物がたまっている」): it may speak of the person, so it
    travels on the internal bus only and webhooks never carry it."""

    attempt_id: str = Field(
        min_length=1,
        max_length=100,
        description="Outreach's own id of the attempt: the same in every report that lists it, so a "
        "receiver records the attempt once.",
    )
    attempted_on: date = Field(description="The day of the attempt.")
    method: ContactMethod = Field(
        description="How: visit 訪問 (nobody answered, or the person would not open), phone 電話, "
        "letter 手紙・置き手紙, neighbours 近隣・民生委員に様子を尋ねた, agencies 関係機関に尋ねた."
    )
    outcome: str | None = Field(
        default=None,
        max_length=200,
        description="What came of it, in a few words. Internal bus only: webhooks never carry it.",
    )


class _ContactEvent(Event):
    producer = "outreach"

    case_id: str = Field(description="Coordination's case, as PlanConfirmed named it.")
    item_id: str = Field(
        description="The outreach item of the confirmed plan (PlanConfirmed.items[].item_id)."
    )
    tenant_id: str = Field(description="The municipality (6-digit local government code).")
    organisation_id: str = Field(description="The outreach operator responsible for the item.")
    report_id: str = Field(description="Outreach's id of this report: a re-publication carries the same one.")
    reported_at: datetime = Field(description="When outreach recorded the report.")

    def aggregate_id(self) -> str:
        # Keyed by the case: it travels in order with the case's own events.
        return self.case_id


@register
class ContactLost(_ContactEvent):
    """Outreach lost all contact with the person on an outreach item of a confirmed plan.

    本人と完全に連絡が取れなくなった: the attempts it lists are what a suspension (中断) is proposed
    on; coordination records each as a progress note. Ids and dates only, no names or addresses;
    each attempt's `outcome` is free text for the internal bus, which webhooks never carry."""

    name = "ContactLost"

    attempts: list[ContactAttempt] = Field(
        min_length=1, max_length=200, description="The attempts made to reach the person."
    )
    last_contact_on: date | None = Field(
        description="The day the person was last reached; null if outreach never reached them."
    )


@register
class ContactResumed(_ContactEvent):
    """Outreach reached the person again after a ContactLost.

    再び連絡が取れた: the attempts before that day no longer show the person out of reach. Ids and
    the date only."""

    name = "ContactResumed"

    reached_on: date = Field(description="The day the person was reached again.")
