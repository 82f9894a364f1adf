"""Who may call which operation, and how far they see: what the access matrix expects.

Written from the domain, not from the services' policy tables (services/*/access.py), which it is
there to check: the README's "Permission table" (intake, coordination, the audit trail), the README's
"The resource directory" (editing by `directory_editor` or a partner system with `integration`) and
../shared/docs/domain.md ("Who does the work"; the support meeting, Art. 106-6). A municipal officer
can check it row by row against those pages.

Reach (README, "Permission table"):
  TENANT  the whole municipality (市町村全体)
  ORG     what the caller's organisation received: its windows' consultations, consents, referrals
  PARTY   cases naming the caller's organisation as a party (the referring window's operator, …)
  MEMBER  support meetings (支援会議) the caller's organisation is a member of
  __      not granted: the call is refused with 403, whatever the object

Beyond the reach an object answers 404 (its existence is not revealed) or is absent from lists;
another municipality's objects are never visible.
"""

from __future__ import annotations

TENANT = "tenant"
ORG = "org"
PARTY = "party"
MEMBER = "member"
__ = None

# The columns, in the README's order (its "outreach / participation worker" column is two roles).
ROLES = (
    "window_staff",  # 相談窓口の職員 (a window's operator: the town or a commissioned organisation)
    "integration",  # a partner system, e.g. a social welfare council's (社協), acting for its org
    "coordinator",  # 包括化推進員: takes the complex cases of the municipality
    "municipal_officer",  # 市町村の所管課: the implementer; support decisions; convenes 支援会議
    "outreach_worker",  # アウトリーチ担当
    "participation_worker",  # 参加支援担当
    "directory_editor",  # 社会資源情報の管理者
    "auditor",  # reads the audit trail, nothing else
)

