"""Who may do what in coordination, and how far they see. The one place coordination decides access.

Cases: the coordinators (包括化推進員) and the municipality see their municipality's cases; the
organisations taking part in a case see that case, with fewer fields. Support-meeting (支援会議)
records: only the meeting's member organisations, the municipality included only as a member; their
material only to member persons who accepted the duty of confidentiality (support_meetings/rules.py).
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

_PLAN_MEETING_READERS = {
    R.coordinator: TENANT,
    R.municipal_officer: TENANT,
    R.window_staff: MEMBER,
    R.outreach_worker: MEMBER,
    R.participation_worker: MEMBER,
    R.integration: MEMBER,
}

POLICY: Policy = {
    "getCase": Rule("case", "read", _CASE_READERS),
    "listCases": Rule("case", "list", _CASE_READERS),
    "declineCase": Rule("case", "update", {R.coordinator: TENANT}),
    "returnCase": Rule("case", "update", {R.coordinator: TENANT}),
    # アセスメント: the coordinator's; read by the coordinators and the municipality only (it holds the
    # person's situation, risks and words in full).
    "recordAssessment": Rule("assessment", "create", {R.coordinator: TENANT}),
    "listAssessments": Rule("assessment", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    # モニタリング: recorded by the coordinator; due lists for the coordinators and the municipality.
    "recordMonitoring": Rule("monitoring", "create", {R.coordinator: TENANT}),
    "listMonitoringRecords": Rule("monitoring", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    "listMonitoringDue": Rule("monitoring", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    # The timeline merges everything recorded about the case, the assessments included.
    "getCaseTimeline": Rule("case", "read", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    # 担当: the coordinators assign the lead among themselves; the municipality may too.
    "assignCase": Rule("case", "update", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    "listCaseAssignments": Rule("case", "read", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    "getMyWorkList": Rule("case", "list", {R.coordinator: TENANT}),
    # 終結・中断 follow a plan meeting's decision, recorded by the coordinator; so does 再開.
    "terminateCase": Rule("case", "update", {R.coordinator: TENANT}),
    "suspendCase": Rule("case", "update", {R.coordinator: TENANT}),
    "reopenCase": Rule("case", "update", {R.coordinator: TENANT}),
    # 支援経過記録: the coordinator, and the outreach and participation workers on the cases they take
    # part in, record what happened; those who read the case read them.
    "recordProgressNote": Rule(
        "progress_note",
        "create",
        {R.coordinator: TENANT, R.outreach_worker: PARTY, R.participation_worker: PARTY},
    ),
    "listProgressNotes": Rule("progress_note", "list", _CASE_READERS),
    # 関係機関: the coordinator records who takes part; those who read the case see who else does
    # (the sharing basis of each only for tenant readers). Emergency sharing (APPI Art. 27(1)(ii)) is
    # decided by a coordinator or the municipality and reported to the municipality, which alone
    # acknowledges it. The record of disclosures (APPI Art. 29) is the controller's: tenant readers.
    "addCaseParty": Rule("case_party", "create", {R.coordinator: TENANT}),
    "listCaseParties": Rule("case_party", "list", _CASE_READERS),
    "changeCaseParty": Rule("case_party", "update", {R.coordinator: TENANT}),
    "recordEmergencySharing": Rule(
        "emergency_sharing", "create", {R.coordinator: TENANT, R.municipal_officer: TENANT}
    ),
    "listEmergencySharings": Rule(
        "emergency_sharing", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}
    ),
    "acknowledgeEmergencySharing": Rule("emergency_sharing", "update", {R.municipal_officer: TENANT}),
    "listDisclosures": Rule("disclosure", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}),
    # The municipality convenes the support meeting (Art. 106-6) and is always among its members.
    "conveneSupportMeeting": Rule("support_meeting", "create", {R.municipal_officer: MEMBER}),
    "getSupportMeeting": Rule("support_meeting", "read", _MEETING_MEMBERS),
    "listSupportMeetings": Rule("support_meeting", "list", _MEETING_MEMBERS),
    # Each member person accepts the statutory duty of confidentiality before the material is shown.
    "acceptSupportMeetingConfidentiality": Rule("support_meeting", "create", _MEETING_MEMBERS),
    # That a support meeting preceded a case (ids only): the tenant's case readers, not the parties.
    "listSupportMeetingLinksOfCase": Rule(
        "support_meeting", "list", {R.coordinator: TENANT, R.municipal_officer: TENANT}
    ),
    # 支援プラン: the coordinator drafts and records the meeting's approval; the municipal officer alone
    # records the support decision (支援決定) and acknowledges a reported plan. Those taking part in
    # the case read its plans.
    "draftPlan": Rule("support_plan", "create", {R.coordinator: TENANT}),
    "listPlansOfCase": Rule("support_plan", "list", _CASE_READERS),
    "getPlan": Rule("support_plan", "read", _CASE_READERS),
    "revisePlan": Rule("support_plan", "update", {R.coordinator: TENANT}),
    "approvePlan": Rule("support_plan", "update", {R.coordinator: TENANT}),
    "decideSupport": Rule("support_plan", "update", {R.municipal_officer: TENANT}),
    "acknowledgePlanReport": Rule("support_plan", "update", {R.municipal_officer: TENANT}),
    # 重層的支援会議: convened by the collaboration operator (the coordinators), the municipality a member
    # of every one; the other members' organisations read its record.
    "recordPlanMeeting": Rule("plan_meeting", "create", {R.coordinator: TENANT}),
    "getPlanMeeting": Rule("plan_meeting", "read", _PLAN_MEETING_READERS),
    # 年度の実績: counts only, no personal data; the municipality reports them.
    "getCoordinationFigures": Rule(
        "figures", "read", {R.coordinator: TENANT, R.municipal_officer: TENANT}, personal_data=False
    ),
    **audit_rules("coordination"),
}

authorize = Authorizer("coordination", POLICY)
CoordinationAccess = Annotated[Access, Depends(authorize)]
