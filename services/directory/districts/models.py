"""地区・学区の台帳: a municipality's districts (中学校区, 小学校区, 地区・地域) and the table of which
town (町名・大字・字, or some of its 丁目) lies in which of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from services.directory.db import Base
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime


class Gazetteer(TenantScoped, Base):
    """One per municipality that has one: the version its ETag is made of, who changed it last."""

    __tablename__ = "gazetteers"

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    municipality: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class District(TenantScoped, Base):
    __tablename__ = "districts"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "key"),)

    tenant_id: Mapped[str] = mapped_column(String(6))
    # The name folded as search folds area names: what resources' areas are matched with.
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    reading: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class DistrictAddress(TenantScoped, Base):
    """A line of the address table; an address is looked up by the folded town (`town_key`)."""

    __tablename__ = "district_addresses"
    __table_args__ = (Index("ix_district_addresses_town", "tenant_id", "town_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    town: Mapped[str] = mapped_column(String(100))
    town_key: Mapped[str] = mapped_column(String(100))
    chome_from: Mapped[int | None] = mapped_column(SmallInteger)
    chome_to: Mapped[int | None] = mapped_column(SmallInteger)
    partial: Mapped[bool] = mapped_column(Boolean)
    district_key: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
