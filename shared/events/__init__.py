"""Events: the CloudEvents envelope, the registry of versioned models, and the catalogue."""

from shared.events.envelope import CloudEvent
from shared.events.registry import Event, dead_letter_topic, decode, register, topic_for

__all__ = ["CloudEvent", "Event", "dead_letter_topic", "decode", "register", "topic_for"]
