"""Reliable messaging: outbox (producer side), relay, inbox and dead letters (consumer side)."""
