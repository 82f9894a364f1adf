"""Who may call which operation, and how far they see: one table per service.

A `Rule` names, per role, the reach of its access. Roles not named are refused (403). The reach is
applied to every query of the request by `shared.auth.scope`, so a view cannot forget it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote

from fastapi import Request
from fastapi.routing import APIRoute

from shared.auth.roles import Role
from shared.auth.tokens import Caller, TokenVerifier, Unauthenticated
from shared.errors import DomainError, Text


class Reach(StrEnum):
    tenant = "tenant"  # everything of the caller's municipality
    organisation = "organisation"  # what the caller's organisation received or recorded
    party = "party"  # records naming the caller's organisation as a party (a case's plan)
    member = "member"  # records of meetings the caller's organisation is a member of


# When a caller holds several roles, the widest reach wins.
_WIDTH = {Reach.tenant: 3, Reach.organisation: 2, Reach.party: 1, Reach.member: 1}


@dataclass(frozen=True)
class Rule:
    resource: str
    action: str  # read | list | create | update | export
    grants: Mapping[Role, Reach]
    personal_data: bool = True  # audited on every call


Policy = Mapping[str, Rule]  # by operationId


class Forbidden(DomainError):
    slug = "forbidden"
    status = 403
    title = Text("この操作を行う権限がありません。", "You are not allowed to do this.")


@dataclass(frozen=True)
class DataScope:
    """What the queries of one request may see."""

    tenant_id: str
    organisation_id: str
    reach: Reach


@dataclass(frozen=True)
class Access:
    """An authorised call: who, what operation, how far, and why (for the audit trail)."""

    service: str
    operation: str
    rule: Rule
    caller: Caller
    reach: Reach
    purpose: str | None
    request_id: str | None
    extra_roles: frozenset[Role] = field(default_factory=frozenset)

    @property
    def scope(self) -> DataScope:
        return DataScope(self.caller.tenant_id, self.caller.organisation_id, self.reach)

    def sees_whole_tenant(self) -> bool:
        return self.reach == Reach.tenant


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            Text("Authorization: Bearer <token> を付けてください。", "Send Authorization: Bearer <token>.")
        )
    return token.strip()


def authenticate(request: Request) -> Caller:
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    verifier: TokenVerifier = request.app.state.verifier
    caller = verifier.verify(bearer_token(request))
    request.state.caller = caller
    return caller


class Authorizer:
    """The dependency every route of a service carries: authenticate, then look the operation up."""

    def __init__(self, service: str, policy: Policy) -> None:
        self.service = service
        self.policy = policy

    async def __call__(self, request: Request) -> Access:
        # async: FastAPI would run a plain function in its threadpool, a thread hop per request.
        cached = getattr(request.state, "access", None)
        if isinstance(cached, Access):
            return cached
        route = request.scope.get("route")
        operation = route.operation_id if isinstance(route, APIRoute) else None
        rule = self.policy.get(operation or "")
        if rule is None:
            # build_app refuses routes without rules; reaching this is a wiring bug, so fail closed.
            raise Forbidden()
        request.state.audit_target = (self.service, rule)
        caller = authenticate(request)
        reaches = [rule.grants[role] for role in caller.roles if role in rule.grants]
        if not reaches:
            held = ", ".join(caller.roles_text())
            raise Forbidden(
                Text(
                    f"ロール {held or '（なし）'} には {operation} が許可されていません。",
                    f"Roles {held or '(none)'} may not call {operation}.",
                )
            )
        # Headers are ASCII: a purpose in Japanese arrives percent-encoded (UTF-8).
        raw_purpose = request.headers.get("x-access-purpose")
        purpose = unquote(raw_purpose) if raw_purpose else None
        access = Access(
            service=self.service,
            operation=operation or "",
            rule=rule,
            caller=caller,
            reach=max(reaches, key=lambda r: _WIDTH[r]),
            purpose=purpose[:400] if purpose else None,
            request_id=getattr(request.state, "request_id", None) or request.headers.get("x-request-id"),
        )
        request.state.access = access
        return access


def uncovered_operations(policy: Policy, routes: list[APIRoute]) -> list[str]:
    """Routes the policy says nothing about: an app with any refuses to start."""
    return sorted(
        f"{r.operation_id or r.name} {sorted(r.methods or ())} {r.path}"
        for r in routes
        if r.operation_id not in policy
    )
