"""社会資源: windows, programs and hosts (HSDS "service"), their operators (HSDS "organization"),
the areas they cover, their edit history, and the search postings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.directory.db import Base
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned

# Keys compared byte by byte on both databases (SQLite compares text so; PostgreSQL's "C" collation
# does), whatever collation a PostgreSQL database was created with.
SortKeyText = Text().with_variant(Text(collation="C"), "postgresql")


class Organisation(TenantScoped, Base):
    """実施機関: the municipality (直営) or a commissioned operator (委託)."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # '<tenant>-<key>', the tokens' `org`
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Resource(Versioned, TenantScoped, Base):
    __tablename__ = "resources"
    __table_args__ = (
        Index("ix_resources_tenant_status_name", "tenant_id", "status", "name_kana"),
        Index("ix_resources_search_name", "tenant_id", "search_name"),
    )

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    # The column keeps its first name (renaming it would break a replica of the previous release
    # still running on the same schema during a rolling upgrade); Python and the API say organisation.
    organisation_id: Mapped[str | None] = mapped_column(
        "organization_id", ForeignKey("organizations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    field: Mapped[str] = mapped_column(String(20), index=True)
    legal_item: Mapped[str | None] = mapped_column(String(10), index=True)
    operation: Mapped[str | None] = mapped_column(String(20))
    responsible_section: Mapped[str | None] = mapped_column(String(100))
    program: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(300))
    schedules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accepts: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # active | retired
    # The folded text search confirms a match on (`postings.EntryText`: NFKC, kana folded, lower case,
    # no spaces): the name, the reading, and the other text, its parts joined by newlines.
    search_name: Mapped[str] = mapped_column(Text)
    search_reading: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    # The reading as `postings.sort_key` writes it: where the entry stands within a rank.
    sort_key: Mapped[str] = mapped_column(SortKeyText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class ResourcePosting(Base):
    """One character or pair of characters of an active entry's folded text, under the best part it
    reaches there (`postings.Part`: exact name, name prefix, name or reading, other text). Keyed so
    that one rank of a one- or two-character query is one index range in result order; finds one-
    and two-character words (介護, B型) that trigram indexes (pg_trgm, FTS5 trigram) cannot, the same
    way on PostgreSQL and SQLite. Written in the transaction that writes the entry."""

    __tablename__ = "resource_postings"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "gram", "part", "sort_key", "resource_id"),
        Index("ix_resource_postings_resource", "resource_id"),
        {"sqlite_with_rowid": False},
    )

    tenant_id: Mapped[str] = mapped_column(String(6))
    gram: Mapped[str] = mapped_column(String(2))
    part: Mapped[int] = mapped_column(SmallInteger)
    sort_key: Mapped[str] = mapped_column(SortKeyText)
    # As the entry's own id, so that joining the two is a lookup of the entry's primary key.
    resource_id: Mapped[str] = mapped_column(String(120))


class ResourceArea(Base):
    """圏域: an area a resource covers, normalised for lookup."""

    __tablename__ = "resource_areas"
    __table_args__ = (
        PrimaryKeyConstraint("resource_id", "name"),
        Index("ix_resource_areas_lookup", "tenant_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6))
    resource_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))


class ResourceOpening(Base):
    """One rule of an active resource's schedules (see `schedules.openings`): what "open now" and
    "open on a day" filter on, with an index on the weekday and the day of the month."""

    __tablename__ = "resource_openings"
    __table_args__ = (
        Index("ix_resource_openings_weekday", "tenant_id", "weekday"),
        Index("ix_resource_openings_month_day", "tenant_id", "month_day"),
        Index("ix_resource_openings_resource", "resource_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    resource_id: Mapped[str] = mapped_column(String(120))
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    nth: Mapped[int | None] = mapped_column(SmallInteger)
    month_day: Mapped[int | None] = mapped_column(SmallInteger)
    opens_at: Mapped[str | None] = mapped_column(String(5))
    closes_at: Mapped[str | None] = mapped_column(String(5))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    closed_on_holidays: Mapped[bool] = mapped_column(Boolean)


class ResourceVersion(Base):
    """Edit history: every version of a resource as it was, who changed it and when."""

    __tablename__ = "resource_versions"
    __table_args__ = (PrimaryKeyConstraint("resource_id", "version"),)

    resource_id: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    change: Mapped[str] = mapped_column(String(20))  # published | updated | retired
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