# fmt: off
GRANTS: dict[str, tuple[str | None, ...]] = {
    #                                   window  integr  coord   munic   outreach partic  direct. auditor
    #                                   _staff  -ation  -inator officer _worker  _worker _editor
    # --- intake: 包括的相談支援 (item 1), the windows that never refuse ---------------------------
    # Every window of the municipality is listed to everyone working in it (the auditor excepted).
    "listWindows":                     (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    # A window records what it heard, the person's consent, and the referral to collaboration.
    "recordConsultation":              (ORG,    ORG,    __,     __,     __,      __,     __,     __),
    "recordConsent":                   (ORG,    ORG,    __,     __,     __,      __,     __,     __),
    "referToCollaboration":            (ORG,    ORG,    __,     __,     __,      __,     __,     __),
    # The window reads its own; the municipality (the implementer) its whole tenant. Coordinators
    # see the case in coordination, with consent, not the window's consultation.
    "getConsultation":                 (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    "listConsultations":               (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    "listConsents":                    (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    "withdrawConsent":                 (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    "getReferral":                     (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    "getIntakeFigures":                (__,     __,     __,     TENANT, __,      __,     __,     __),
    "listReferralsOfConsultation":     (ORG,    ORG,    __,     TENANT, __,      __,     __,     __),
    # --- coordination: 多機関協働 (items 5, 6) ----------------------------------------------------
    # Coordinators and the municipality see every case; the organisations taking part see theirs.
    "getCase":                         (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    "listCases":                       (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    # Only the coordinator answers a referral.
    "declineCase":                     (__,     __,     TENANT, __,     __,      __,     __,     __),
    "returnCase":                      (__,     __,     TENANT, __,     __,      __,     __,     __),
    # 支援会議 (Art. 106-6): convened by the municipality, which is a member; its record is for the
    # members only (bound to confidentiality), the municipality included only as a member.
    "conveneSupportMeeting":           (__,     __,     __,     MEMBER, __,      __,     __,     __),
    "getSupportMeeting":               (MEMBER, __,     MEMBER, MEMBER, MEMBER,  MEMBER, __,     __),
    "listSupportMeetings":             (MEMBER, __,     MEMBER, MEMBER, MEMBER,  MEMBER, __,     __),
    # Each member person accepts the duty of confidentiality for themself, before seeing material.
    "acceptSupportMeetingConfidentiality": (MEMBER, __, MEMBER, MEMBER, MEMBER,  MEMBER, __,     __),
    # That a support meeting preceded a case (ids only): the coordinators and the municipality, not
    # the organisations taking part in the case.
    "listSupportMeetingLinksOfCase":   (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    # 年度の実績 (counts, no personal data): the municipality reports them; coordinators see theirs.
    "getCoordinationFigures":          (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    # モニタリング: recorded by the coordinator; what is due, for the coordinators and the municipality.
    "recordMonitoring":                (__,     __,     TENANT, __,     __,      __,     __,     __),
    "listMonitoringRecords":           (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "listMonitoringDue":               (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    # アセスメント and the timeline that includes it: the coordinators' and the municipality's only.
    "recordAssessment":                (__,     __,     TENANT, __,     __,      __,     __,     __),
    "listAssessments":                 (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "getCaseTimeline":                 (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    # 担当の包括化推進員: assigned by the coordinators among themselves, or by the municipality; the
    # work list is a coordinator's own.
    "assignCase":                      (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "listCaseAssignments":             (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "getMyWorkList":                   (__,     __,     TENANT, __,     __,      __,     __,     __),
    # 関係機関: the coordinator records who takes part and changes it; whoever reads the case sees who
    # else takes part. Emergency sharing (APPI Art. 27(1)(ii)) is decided by a coordinator or the
    # municipality, and acknowledged by the municipality alone, to which it is reported. The record of
    # disclosures (APPI Art. 29) is the municipality's and its coordinators'.
    "addCaseParty":                    (__,     __,     TENANT, __,     __,      __,     __,     __),
    "listCaseParties":                 (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    "changeCaseParty":                 (__,     __,     TENANT, __,     __,      __,     __,     __),
    "recordEmergencySharing":          (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "listEmergencySharings":           (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    "acknowledgeEmergencySharing":     (__,     __,     __,     TENANT, __,      __,     __,     __),
    "listDisclosures":                 (__,     __,     TENANT, TENANT, __,      __,     __,     __),
    # 終結・中断 after a plan meeting's decision, and 再開: recorded by the coordinator.
    "terminateCase":                   (__,     __,     TENANT, __,     __,      __,     __,     __),
    "suspendCase":                     (__,     __,     TENANT, __,     __,      __,     __,     __),
    "reopenCase":                      (__,     __,     TENANT, __,     __,      __,     __,     __),
    # 支援経過記録: the coordinator, and the outreach and participation workers of the organisations
    # taking part, record what happened; whoever reads the case reads its notes.
    "recordProgressNote":              (__,     __,     TENANT, __,     PARTY,   PARTY,  __,     __),
    "listProgressNotes":               (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    # 支援プラン (seed 003 §6-1(6)): the coordinator drafts, revises and records the plan meeting's
    # approval; the support decision (支援決定) and the acknowledgement of a reported plan are the
    # municipality's alone. The organisations taking part read the case's plans, as the case.
    "draftPlan":                       (__,     __,     TENANT, __,     __,      __,     __,     __),
    "listPlansOfCase":                 (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    "getPlan":                         (PARTY,  PARTY,  TENANT, TENANT, PARTY,   PARTY,  __,     __),
    "revisePlan":                      (__,     __,     TENANT, __,     __,      __,     __,     __),
    "approvePlan":                     (__,     __,     TENANT, __,     __,      __,     __,     __),
    "decideSupport":                   (__,     __,     __,     TENANT, __,      __,     __,     __),
    "acknowledgePlanReport":           (__,     __,     __,     TENANT, __,      __,     __,     __),
    # 重層的支援会議: convened by the collaboration operator (the coordinators); the municipality attends
    # every one and reads them all; other organisations read the meetings they were members of.
    "recordPlanMeeting":               (__,     __,     TENANT, __,     __,      __,     __,     __),
    "getPlanMeeting":                  (MEMBER, MEMBER, TENANT, TENANT, MEMBER,  MEMBER, __,     __),
    # --- directory: 地域づくり (item 3) as resources; not personal data ----------------------------
    # Everyone working in the municipality reads it (the auditor excepted, as for listWindows).
    "searchResources":                 (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "getResource":                     (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "getResourceHistory":              (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "listOrganisations":               (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "exportResourcesCsv":              (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "exportHsds":                      (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "listDistricts":                   (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    "lookupDistricts":                 (TENANT, TENANT, TENANT, TENANT, TENANT,  TENANT, TENANT, __),
    # Editors change it, and partner systems that keep their own entries.
    "publishResource":                 (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "updateResource":                  (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "retireResource":                  (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "recordOrganisation":              (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "importResourcesCsv":              (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "importHsds":                      (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    "replaceDistricts":                (__,     TENANT, __,     __,     __,      __,     TENANT, __),
    # --- the audit trail of every service: the auditor only, for its own municipality -------------
    "listIntakeAuditEntries":          (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "exportIntakeAuditEntries":        (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "verifyIntakeAuditChain":          (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "listCoordinationAuditEntries":    (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "exportCoordinationAuditEntries":  (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "verifyCoordinationAuditChain":    (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "listParticipationAuditEntries":   (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "exportParticipationAuditEntries": (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "verifyParticipationAuditChain":   (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "listOutreachAuditEntries":        (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "exportOutreachAuditEntries":      (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "verifyOutreachAuditChain":        (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "listDirectoryAuditEntries":       (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "exportDirectoryAuditEntries":     (__,     __,     __,     __,     __,      __,     __,     TENANT),
    "verifyDirectoryAuditChain":       (__,     __,     __,     __,     __,      __,     __,     TENANT),
}
# fmt: on


def reach_of(operation: str, role: str) -> str | None:
    """The reach the domain grants `role` for `operation`; None: refused (403)."""
    return GRANTS[operation][ROLES.index(role)]
