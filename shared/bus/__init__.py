"""The event bus: one interface, an in-process backend (embedded) and a Kafka backend (distributed)."""

from shared.bus.base import Bus, Delivery, Message
from shared.bus.memory import InProcessBus

__all__ = ["Bus", "Delivery", "InProcessBus", "Message"]
