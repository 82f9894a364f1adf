"""One of everything in Otofuke, where らんらん's operator (WORLD_ORG) has a share in each: the objects
the access tests aim at, and, per operation, a request that succeeds for a caller within reach.

WORLD_ORG received the consultation (its window らんらん recorded it, with consent and a referral),
is a party of the case coordination opened for it, and a member of the support meeting the town
convened. Another organisation of the town (せいかつ相談窓口's operator) has a share in none of them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from shared.settings import Settings
from tests.support.builders import (
    NAGAIZUMI,
    OTOFUKE,
    OTOFUKE_TOWN,
    RANRAN,
    RANRAN_OPERATOR,
    consent_body,
    consultation_body,
)
from tests.support.tokens import bearer
from tests.support.waiting import eventually

WORLD_TENANT = OTOFUKE
WORLD_ORG = RANRAN_OPERATOR
# Each municipality's own office: the other member of a support meeting its officers convene.
TOWN_OF = {OTOFUKE: OTOFUKE_TOWN, NAGAIZUMI: "223417-town"}
SHAKYO = "016314-shakyo"  # 音更町社会福祉協議会: the outreach item's operator in the world's plans
# WORLD_ORG's member persons of the world's support meeting: the subjects the access suites sign in
# as (the matrix's `role@org`, the audit test's `t-<operation>`), with the role each accepts the
# duty of confidentiality in beforehand (None: named, and left to accept in the test itself).
_MEMBER_ROLES = (
    "window_staff",
    "coordinator",
    "municipal_officer",
    "outreach_worker",
    "participation_worker",
)
MEETING_STAFF: dict[str, str | None] = {
    **{f"{role}@{RANRAN_OPERATOR}": role for role in _MEMBER_ROLES},
    "t-getSupportMeeting": "window_staff",
    "t-acceptSupportMeetingConfidentiality": None,
}


@dataclass(frozen=True)
class Caller:
    role: str
    org: str
    tenant: str


@dataclass(frozen=True)
class World:
    consultation_id: str
    consent_id: str
    referral_id: str
    case_id: str
    meeting_id: str
    resource_id: str
    csv_file: bytes  # the directory's own CSV export's header, and a new entry under it
    # Targets of their own for the operations that change them (made by `Builder.fresh_*`).
    consent_etag: str = ""
    case_etag: str = ""
    resource_etag: str = ""
    # 支援プラン: the standing case's plan being drafted, and a plan meeting WORLD_ORG attended.
    plan_id: str = ""
    plan_meeting_id: str = ""
    plan_etag: str = ""
    plan_items: tuple[str, ...] = ()  # the outreach items of a plan awaiting the support decision
    plan_others: tuple[str, ...] = ()  # and its other items, reviewed with them
    note_id: str = ""  # a progress note on the standing case
    monitoring_due_on: str = ""  # a monitoring date of a confirmed plan
    party_id: str = ""  # 関係機関: WORLD_ORG's part (the referring window) in a case of its own
    party_etag: str = ""
    emergency_id: str = ""  # an emergency sharing with WORLD_ORG reported to the town
    emergency_etag: str = ""
    gazetteers: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # tenant: body, ETag


class Builder:
    """Makes the world through the API, as the people who own each object would."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.staff = bearer(settings, "window_staff", org=WORLD_ORG, tenant=WORLD_TENANT)
        self.coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN, tenant=WORLD_TENANT)
        self.officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, tenant=WORLD_TENANT)
        self.editor = {
            tenant: bearer(settings, "directory_editor", org=town, tenant=tenant)
            for tenant, town in TOWN_OF.items()
        }

    async def _created(self, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        response = await self.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.text)
        return response

    async def _consented(self) -> tuple[str, httpx.Response]:
        """A consultation at らんらん and the person's consent to collaboration."""
        consultation = await self._created("/intake/v1/consultations", consultation_body(), self.staff)
        consultation_id = consultation.json()["id"]
        consent = await self._created(
            f"/intake/v1/consultations/{consultation_id}/consents", consent_body(), self.staff
        )
        return consultation_id, consent

    async def _referred(self) -> tuple[str, str, str, str]:
        """Consultation, consent, referral, and the case coordination opens for it."""
        consultation_id, consent = await self._consented()
        referral = await self._created(
            f"/intake/v1/consultations/{consultation_id}/referrals", {"reason": "8050"}, self.staff
        )
        referral_id = referral.json()["id"]

        async def case_id() -> str | None:
            page = await self.client.get(
                "/coordination/v1/cases", params={"referral_id": referral_id}, headers=self.coordinator
            )
            items = page.json()["items"]
            return items[0]["id"] if items else None

        return consultation_id, consent.json()["id"], referral_id, await eventually(case_id)

    async def _plan(
        self, case_id: str, *, outreach: bool = False, monitoring: list[str] | None = None
    ) -> httpx.Response:
        """A plan for the case: an item of WORLD_ORG's, and an outreach item of the council's."""
        items = [{"kind": "other", "organisation_id": WORLD_ORG, "what": "介護サービスの調整"}]
        if outreach:
            items.append(
                {"kind": "outreach", "organisation_id": SHAKYO, "what": "自宅訪問", "frequency": "週1回"}
            )
        body = {
            "drafted_on": date.today().isoformat(),
            "long_term_goals": ["地域とつながる"],
            "items": items,
            "monitoring_dates": monitoring or [],
        }
        return await self._created(f"/coordination/v1/cases/{case_id}/plans", body, self.coordinator)

    async def _plan_meeting(
        self, case_id: str | None = None, plan_id: str | None = None, purpose: str = "plan_evaluation"
    ) -> str:
        members = [
            {"organisation_id": org, "name": name}
            for org, name in ((OTOFUKE_TOWN, "町 担当"), (WORLD_ORG, "らんらん 担当"), (SHAKYO, "社協 担当"))
        ]
        decisions = [{"case_id": case_id, "purpose": purpose, "plan_id": plan_id}] if case_id else []
        body = {"held_on": date.today().isoformat(), "members": members, "decisions": decisions}
        meeting = await self._created("/coordination/v1/plan-meetings", body, self.coordinator)
        return str(meeting.json()["id"])

    async def _approved(self, world: World, *, outreach: bool, monitoring: list[str] | None = None) -> World:
        world = await self.fresh_case(world)
        plan = (await self._plan(world.case_id, outreach=outreach, monitoring=monitoring)).json()
        meeting_id = await self._plan_meeting(world.case_id, plan["id"])
        approved = await self.client.post(
            f"/coordination/v1/plans/{plan['id']}/approval",
            json={"meeting_id": meeting_id},
            headers={**self.coordinator, "If-Match": plan["etag"]},
        )
        assert approved.status_code == 200, approved.text
        return dataclasses.replace(
            world,
            plan_id=plan["id"],
            plan_etag=approved.headers["ETag"],
            plan_meeting_id=meeting_id,
            plan_items=tuple(i["id"] for i in plan["items"] if i["kind"] == "outreach"),
            plan_others=tuple(i["id"] for i in plan["items"] if i["kind"] == "other"),
        )

    async def _support_meeting(self) -> httpx.Response:
        """The town's support meeting, with WORLD_ORG's staff as member persons: each has accepted the
        duty of confidentiality, but the one the audit test accepts as (it must still be named)."""
        members = [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当", "subject": "staff-yamada"}]
        members += [
            {"organisation_id": WORLD_ORG, "name": "らんらん 担当", "subject": subject}
            for subject in MEETING_STAFF
        ]
        body = {
            "held_on": date.today().isoformat(),
            "members": members,
            "concerning": "近隣から心配の声がある高齢の世帯",
        }
        meeting = await self._created(MEETINGS, body, self.officer)
        for subject, role in MEETING_STAFF.items():
            if role is None:
                continue
            accepting = bearer(self.settings, role, org=WORLD_ORG, tenant=WORLD_TENANT, subject=subject)
            await self._created(
                f"{MEETINGS}/{meeting.json()['id']}/confidentiality-acceptances", {}, accepting
            )
        return meeting

    async def _resource(self) -> httpx.Response:
        return await self._created(
            "/directory/v1/resources",
            {
                "name": "地域食堂",
                "name_kana": "チイキショクドウ",
                "kind": "community_program",
                "field": "hardship",
            },
            self.editor[WORLD_TENANT],
        )

    async def standing(self) -> World:
        consultation_id, consent_id, referral_id, case_id = await self._referred()
        meeting = await self._support_meeting()
        resource = await self._resource()
        plan = await self._plan(case_id)
        plan_meeting_id = await self._plan_meeting()
        note = await self._note(case_id, "contact")
        export = await self.client.get(
            "/directory/v1/resources/export.csv", headers=self.editor[WORLD_TENANT]
        )
        assert export.status_code == 200, export.text
        return World(
            consultation_id=consultation_id,
            consent_id=consent_id,
            referral_id=referral_id,
            case_id=case_id,
            meeting_id=meeting.json()["id"],
            resource_id=resource.json()["id"],
            csv_file=_csv_with_one_entry(export.content.splitlines(keepends=True)[0]),
            plan_id=plan.json()["id"],
            plan_meeting_id=plan_meeting_id,
            note_id=note,
        )

    # Operations that change their target get one of their own, made again after each success.

    async def fresh_consent(self, world: World) -> World:
        consultation_id, consent = await self._consented()
        return dataclasses.replace(
            world,
            consultation_id=consultation_id,
            consent_id=consent.json()["id"],
            consent_etag=consent.headers["ETag"],
        )

    async def fresh_consultation(self, world: World) -> World:
        """Consented, not referred yet."""
        consultation_id, _ = await self._consented()
        return dataclasses.replace(world, consultation_id=consultation_id)

    async def fresh_case(self, world: World) -> World:
        consultation_id, consent_id, referral_id, case_id = await self._referred()
        case = await self.client.get(f"/coordination/v1/cases/{case_id}", headers=self.coordinator)
        assert case.status_code == 200, case.text
        return dataclasses.replace(
            world,
            consultation_id=consultation_id,
            consent_id=consent_id,
            referral_id=referral_id,
            case_id=case_id,
            case_etag=case.headers["ETag"],
        )

    async def fresh_party(self, world: World) -> World:
        """A case of its own, and WORLD_ORG's part in it as its referring window."""
        world = await self.fresh_case(world)
        listed = await self.client.get(
            f"/coordination/v1/cases/{world.case_id}/parties", headers=self.coordinator
        )
        assert listed.status_code == 200, listed.text
        (party,) = listed.json()
        return dataclasses.replace(world, party_id=party["id"], party_etag=party["etag"])

    async def fresh_emergency(self, world: World) -> World:
        """An emergency sharing with WORLD_ORG on the standing case, awaiting the town's acknowledgement."""
        recorded = await self._created(
            f"/coordination/v1/cases/{world.case_id}/emergency-sharings", emergency_body(), self.coordinator
        )
        return dataclasses.replace(
            world, emergency_id=recorded.json()["id"], emergency_etag=recorded.headers["ETag"]
        )

    async def _note(self, case_id: str, kind: str) -> str:
        body = {"occurred_on": date.today().isoformat(), "kind": kind, "summary": "自宅を訪問した"}
        note = await self._created(f"/coordination/v1/cases/{case_id}/notes", body, self.coordinator)
        return str(note.json()["id"])

    async def _with_closing_meeting(self, world: World, purpose: str) -> World:
        world = await self.fresh_case(world)
        if purpose == "suspension":
            await self._note(world.case_id, "contact_attempt")
        meeting_id = await self._plan_meeting(world.case_id, purpose=purpose)
        return dataclasses.replace(world, plan_meeting_id=meeting_id)

    async def fresh_judged_for_termination(self, world: World) -> World:
        """A case of its own that a plan meeting judged to terminate."""
        return await self._with_closing_meeting(world, "termination")

    async def fresh_out_of_reach(self, world: World) -> World:
        """A case of its own with a contact attempt recorded and a meeting deciding suspension."""
        return await self._with_closing_meeting(world, "suspension")

    async def fresh_terminated(self, world: World) -> World:
        world = await self.fresh_judged_for_termination(world)
        ended = await self.client.post(
            f"/coordination/v1/cases/{world.case_id}/termination",
            json={
                "meeting_id": world.plan_meeting_id,
                "goals": [{"goal": "地域とつながる", "attainment": "achieved"}],
            },
            headers={**self.coordinator, "If-Match": world.case_etag},
        )
        assert ended.status_code == 200, ended.text
        return dataclasses.replace(world, case_etag=ended.headers["ETag"])

    async def fresh_draft(self, world: World) -> World:
        """A case of its own with a plan being drafted."""
        world = await self.fresh_case(world)
        plan = await self._plan(world.case_id)
        return dataclasses.replace(world, plan_id=plan.json()["id"], plan_etag=plan.headers["ETag"])

    async def fresh_discussed_draft(self, world: World) -> World:
        """A draft that a plan meeting evaluated (and approved) as it is."""
        world = await self.fresh_draft(world)
        meeting_id = await self._plan_meeting(world.case_id, world.plan_id)
        return dataclasses.replace(world, plan_meeting_id=meeting_id)

    async def fresh_awaiting_decision(self, world: World) -> World:
        """A plan with an outreach item, approved by its meeting: the support decision is awaited."""
        return await self._approved(world, outreach=True)

    async def fresh_monitored_plan(self, world: World) -> World:
        """A confirmed plan (reported: no outreach) with a monitoring date today."""
        world = await self._approved(world, outreach=False, monitoring=[date.today().isoformat()])
        return dataclasses.replace(world, monitoring_due_on=date.today().isoformat())

    async def fresh_reported(self, world: World) -> World:
        """A plan without outreach or participation, confirmed by its meeting and reported."""
        return await self._approved(world, outreach=False)

    async def fresh_resource(self, world: World) -> World:
        resource = await self._resource()
        return dataclasses.replace(
            world, resource_id=resource.json()["id"], resource_etag=resource.headers["ETag"]
        )

    async def current_gazetteers(self, world: World) -> World:
        """Each municipality's gazetteer as it stands, to put back unchanged (and its ETag)."""
        gazetteers = {}
        for tenant, editor in self.editor.items():
            got = await self.client.get("/directory/v1/districts", headers=editor)
            assert got.status_code == 200, got.text
            body = {key: got.json()[key] for key in ("municipality", "districts", "addresses")}
            gazetteers[tenant] = (body, got.headers["ETag"])
        return dataclasses.replace(world, gazetteers=gazetteers)


def emergency_body() -> dict[str, Any]:
    """Told to WORLD_ORG, the case's referring window, to protect the person tonight."""
    return {
        "organisation_id": WORLD_ORG,
        "reason": "自宅で倒れている可能性があり本人に連絡がつかない",
        "decided_by_name": "佐藤 花子",
        "decided_at": datetime.now(UTC).isoformat(),
        "until": date.today().isoformat(),
    }


def _csv_with_one_entry(header: bytes) -> bytes:
    """An exported file's header and one new entry (no ID): name, reading, kind and field in the
    labels the export writes, the other columns empty."""
    columns = header.decode("utf-8-sig").rstrip("\r\n").split(",")
    entry = {
        "名称": "CSV取込サロン",
        "フリガナ": "シーエスブイトリコミサロン",
        "種別": "地域づくり",
        "分野": "その他",
    }
    row = ",".join(entry.get(column, "") for column in columns)
    return header + row.encode() + b"\r\n"


# --- what each operation is called with -------------------------------------------------------------

# How a caller beyond the reach is answered.
HIDDEN = "404"  # the object is not there for the caller
ABSENT = "absent"  # the list answers, without the object
UNKNOWN_WINDOW = "422 unknown_window"  # a window named in the body is not there for the caller

Fresh = Callable[[Builder, World], Awaitable[World]]


@dataclass(frozen=True)
class Spec:
    method: str
    path: Callable[[World, Caller], str]
    body: Callable[[World, Caller], Any] | None = None
    # True when the call aims at the world's objects (in WORLD_TENANT, WORLD_ORG's share); False
    # when it works on the caller's own municipality as a whole (a create at no parent, a lookup).
    aims_at_world: bool = True
    beyond: str = HIDDEN
    # For a list: whether the world's object is in the answer (so "absent" can be told apart).
    listed: Callable[[World, httpx.Response], bool] | None = None
    if_match: Callable[[World, Caller], str] | None = None
    # A target of the operation's own, made before the first call and again after each success.
    fresh: Fresh | None = None


def _ids(response: httpx.Response) -> set[str]:
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item.get("id") or item.get("code") for item in items}


