"""The organisations coordination knows, from the resource directory's events (no personal data).

A support meeting's members must be organisations of the municipality that the directory lists
(as the operator of one of its entries), so a typo or another municipality's id is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from services.coordination.db import Base
from shared.db import UTCDateTime


class KnownOrganisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the tokens' `org`
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # The directory's kind of operator: "municipality" is the town or city itself (直営), a member
    # of every plan meeting (重層的支援会議). None until an event says.
    kind: Mapped[str | None] = mapped_column(String(40))
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)
