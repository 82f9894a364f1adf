"""The CloudEvents 1.0 envelope, and its binary-mode mapping to Kafka headers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
SOURCE_PREFIX = "/jusou/"


class CloudEvent(BaseModel):
    """One event as it travels: context attributes plus JSON `data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: str = SPEC_VERSION
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    # Extension attribute: the municipality (6-digit local government code) the event belongs to.
    tenantid: str | None = None
    # CloudEvents Partitioning extension: the Kafka key. Everything about one consultation shares it,
    # so a consent withdrawal can never overtake the referral it withdraws (see Event.partition_key).
    partitionkey: str | None = None
    # CloudEvents distributed-tracing extension: the W3C trace context of the work that staged the
    # event (a window's request), so its consumer continues the same trace. Absent on envelopes
    # written before it, and never a reason to refuse one: a malformed value starts a new trace.
    traceparent: str | None = None
    tracestate: str | None = None
    data: dict[str, Any]

    def to_kafka(self) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        """Binary content mode: attributes as ce_* headers, data as the value, subject as the key."""
        headers: list[tuple[str, bytes]] = [("content-type", self.datacontenttype.encode())]
        for name in (
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "dataschema",
            "tenantid",
            "partitionkey",
            "traceparent",
            "tracestate",
        ):
            value = getattr(self, name)
            if value is not None:
                headers.append((f"ce_{name}", str(value).encode()))
        headers.append(("ce_time", self.time.isoformat().encode()))
        value_bytes = json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()
        return self.key().encode(), value_bytes, headers

    def key(self) -> str:
        """The Kafka key: the partition key where the producer set one, else the subject."""
        return self.partitionkey or self.subject

    @classmethod
    def from_kafka(
        cls, value: bytes | None, headers: list[tuple[str, bytes]] | tuple[Any, ...]
    ) -> CloudEvent:
        attrs: dict[str, Any] = {}
        for key, raw in headers:
            # Extension attributes this version does not know are ignored, as CloudEvents asks.
            if key.startswith("ce_") and key[3:] in cls.model_fields:
                attrs[key[3:]] = raw.decode()
            elif key == "content-type":
                attrs["datacontenttype"] = raw.decode()
        attrs["data"] = json.loads(value or b"{}")
        return cls.model_validate(attrs)

    def to_json(self) -> dict[str, Any]:
        """Structured mode, as stored in the outbox and the dead-letter records."""
        return self.model_dump(mode="json", exclude_none=True)