def _in_text(value: Callable[[World], str]) -> Callable[[World, httpx.Response], bool]:
    return lambda w, r: value(w) in r.text


RESOURCE = {
    "name": "ふれあいサロン",
    "name_kana": "フレアイサロン",
    "kind": "community_program",
    "field": "other",
}
CONSULTATIONS = "/intake/v1/consultations"
CASES = "/coordination/v1/cases"
MEETINGS = "/coordination/v1/support-meetings"
PLANS = "/coordination/v1/plans"
PLAN_MEETINGS = "/coordination/v1/plan-meetings"
RESOURCES = "/directory/v1/resources"

SPECS: dict[str, Spec] = {
    # intake
    "listWindows": Spec(
        "GET", lambda w, c: "/intake/v1/windows", beyond=ABSENT, listed=lambda w, r: RANRAN in _ids(r)
    ),
    # らんらん is WORLD_ORG's window: another organisation's staff cannot record there.
    "recordConsultation": Spec(
        "POST",
        lambda w, c: CONSULTATIONS,
        body=lambda w, c: consultation_body(window_code=RANRAN),
        beyond=UNKNOWN_WINDOW,
    ),
    "getConsultation": Spec("GET", lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}"),
    "listConsultations": Spec(
        "GET",
        lambda w, c: f"{CONSULTATIONS}?limit=200",
        beyond=ABSENT,
        listed=lambda w, r: w.consultation_id in _ids(r),
    ),
    "recordConsent": Spec(
        "POST", lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}/consents", body=lambda w, c: consent_body()
    ),
    "listConsents": Spec(
        "GET",
        lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}/consents",
        listed=lambda w, r: w.consent_id in _ids(r),
    ),
    "withdrawConsent": Spec(
        "POST",
        lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}/consents/{w.consent_id}/withdrawal",
        body=lambda w, c: {"reason": "本人から撤回の申し出"},
        if_match=lambda w, c: w.consent_etag,
        fresh=Builder.fresh_consent,
    ),
    "referToCollaboration": Spec(
        "POST",
        lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}/referrals",
        body=lambda w, c: {"reason": "8050"},
        fresh=Builder.fresh_consultation,
    ),
    "listReferralsOfConsultation": Spec(
        "GET",
        lambda w, c: f"{CONSULTATIONS}/{w.consultation_id}/referrals",
        listed=lambda w, r: w.referral_id in _ids(r),
    ),
    "getIntakeFigures": Spec("GET", lambda w, c: "/intake/v1/figures?fiscal_year=2026", aims_at_world=False),
    "getReferral": Spec("GET", lambda w, c: f"/intake/v1/referrals/{w.referral_id}"),
    # coordination
    "getCase": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}"),
    "listCases": Spec(
        "GET",
        lambda w, c: f"{CASES}?referral_id={w.referral_id}",
        beyond=ABSENT,
        listed=lambda w, r: w.case_id in _ids(r),
    ),
    "declineCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/decline",
        body=lambda w, c: {"reason": "既に他の支援につながっている"},
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_case,
    ),
    "returnCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/return",
        body=lambda w, c: {"reason": "窓口での対応で足りる"},
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_case,
    ),
    "getCoordinationFigures": Spec(
        "GET", lambda w, c: "/coordination/v1/figures?fiscal_year=2026", aims_at_world=False
    ),
    "recordMonitoring": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/monitoring",
        body=lambda w, c: {
            "due_on": w.monitoring_due_on,
            "monitored_on": date.today().isoformat(),
            "items": [{"item_id": w.plan_others[0], "outcome": "done"}],
        },
        fresh=Builder.fresh_monitored_plan,
    ),
    "listMonitoringRecords": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/monitoring"),
    "listMonitoringDue": Spec(
        "GET", lambda w, c: "/coordination/v1/monitoring-due?mine=false", aims_at_world=False
    ),
    "recordAssessment": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/assessments",
        body=lambda w, c: {
            "assessed_on": date.today().isoformat(),
            "concerns": [{"concern": "caregiving", "field": "elderly_care", "view": "介護負担が大きい"}],
        },
    ),
    "listAssessments": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/assessments"),
    "getCaseTimeline": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/timeline"),
    "assignCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/assignment",
        body=lambda w, c: {"coordinator": "coordinator-sato", "coordinator_name": "佐藤 花子"},
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_case,
    ),
    "listCaseAssignments": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/assignments"),
    # 関係機関: the council joins a case of its own (once: it takes part from then on).
    "addCaseParty": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/parties",
        body=lambda w, c: {
            "organisation_id": SHAKYO,
            "role": "見守り訪問",
            "from_on": date.today().isoformat(),
        },
        fresh=Builder.fresh_case,
    ),
    "listCaseParties": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/parties"),
    "changeCaseParty": Spec(
        "PUT",
        lambda w, c: f"/coordination/v1/case-parties/{w.party_id}",
        body=lambda w, c: {"role": "紹介元として見守る", "from_on": date.today().isoformat()},
        if_match=lambda w, c: w.party_etag,
        fresh=Builder.fresh_party,
    ),
    "recordEmergencySharing": Spec(
        "POST", lambda w, c: f"{CASES}/{w.case_id}/emergency-sharings", body=lambda w, c: emergency_body()
    ),
    "listEmergencySharings": Spec(
        "GET", lambda w, c: "/coordination/v1/emergency-sharings?acknowledged=false", aims_at_world=False
    ),
    "acknowledgeEmergencySharing": Spec(
        "POST",
        lambda w, c: f"/coordination/v1/emergency-sharings/{w.emergency_id}/acknowledgement",
        if_match=lambda w, c: w.emergency_etag,
        fresh=Builder.fresh_emergency,
    ),
    "listDisclosures": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/disclosures"),
    # The caller's own cases: nothing of the world's is aimed at.
    "getMyWorkList": Spec("GET", lambda w, c: "/coordination/v1/work-list", aims_at_world=False),
    "terminateCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/termination",
        body=lambda w, c: {
            "meeting_id": w.plan_meeting_id,
            "goals": [{"goal": "地域とつながる", "attainment": "achieved"}],
            "follow_up": [{"need": "月1回の見守り", "organisation_id": SHAKYO}],
        },
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_judged_for_termination,
    ),
    "suspendCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/suspension",
        body=lambda w, c: {"meeting_id": w.plan_meeting_id, "reason": "3か月連絡が取れない"},
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_out_of_reach,
    ),
    "reopenCase": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/reopening",
        body=lambda w, c: {"reason": "本人から再び相談があった"},
        if_match=lambda w, c: w.case_etag,
        fresh=Builder.fresh_terminated,
    ),
    "recordProgressNote": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/notes",
        body=lambda w, c: {
            "occurred_on": date.today().isoformat(),
            "kind": "call",
            "summary": "電話で様子を聞いた",
        },
    ),
    "listProgressNotes": Spec(
        "GET", lambda w, c: f"{CASES}/{w.case_id}/notes", listed=lambda w, r: w.note_id in _ids(r)
    ),
    # 支援プラン and 重層的支援会議
    "draftPlan": Spec(
        "POST",
        lambda w, c: f"{CASES}/{w.case_id}/plans",
        body=lambda w, c: {
            "drafted_on": date.today().isoformat(),
            "long_term_goals": ["地域とつながる"],
            "items": [{"kind": "other", "organisation_id": WORLD_ORG, "what": "介護サービスの調整"}],
        },
        fresh=Builder.fresh_case,
    ),
    "listPlansOfCase": Spec(
        "GET", lambda w, c: f"{CASES}/{w.case_id}/plans", listed=lambda w, r: w.plan_id in _ids(r)
    ),
    "getPlan": Spec("GET", lambda w, c: f"{PLANS}/{w.plan_id}"),
    "revisePlan": Spec(
        "PUT",
        lambda w, c: f"{PLANS}/{w.plan_id}",
        body=lambda w, c: {
            "drafted_on": date.today().isoformat(),
            "long_term_goals": ["地域とつながり、外出できる"],
            "items": [{"kind": "other", "organisation_id": WORLD_ORG, "what": "介護サービスの調整"}],
        },
        if_match=lambda w, c: w.plan_etag,
        fresh=Builder.fresh_draft,
    ),
    "approvePlan": Spec(
        "POST",
        lambda w, c: f"{PLANS}/{w.plan_id}/approval",
        body=lambda w, c: {"meeting_id": w.plan_meeting_id},
        if_match=lambda w, c: w.plan_etag,
        fresh=Builder.fresh_discussed_draft,
    ),
    "decideSupport": Spec(
        "POST",
        lambda w, c: f"{PLANS}/{w.plan_id}/support-decision",
        body=lambda w, c: {
            "decided_on": date.today().isoformat(),
            "decisions": [{"item_id": item, "answer": "approve"} for item in w.plan_items],
            "reviewed": list(w.plan_others),
        },
        if_match=lambda w, c: w.plan_etag,
        fresh=Builder.fresh_awaiting_decision,
    ),
    "acknowledgePlanReport": Spec(
        "POST",
        lambda w, c: f"{PLANS}/{w.plan_id}/report-acknowledgement",
        if_match=lambda w, c: w.plan_etag,
        fresh=Builder.fresh_reported,
    ),
    # Members of the world's plan meeting: the town, WORLD_ORG and the council.
    "recordPlanMeeting": Spec(
        "POST",
        lambda w, c: PLAN_MEETINGS,
        body=lambda w, c: {
            "held_on": date.today().isoformat(),
            "members": [{"organisation_id": TOWN_OF[c.tenant], "name": "町 担当"}],
        },
        aims_at_world=False,
    ),
    "getPlanMeeting": Spec("GET", lambda w, c: f"{PLAN_MEETINGS}/{w.plan_meeting_id}"),
    # The convener is the caller's organisation, with its municipality's office as the other member.
    # The recording officer is a member person without being listed.
    "conveneSupportMeeting": Spec(
        "POST",
        lambda w, c: MEETINGS,
        body=lambda w, c: {
            "held_on": date.today().isoformat(),
            "members": [{"organisation_id": TOWN_OF[c.tenant], "name": "町 担当", "subject": "town-staff"}],
            "concerning": "見守りが必要な世帯",
        },
        aims_at_world=False,
    ),
    # The world's meeting names WORLD_ORG's callers as member persons (MEETING_STAFF); accepting
    # again answers the first acceptance.
    "acceptSupportMeetingConfidentiality": Spec(
        "POST", lambda w, c: f"{MEETINGS}/{w.meeting_id}/confidentiality-acceptances", body=lambda w, c: {}
    ),
    "getSupportMeeting": Spec("GET", lambda w, c: f"{MEETINGS}/{w.meeting_id}"),
    "listSupportMeetingLinksOfCase": Spec("GET", lambda w, c: f"{CASES}/{w.case_id}/support-meeting-links"),
    "listSupportMeetings": Spec(
        "GET",
        lambda w, c: f"{MEETINGS}?limit=200",
        beyond=ABSENT,
        listed=lambda w, r: w.meeting_id in _ids(r),
    ),
    # directory: the world's municipality's entries; another municipality lists its own, not these
    "searchResources": Spec(
        "GET",
        lambda w, c: f"{RESOURCES}?limit=200",
        beyond=ABSENT,
        listed=lambda w, r: w.resource_id in _ids(r),
    ),
    "getResource": Spec("GET", lambda w, c: f"{RESOURCES}/{w.resource_id}"),
    "getResourceHistory": Spec("GET", lambda w, c: f"{RESOURCES}/{w.resource_id}/history"),
    "listOrganisations": Spec(
        "GET",
        lambda w, c: "/directory/v1/organisations",
        beyond=ABSENT,
        listed=lambda w, r: WORLD_ORG in _ids(r),
    ),
    "exportHsds": Spec(
        "GET", lambda w, c: "/directory/v1/hsds", beyond=ABSENT, listed=_in_text(lambda w: w.resource_id)
    ),
    "exportResourcesCsv": Spec(
        "GET",
        lambda w, c: f"{RESOURCES}/export.csv",
        beyond=ABSENT,
        listed=_in_text(lambda w: w.resource_id),
    ),
    "publishResource": Spec("POST", lambda w, c: RESOURCES, body=lambda w, c: RESOURCE, aims_at_world=False),
    "updateResource": Spec(
        "PUT",
        lambda w, c: f"{RESOURCES}/{w.resource_id}",
        body=lambda w, c: RESOURCE,
        if_match=lambda w, c: w.resource_etag,
        fresh=Builder.fresh_resource,
    ),
    "retireResource": Spec(
        "POST",
        lambda w, c: f"{RESOURCES}/{w.resource_id}/retirement",
        if_match=lambda w, c: w.resource_etag,
        fresh=Builder.fresh_resource,
    ),
    "recordOrganisation": Spec(
        "POST",
        lambda w, c: "/directory/v1/organisations",
        body=lambda w, c: {"key": f"matrix-{uuid.uuid4().hex[:12]}", "name": "NPO法人テスト", "kind": "npo"},
        aims_at_world=False,
    ),
    # Imported for real (not a dry run): one new entry in the caller's municipality.
    "importResourcesCsv": Spec(
        "POST",
        lambda w, c: f"{RESOURCES}/import.csv?dry_run=false",
        body=lambda w, c: w.csv_file,
        aims_at_world=False,
    ),
    "importHsds": Spec(
        "POST",
        lambda w, c: "/directory/v1/hsds",
        body=lambda w, c: {"tenant_id": c.tenant, "organizations": [], "services": []},
        aims_at_world=False,
    ),
    # 地区・学区の台帳: one per municipality, so the caller's own; replaced by itself, unchanged.
    "listDistricts": Spec(
        "GET",
        lambda w, c: "/directory/v1/districts",
        beyond=ABSENT,
        listed=lambda w, r: r.json()["tenant_id"] == WORLD_TENANT,
    ),
    "lookupDistricts": Spec(
        "GET", lambda w, c: "/directory/v1/districts/lookup?address=柏寿台1-5", aims_at_world=False
    ),
    "replaceDistricts": Spec(
        "PUT",
        lambda w, c: "/directory/v1/districts",
        body=lambda w, c: w.gazetteers[c.tenant][0],
        aims_at_world=False,
        if_match=lambda w, c: w.gazetteers[c.tenant][1],
        fresh=Builder.current_gazetteers,
    ),
}

