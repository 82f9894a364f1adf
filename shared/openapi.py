"""The OpenAPI document as a partner generates a client from it: what the server really sends.

FastAPI declares errors as `application/json` `HTTPValidationError`; the services send RFC 9457
`application/problem+json` for every 4xx and 5xx. This rewrites the generated document so that each
operation lists the problems it can answer with (and only problem+json), and declares the headers
the safe-write contract reads: `Idempotency-Key` on creates, `If-Match` on updates of shared
records, `Accept-Language` and `X-Access-Purpose` everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; title and detail in Japanese or English (Accept-Language).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [f"{PROBLEM_BASE}validation-error"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "examples": ["person.birth_date"]},
                    "code": {"type": "string", "examples": ["missing"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_WHY: dict[str, str] = {
    "400": "Malformed body: not JSON, or not UTF-8 (the problem names `body`).",
    "401": "No bearer token, or one that does not verify.",
    "403": "The caller's role may not do this.",
    "404": "Not found, or beyond the caller's reach (its existence is not revealed).",
    "409": "A conflict: the state does not allow it, or the same Idempotency-Key is still in flight.",
    "412": "If-Match is stale: someone changed the record since it was read.",
    "413": "The body is larger than the limit.",
    "422": "Invalid input; `errors[].field` names each offending field.",
    "428": "If-Match is required for this update.",
    "429": "Too many requests; see Retry-After.",
    "500": "Internal error; report the request_id.",
}

_HEADERS: dict[str, dict[str, Any]] = {
    "Accept-Language": {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "description": "ja (default) or en: the language of problem titles and details.",
        "schema": {"type": "string", "examples": ["ja", "en"]},
    },
    "X-Access-Purpose": {
        "name": "X-Access-Purpose",
        "in": "header",
        "required": False,
        "description": "Why personal data is read or changed (percent-encoded UTF-8), for the audit trail.",
        "schema": {"type": "string", "maxLength": 400},
    },
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A retry with the same key and body returns the first response (Idempotent-Replayed).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The ETag read; required (428 without, 412 when stale).",
        "schema": {"type": "string", "examples": ['"0b9e2c4e-7d1a-4f3e-9a51-2c8d6f0e1b23.v1"']},
    },
}

_OPEN = {"healthz", "readyz", "metrics"}


def install(app: FastAPI, actions: Mapping[str, str]) -> None:
    """Replace the app's OpenAPI generator by one that documents the problems and headers.

    `actions` gives each operation's kind from its access rule (create, update, read…): the unit of
    work reads the same rule to apply Idempotency-Key and If-Match, so the document cannot differ."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = document(spec, actions)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(spec: dict[str, Any], actions: Mapping[str, str]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    for schema in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(schema, None)
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            _document_operation(method, operation, actions.get(str(operation.get("operationId", ""))))
    return spec


def _document_operation(method: str, operation: dict[str, Any], action: str | None) -> None:
    name = str(operation.get("operationId", ""))
    if any(name.startswith(open_) for open_ in _OPEN):
        return
    responses: dict[str, Any] = operation.setdefault("responses", {})
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    errors = _problem_statuses(method, operation, parameters, action) | {s for s in responses if s[0] in "45"}
    for status in sorted(errors):
        existing = responses.get(status, {})
        responses[status] = {
            "description": existing.get("description") or _WHY.get(status, "A problem."),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    headers = ["Accept-Language", "X-Access-Purpose"]
    headers += {"create": ["Idempotency-Key"], "update": ["If-Match"]}.get(action or "", [])
    present = {(p.get("in"), str(p.get("name", "")).lower()) for p in parameters}
    for header in headers:
        if ("header", header.lower()) not in present:
            parameters.append(dict(_HEADERS[header]))


def _problem_statuses(
    method: str, operation: dict[str, Any], parameters: list[dict[str, Any]], action: str | None
) -> set[str]:
    kinds = {p.get("in") for p in parameters}
    statuses = {"401", "403", "429", "500"}
    if "requestBody" in operation:
        statuses |= {"400", "413", "422"}
    if "path" in kinds:
        statuses.add("404")
    if "query" in kinds:
        statuses.add("422")
    if method in ("post", "put", "delete"):
        statuses.add("409")
    if action == "update":
        statuses |= {"412", "428"}
    return statuses
