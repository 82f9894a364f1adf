"""Participation's tables live under this metadata only."""

from sqlalchemy.orm import DeclarativeBase

from shared.db import service_metadata
from shared.messaging.tables import MessagingTables

metadata = service_metadata()
messaging = MessagingTables.define(metadata)


class Base(DeclarativeBase):
    metadata = metadata
