"""The whole life of a case over the API, in either run mode (tests/support/system.py):

referred -> assigned -> assessed -> planned -> plan meeting -> support decision -> confirmed ->
monitored -> re-planned (and reported) -> terminated; and a second case suspended, then reopened.
The events about each case are then read off the bus (the in-process bus's log, or the Kafka topic
from its beginning) by the case's key, in the order they were published.

Subclass `CaseLifeContract` with a `system` fixture and `events_on_the_bus(system, case_id)`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR
from tests.support.delivery_contract import case_for, consented_consultation
from tests.support.directory_events import deliver, reference_events
from tests.support.system import System
from tests.support.tokens import bearer

SHAKYO = "016314-shakyo"  # 音更町社会福祉協議会: carries the outreach item
TODAY = date.today().isoformat()


class CaseLifeContract:
    async def events_on_the_bus(self, system: System, case_id: str, expected: int) -> list[str]:
        """The names of the events keyed by the case, in bus order (waits for `expected` of them)."""
        raise NotImplementedError

    async def _referred_case(self, system: System) -> dict[str, Any]:
        consultation_id = await consented_consultation(system)
        referral = await system.intake_http.post(
            f"/intake/v1/consultations/{consultation_id}/referrals", json={"reason": "8050"}
        )
        assert referral.status_code == 201, referral.text
        return await case_for(system, referral.json()["id"])

    async def test_a_case_from_referral_to_termination_and_another_suspended_then_reopened(
        self, system: System
    ) -> None:
        # Coordination learns the operators (and which is the town) from the directory's events.
        await deliver(system.coordination, reference_events())
        http = system.coordination_http
        coordinator = bearer(system.settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-life")
        officer = bearer(system.settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-life")

        async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
            assert response.status_code == status, response.text
            body: dict[str, Any] = response.json()
            return body

        async def etag(case_id: str) -> str:
            return (await http.get(f"/coordination/v1/cases/{case_id}", headers=coordinator)).headers["ETag"]

        async def meeting(case_id: str, purpose: str, plan_id: str | None = None) -> str:
            decision: dict[str, Any] = {"case_id": case_id, "purpose": purpose}
            if plan_id:
                decision["plan_id"] = plan_id
            members = [
                {"organisation_id": org, "name": f"{org} 担当"}
                for org in (OTOFUKE_TOWN, SHAKYO, RANRAN_OPERATOR)
            ]
            body = {"held_on": TODAY, "members": members, "decisions": [decision]}
            return str(
                (
                    await ok(
                        await http.post("/coordination/v1/plan-meetings", json=body, headers=coordinator), 201
                    )
                )["id"]
            )

        case = await self._referred_case(system)
        cid = case["id"]
        base = f"/coordination/v1/cases/{cid}"
        await ok(
            await http.post(
                f"{base}/assignment",
                json={"coordinator": "coordinator-life", "coordinator_name": "佐藤 花子"},
                headers={**coordinator, "If-Match": await etag(cid)},
            )
        )
        assessment = {
            "assessed_on": TODAY,
            "concerns": [{"concern": "caregiving", "field": "elderly_care", "view": "母の介護負担が大きい"}],
            "wishes": "少しずつ外に出たい",
        }
        await ok(await http.post(f"{base}/assessments", json=assessment, headers=coordinator), 201)
        plan_body = {
            "drafted_on": TODAY,
            "long_term_goals": ["地域とつながる"],
            "items": [
                {"kind": "outreach", "organisation_id": SHAKYO, "what": "自宅訪問", "frequency": "週1回"},
                {"kind": "other", "organisation_id": RANRAN_OPERATOR, "what": "介護サービスの調整"},
            ],
            "monitoring_dates": [TODAY],
        }
        plan = await ok(await http.post(f"{base}/plans", json=plan_body, headers=coordinator), 201)
        approved = await http.post(
            f"/coordination/v1/plans/{plan['id']}/approval",
            json={"meeting_id": await meeting(cid, "plan_evaluation", plan["id"])},
            headers={**coordinator, "If-Match": plan["etag"]},
        )
        items = {i["kind"]: i["id"] for i in plan["items"]}
        decision = {
            "decided_on": TODAY,
            "decisions": [{"item_id": items["outreach"], "answer": "approve"}],
            "reviewed": [items["other"]],
        }
        confirmed = await ok(
            await http.post(
                f"/coordination/v1/plans/{plan['id']}/support-decision",
                json=decision,
                headers={**officer, "If-Match": approved.headers["ETag"]},
            )
        )
        assert confirmed["status"] == "confirmed"
        monitoring = {
            "due_on": TODAY,
            "monitored_on": TODAY,
            "items": [
                {"item_id": items["outreach"], "outcome": "partly", "person_view": "訪問には慣れてきた"}
            ],
        }
        await ok(await http.post(f"{base}/monitoring", json=monitoring, headers=coordinator), 201)
        replan_body = {**plan_body, "items": [plan_body["items"][1]], "monitoring_dates": []}  # type: ignore[index]
        replan = await ok(await http.post(f"{base}/plans", json=replan_body, headers=coordinator), 201)
        assert replan["replaces_id"] == plan["id"]
        reported = await http.post(
            f"/coordination/v1/plans/{replan['id']}/approval",
            json={"meeting_id": await meeting(cid, "re_plan", replan["id"])},
            headers={**coordinator, "If-Match": replan["etag"]},
        )
        assert (await ok(reported))["status"] == "confirmed"
        await ok(
            await http.post(
                f"/coordination/v1/plans/{replan['id']}/report-acknowledgement",
                headers={**officer, "If-Match": reported.headers["ETag"]},
            )
        )
        ended = await ok(
            await http.post(
                f"{base}/termination",
                json={
                    "meeting_id": await meeting(cid, "termination"),
                    "goals": [{"goal": "地域とつながる", "attainment": "achieved"}],
                    "follow_up": [{"need": "月1回の見守り", "organisation_id": SHAKYO}],
                },
                headers={**coordinator, "If-Match": await etag(cid)},
            )
        )
        assert ended["status"] == "terminated"
        timeline = await ok(await http.get(f"{base}/timeline", headers=coordinator))
        assert {
            "assigned",
            "assessment",
            "plan_drafted",
            "plan_confirmed",
            "support_decision",
            "state:terminated",
        } <= {e["kind"] for e in timeline}

        # The second case: out of reach, suspended after recorded attempts, then reopened.
        other = await self._referred_case(system)
        oid = other["id"]
        attempt = {
            "occurred_on": TODAY,
            "kind": "contact_attempt",
            "summary": "訪問したが不在、民生委員にも確認",
        }
        await ok(
            await http.post(f"/coordination/v1/cases/{oid}/notes", json=attempt, headers=coordinator), 201
        )
        suspended = await ok(
            await http.post(
                f"/coordination/v1/cases/{oid}/suspension",
                json={"meeting_id": await meeting(oid, "suspension"), "reason": "連絡が取れない"},
                headers={**coordinator, "If-Match": await etag(oid)},
            )
        )
        assert suspended["status"] == "suspended"
        reopened = await ok(
            await http.post(
                f"/coordination/v1/cases/{oid}/reopening",
                json={"reason": "本人から電話があった"},
                headers={**coordinator, "If-Match": await etag(oid)},
            )
        )
        assert (reopened["status"], reopened["cycle"]) == ("open", 2)

        # 関係機関: the referring window from the opening, the outreach item's council from the
        # confirmation; the council's worker reads the case, the person under the consent (which
        # names no organisation), and the sending of the person to it with PlanConfirmed is recorded.
        parties = await ok(await http.get(f"{base}/parties", headers=coordinator))
        assert [(p["organisation_id"], p["sharing"]["basis"]) for p in parties] == [
            (RANRAN_OPERATOR, "consent"),
            (SHAKYO, "consent"),
        ]
        outreach = bearer(system.settings, "outreach_worker", org=SHAKYO, subject="outreach-life")
        seen = await ok(await http.get(base, headers=outreach))
        assert seen["person_name"] is not None
        disclosures = await ok(await http.get(f"{base}/disclosures", headers=coordinator))
        assert sorted((d["organisation_id"], d["basis"], d["channel"]) for d in disclosures["items"]) == [
            (SHAKYO, "consent", "PlanConfirmed"),
            (SHAKYO, "consent", "getCase"),
        ]

        assert await self.events_on_the_bus(system, cid, 12) == [
            "CasePartyAdded",
            "CaseAssigned",
            "PlanDrafted",
            "PlanApproved",
            "SupportDecided",
            "CasePartyAdded",
            "PlanConfirmed",
            "PlanDrafted",
            "PlanApproved",
            "PlanConfirmed",
            "PlanReported",
            "CaseTerminated",
        ]
        assert await self.events_on_the_bus(system, oid, 3) == [
            "CasePartyAdded",
            "CaseSuspended",
            "CaseReopened",
        ]
