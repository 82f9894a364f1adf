"""What the servers' logs may say, and how they say it.

Query strings carry what people type — a resident's address (`districts/lookup?address=…`), a name
searched for — so access logs keep the parameter names and drop their values; the audit trail, not
the access log, records who looked at what. Every record names the request id and the trace and span
it was made in (`install_log_context`); `configure_logging` writes them as JSON lines or as text
(LOG_FORMAT)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from shared.observability import tracing

if TYPE_CHECKING:
    from shared.settings import Settings

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


# --- what every record carries: the request id and the trace ------------------------------------

# Set by the RequestId middleware (shared/http.py) for the request's task; None outside a request.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

CONTEXT_FIELDS = ("request_id", "trace_id", "span_id")


def _with_context(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = request_id_var.get()
        ids = tracing.current_ids()
        record.trace_id, record.span_id = ids if ids is not None else (None, None)
        return record

    make_record.jusou_context = True  # type: ignore[attr-defined]
    return make_record


def install_log_context() -> None:
    """Idempotent: every record made from now on names the request and the span it was made in.

    A record factory rather than a handler's filter, so that the ids are those of the moment the
    record is made (uvicorn's access line is made inside the request) whichever handler writes it."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "jusou_context", False):
        logging.setLogRecordFactory(_with_context(current))


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, trace_id, span_id, and for
    access lines http_method, http_path (query values redacted), http_status."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            reserved_attrs=[*RESERVED_ATTRS, "color_message", "taskName"],
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for name in CONTEXT_FIELDS:
            log_data.setdefault(name, getattr(record, name, None))
        args = record.args
        if record.name == ACCESS_LOGGER and isinstance(args, tuple) and len(args) >= 5:
            # (client, method, path with query, http version, status); the path is redacted by then.
            log_data["http_method"], log_data["http_path"], log_data["http_status"] = (
                args[1],
                args[2],
                args[4],
            )


class TextLogFormatter(logging.Formatter):
    """Readable lines, with the request and trace ids at the end when there are any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        trace_id = getattr(record, "trace_id", None)
        if request_id:
            line += f" request_id={request_id}"
        if trace_id:
            line += f" trace_id={trace_id}"
        return line


def configure_logging(settings: Settings) -> None:
    """At start-up (after uvicorn configured its loggers): JSON or text lines with the ids.

    The root logger gets a handler if it has none (a test runner's stays as it is); uvicorn's own
    handlers get this formatter instead of uvicorn's (a `--log-config` of the operator's is kept)."""
    install_log_context()
    formatter: logging.Formatter = JsonLogFormatter() if settings.logs_as_json else TextLogFormatter()
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        root.addHandler(stream)
        root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", ACCESS_LOGGER):
        for handler in logging.getLogger(name).handlers:
            if handler.formatter is None or type(handler.formatter).__module__.startswith("uvicorn"):
                handler.setFormatter(formatter)
