"""Who may do what in intake, and how far they see. The one place intake decides access.

Consultations belong to the window's organisation that received them; the municipality (the
implementer of the program) sees its whole tenant. Coordinators see cases in coordination, with the
person's consent, not the windows' consultations.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth.audit_api import audit_rules
from shared.auth.policy import Access, Authorizer, Policy, Reach, Rule
from shared.auth.roles import Role

R = Role
ORG = Reach.organisation
TENANT = Reach.tenant

_WINDOW_SIDE = {R.window_staff: ORG, R.integration: ORG}
_WINDOW_SIDE_AND_MUNICIPALITY = {**_WINDOW_SIDE, R.municipal_officer: TENANT}

POLICY: Policy = {
    "listWindows": Rule(
        "window", "list", {role: TENANT for role in Role if role != R.auditor}, personal_data=False
    ),
    "recordConsultation": Rule("consultation", "create", _WINDOW_SIDE),
    "getConsultation": Rule("consultation", "read", _WINDOW_SIDE_AND_MUNICIPALITY),
    "listConsultations": Rule("consultation", "list", _WINDOW_SIDE_AND_MUNICIPALITY),
    "recordConsent": Rule("consent", "create", _WINDOW_SIDE),
    "listConsents": Rule("consent", "list", _WINDOW_SIDE_AND_MUNICIPALITY),
    "withdrawConsent": Rule("consent", "update", _WINDOW_SIDE_AND_MUNICIPALITY),
    "referToCollaboration": Rule("referral", "create", _WINDOW_SIDE),
    "listReferralsOfConsultation": Rule("referral", "list", _WINDOW_SIDE_AND_MUNICIPALITY),
    "getReferral": Rule("referral", "read", _WINDOW_SIDE_AND_MUNICIPALITY),
    # 年度の実績: counts only, no personal data; the municipality reports them.
    "getIntakeFigures": Rule("figures", "read", {R.municipal_officer: TENANT}, personal_data=False),
    **audit_rules("intake"),
}

authorize = Authorizer("intake", POLICY)
IntakeAccess = Annotated[Access, Depends(authorize)]
