"""What the servers' logs may say. Query strings carry what people type — a resident's address
(`districts/lookup?address=…`), a name searched for — so access logs keep the parameter names and
drop their values; the audit trail, not the access log, records who looked at what."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "…"


def redact_query(path: str) -> str:
    """'/x?address=柏寿台&limit=5' → '/x?address=…&limit=…'."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    return f"{base}?{'&'.join(f'{name}={REDACTED}' for name in names)}" if names else base


class RedactQueryStrings(logging.Filter):
    """For uvicorn's access records: (client, method, path with query, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def redact_access_logs() -> None:
    """Idempotent: every app built in the process installs it once on uvicorn's access logger."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
        logger.addFilter(RedactQueryStrings())
