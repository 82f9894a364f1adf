"""Coordination's tables live under this metadata only."""

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase

from shared.audit import define_audit_table
from shared.db import service_metadata
from shared.idempotency import define_idempotency_table
from shared.messaging.tables import MessagingTables

metadata = service_metadata()
messaging = MessagingTables.define(metadata)
audit_log = define_audit_table(metadata)
idempotency_keys = define_idempotency_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata

    if TYPE_CHECKING:  # every model here declares its columns: its __table__ is a Table
        __table__: ClassVar[Table]
