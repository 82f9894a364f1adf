"""Who may do what in coordination, and how far they see. The one place coordination decides access.

Cases: the coordinators (包括化推進員) and the municipality see their municipality's cases; the
organisations taking part in a case see that case, with fewer fields. Support-meeting (支援会議)
records: only the meeting's member organisations, the municipality included only as a member.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth.audit_api import audit_rules
from shared.auth.policy import Access, Authorizer, Policy, Reach, Rule
from shared.auth.roles import Role

R = Role
PARTY = Reach.party
TENANT = Reach.tenant
MEMBER = Reach.member

_CASE_READERS = {
    R.coordinator: TENANT,
    R.municipal_officer: TENANT,
    R.window_staff: PARTY,
    R.outreach_worker: PARTY,
    R.participation_worker: PARTY,
    R.integration: PARTY,
}
_MEETING_MEMBERS = {
    R.municipal_officer: MEMBER,
    R.coordinator: MEMBER,
    R.window_staff: MEMBER,
    R.outreach_worker: MEMBER,
    R.participation_worker: MEMBER,
}

POLICY: Policy = {
    "getCase": Rule("case", "read", _CASE_READERS),
    "listCases": Rule("case", "list", _CASE_READERS),
    "declineCase": Rule("case", "update", {R.coordinator: TENANT}),
    "returnCase": Rule("case", "update", {R.coordinator: TENANT}),
    # The municipality convenes the support meeting (Art. 106-6) and is always among its members.
    "conveneSupportMeeting": Rule("support_meeting", "create", {R.municipal_officer: MEMBER}),
    "getSupportMeeting": Rule("support_meeting", "read", _MEETING_MEMBERS),
    "listSupportMeetings": Rule("support_meeting", "list", _MEETING_MEMBERS),
    **audit_rules("coordination"),
}

authorize = Authorizer("coordination", POLICY)
CoordinationAccess = Annotated[Access, Depends(authorize)]
