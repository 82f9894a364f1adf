"""Intake's tables live under this metadata only: its own SQLite file or PostgreSQL schema."""

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
