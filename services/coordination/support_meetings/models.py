"""支援会議 (Social Welfare Act Art. 106-6): the confidential meeting on people not yet consenting.

A record concerns one person and names its own members (membership changes per case): the member
organisations, and the persons attending for them, each known by their token's subject. Each member
person accepts the statutory duty of confidentiality (Art. 106-6 para 5) before any of the material
is shown to them; the acceptances are their own append-only rows, one per meeting and subject.

A later consented case refers back to the record it grew out of (`SupportMeetingCaseLink`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned


class SupportMeeting(Versioned, TenantScoped, Base):
    __tablename__ = "support_meetings"
    # The fiscal-year figures count by held_on; the list pages newest first by (held_on, id).
    __table_args__ = (Index("ix_support_meetings_tenant_held", "tenant_id", "held_on", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    convened_by: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date)
    # Member organisations, bound by the statutory duty of confidentiality.
    members: Mapped[list[str]] = mapped_column(JSON)
    member_index: Mapped[str] = mapped_column(String(4000))
    # The persons attending for them: organisation_id, name, role, subject (None: a record made
    # before member persons were kept; any staff of a member organisation may then accept).
    member_persons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    concerning: Mapped[str] = mapped_column(Text)  # who the meeting is worried about
    # The person's consultation, when a window has one (needed to record a tax consent of theirs).
    consultation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    discussion: Mapped[str | None] = mapped_column(Text)
    # Records of the meeting (lists of entries; None on records made before they were kept).
    information_shared: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    watching: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    direction: Mapped[str | None] = mapped_column(Text)  # the agreed support direction
    emergency_responses: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    tax_information: Mapped[str | None] = mapped_column(Text)
    tax_consent_id: Mapped[str | None] = mapped_column(String(36))
    recorded_by: Mapped[str | None] = mapped_column(String(200))  # the recording officer's subject
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Only members see the material, whatever their role: no tenant-wide reading.
        if scope.reach == Reach.member:
            return cls.member_index.contains(f"|{scope.organisation_id}|", autoescape=True)
        return super().reach_criteria(scope)


class ConfidentialityAcceptance(TenantScoped, Base):
    """守秘義務の受諾: one member person accepted the duty for one meeting. Append-only: never
    updated nor deleted; the database holds one per meeting and subject."""

    __tablename__ = "support_meeting_acceptances"
    __table_args__ = (UniqueConstraint("meeting_id", "subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("support_meetings.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # True: the recording officer's, made with the record (recording the material is knowing it).
    on_recording: Mapped[bool] = mapped_column(Boolean)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Read only for a meeting already loaded within the caller's reach: the tenant is the bound.
        return None


class SupportMeetingCaseLink(TenantScoped, Base):
    """A consented case that grew out of a support meeting: the referral named the record.

    Kept as the referral said it, whether or not the record can be verified when it arrives; shown
    only joined with a record of the same municipality. No foreign key to the record for that reason.
    """

    __tablename__ = "support_meeting_case_links"
    __table_args__ = (UniqueConstraint("support_meeting_id", "case_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    support_meeting_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    referral_id: Mapped[str] = mapped_column(String(36))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Read only joined with the record (the meeting's reach applies) or for a case read at the
        # tenant's reach: the tenant is the bound here.
        return None
