"""Versioned event models: producers and consumers validate against the same classes.

An incompatible change is a new class with a new version, never an edit of an old one.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from shared.events.envelope import SOURCE_PREFIX, CloudEvent
from shared.observability import tracing

TYPE_PREFIX = "jp.jusou."


# Validation context of a reader: see StrictWriter.
TOLERANT = {"tolerant_reader": True}


class StrictWriter(BaseModel):
    """Tolerant reader, strict writer (services are deployed one at a time): a reader validates
    with `context=TOLERANT` and fields this version does not know yet (an optional field a newer
    producer added) are ignored; any other validation (a producer building the event) refuses a
    name the model does not declare, so producers emit exactly the declared schema. Personal data
    never comes as such a field: a change that adds personal data is a new event version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _declared_fields_only(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and not (info.context or {}).get("tolerant_reader"):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                raise ValueError(f"{cls.__name__} declares no field {', '.join(unknown)}")
        return data


class Event(StrictWriter):
    """Base of every domain event. Subclasses set the ClassVars and declare `data` fields."""

    name: ClassVar[str]  # past-tense fact, e.g. "CaseReferred"
    version: ClassVar[int] = 1
    producer: ClassVar[str]  # the service that owns the fact, e.g. "intake"

    @classmethod
    def cloudevent_type(cls) -> str:
        return f"{TYPE_PREFIX}{cls.producer}.{cls.name}.v{cls.version}"

    @classmethod
    def topic(cls) -> str:
        return topic_for(cls.producer, cls.version)

    def aggregate_id(self) -> str:
        """The key that keeps one aggregate's events in order (usually the case or referral id)."""
        raise NotImplementedError

    def partition_key(self) -> str:
        """What orders this event among others: events about one consultation (or one case) share it.

        Kafka keeps order only within a partition, so events that must not overtake each other
        (a referral and the withdrawal of its consent) need the same key, whatever aggregate they
        are about. Defaults to the aggregate id.
        """
        return self.aggregate_id()

    def tenant(self) -> str | None:
        value = getattr(self, "tenant_id", None)
        return str(value) if value is not None else None

    def to_cloudevent(self) -> CloudEvent:
        """The envelope, carrying the current trace context (`traceparent`, `tracestate`): staged in a
        request, the request's; in a handler, the trace of the event it handles."""
        trace_context = tracing.outgoing()
        return CloudEvent(
            source=f"{SOURCE_PREFIX}{self.producer}",
            type=self.cloudevent_type(),
            subject=self.aggregate_id(),
            dataschema=f"{SOURCE_PREFIX}schemas/{self.cloudevent_type()}",
            tenantid=self.tenant(),
            partitionkey=self.partition_key(),
            data=self.model_dump(mode="json"),
            traceparent=trace_context.get("traceparent"),
            tracestate=trace_context.get("tracestate"),
        )


def topic_for(producer: str, version: int = 1) -> str:
    return f"{producer}.events.v{version}"


def dead_letter_topic(consumer: str) -> str:
    return f"{consumer}.deadletter.v1"


class UnknownEventType(LookupError):
    pass


_REGISTRY: dict[str, type[Event]] = {}

E = TypeVar("E", bound=type[Event])


def register(cls: E) -> E:
    key = cls.cloudevent_type()
    existing = _REGISTRY.get(key)
    if existing is not None and existing is not cls:
        raise RuntimeError(f"event type {key} registered twice")
    _REGISTRY[key] = cls
    return cls


def model_for(cloudevent_type: str) -> type[Event]:
    try:
        return _REGISTRY[cloudevent_type]
    except KeyError:
        raise UnknownEventType(cloudevent_type) from None


def decode(envelope: CloudEvent) -> Event:
    """Validate an envelope's data against its registered model (raises on unknown or invalid)."""
    return model_for(envelope.type).model_validate(envelope.data, context=TOLERANT)


def registered() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


def asyncapi_document() -> dict[str, Any]:
    """The event catalogue as an AsyncAPI 3.0 document, generated from the models themselves."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for type_name, cls in sorted(_REGISTRY.items()):
        message_name = f"{cls.name}V{cls.version}"
        messages[message_name] = {
            "name": cls.name,
            "title": f"{cls.name} v{cls.version}",
            "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            "contentType": "application/json",
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
            "headers": {
                "type": "object",
                "properties": {"ce_type": {"const": type_name}, "ce_specversion": {"const": "1.0"}},
            },
            # A nested model is defined in the payload's own $defs, and referred to there: two events
            # may each have a model of the same name with other fields.
            "payload": cls.model_json_schema(
                ref_template=f"#/components/messages/{message_name}/payload/$defs/{{model}}"
            ),
        }
        channel = channels.setdefault(
            cls.topic(), {"address": cls.topic(), "messages": {}, "description": f"events of {cls.producer}"}
        )
        channel["messages"][message_name] = {"$ref": f"#/components/messages/{message_name}"}
        operations[f"publish{message_name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cls.topic()}"},
            "messages": [{"$ref": f"#/channels/{cls.topic()}/messages/{message_name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "重層的支援体制 event catalogue", "version": "1"},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