# The audit trail of each service: the world's entries are the auditor's of its municipality only.
# Participation and outreach have no personal-data operation yet, so nothing of the world's.
# Another municipality's auditor may find entries naming the world's ids: its own callers' attempts.
_AUDITED_OBJECT: dict[str, Callable[[World], str] | None] = {
    "intake": lambda w: w.consultation_id,
    "coordination": lambda w: w.meeting_id,
    "participation": None,
    "outreach": None,
    "directory": lambda w: w.resource_id,
}


def _audit_specs(service: str, audited: Callable[[World], str] | None) -> dict[str, Spec]:
    name = service[:1].upper() + service[1:]
    base = f"/{service}/v1/audit"
    if audited is None:
        return {
            f"list{name}AuditEntries": Spec("GET", lambda w, c: base, aims_at_world=False),
            f"export{name}AuditEntries": Spec("GET", lambda w, c: f"{base}/export.csv", aims_at_world=False),
            f"verify{name}AuditChain": Spec("GET", lambda w, c: f"{base}/verification", aims_at_world=False),
        }

    # The world's municipality's entries on the object (another's trail has its own callers' tries).
    def entries(w: World, r: httpx.Response) -> bool:
        items = r.json()["items"]
        return any(i["resource_id"] == audited(w) and i["tenant_id"] == WORLD_TENANT for i in items)

    def rows(w: World, r: httpx.Response) -> bool:
        lines = csv.reader(io.StringIO(r.text.lstrip("\ufeff")))
        return any(audited(w) in row and WORLD_TENANT in row for row in lines)

    return {
        f"list{name}AuditEntries": Spec(
            "GET", lambda w, c: f"{base}?resource_id={audited(w)}", beyond=ABSENT, listed=entries
        ),
        f"export{name}AuditEntries": Spec(
            "GET",
            lambda w, c: f"{base}/export.csv?resource_id={audited(w)}",
            beyond=ABSENT,
            listed=rows,
        ),
        f"verify{name}AuditChain": Spec("GET", lambda w, c: f"{base}/verification", aims_at_world=False),
    }


for _service, _audited in _AUDITED_OBJECT.items():
    SPECS.update(_audit_specs(_service, _audited))
