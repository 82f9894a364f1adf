"""Data left by the defects the reliability revisions close, and what those revisions make of it:
run on SQLite (tests/migrations) and PostgreSQL (tests/integration) alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from services.intake.db import audit_log
from shared.audit import AUDIT_GENESIS, AuditRecord, _entry_hash, append, link_pending, verify_chain
from shared.db import Database
from shared.migrations import upgrade
from tests.migrations.test_migrations_match_models import definition_of

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 20, 1, 5, tzinfo=UTC)


async def _insert(db: Database, sql: str, rows: list[dict[str, object]]) -> None:
    async with db.engine.begin() as conn:
        for row in rows:
            await conn.execute(text(sql), row)


async def duplicate_open_referrals_are_settled_before_the_unique_index(db: Database) -> None:
    """Two referrals of one consultation still open (the double click): the first stays open."""
    migrations = definition_of("intake").migrations
    await upgrade(db, migrations, "5c2e9a71d0b3")
    await _insert(
        db,
        "INSERT INTO windows (code, tenant_id, name, field, active, resource_version) "
        "VALUES ('w', '016314', '窓口', 'other', true, 1)",
        [{}],
    )
    consultation_sql = (
        "INSERT INTO consultations (id, tenant_id, organisation_id, window_code, received_at, channel, "
        "person_name, person_name_kana, person, household, concerns, main_concern, welfare_fields, "
        "concern_index, field_index, urgency, created_at, version) VALUES (:id, '016314', 'org', 'w', :t, "
        "'counter', 'n', 'n', '{}', '[]', '[]', 'income', '[]', '', '', 'normal', :t, 1)"
    )
    await _insert(db, consultation_sql, [{"id": "c-1", "t": T0}, {"id": "c-2", "t": T0}])
    consent_sql = (
        "INSERT INTO consents (id, tenant_id, organisation_id, consultation_id, purposes, data_classes, "
        "organisations, obtained_at, method, obtained_by, explained, valid_from, recorded_at, version) "
        "VALUES (:id, '016314', 'org', :c, '[]', '[]', '[]', :t, 'written', 'x', true, :t, :t, 1)"
    )
    await _insert(db, consent_sql, [{"id": "k-1", "c": "c-1", "t": T0}, {"id": "k-2", "c": "c-2", "t": T0}])
    referral_sql = (
        "INSERT INTO referrals (id, tenant_id, organisation_id, consultation_id, consent_id, window_code, "
        "status, referred_at) VALUES (:id, '016314', 'org', :c, :k, 'w', :status, :t)"
    )
    await _insert(
        db,
        referral_sql,
        [
            {"id": "r-first", "c": "c-1", "k": "k-1", "status": "sent", "t": T0},
            {"id": "r-second", "c": "c-1", "k": "k-1", "status": "accepted", "t": T1},
            {"id": "r-other", "c": "c-2", "k": "k-2", "status": "sent", "t": T1},
        ],
    )

    await upgrade(db, migrations)

    async with db.engine.connect() as conn:
        rows = dict((await conn.execute(text("SELECT id, status FROM referrals"))).all())
        reason = await conn.scalar(text("SELECT status_reason FROM referrals WHERE id = 'r-second'"))
    assert rows == {"r-first": "sent", "r-second": "returned", "r-other": "sent"}
    assert "重複" in reason


async def a_withdrawal_known_on_one_case_is_applied_to_every_case_of_its_consent(db: Database) -> None:
    migrations = definition_of("coordination").migrations
    await upgrade(db, migrations, "0002_longer_window_codes")
    consent = {
        "consent_id": "k-1",
        "purposes": ["collaboration"],
        "data_classes": ["identity", "tax"],
        "organisations": [],
        "obtained_at": T0.isoformat(),
        "method": "written",
    }
    case_sql = (
        "INSERT INTO cases (id, tenant_id, case_number, referral_id, consultation_id, window_code, "
        "referring_organisation_id, parties, party_index, status, urgency, concerns, welfare_fields, "
        "consent, consent_withdrawn_at, referred_at, opened_at, version) "
        "VALUES (:id, '016314', :n, :r, 'c-1', 'w', 'org', "
        """'["org"]', '|org|', 'open', 'normal', '[]', '[]', :consent, :withdrawn, :t, :t, 1)"""
    )
    await _insert(
        db,
        case_sql,
        [
            {
                "id": "case-1",
                "n": "2026-00001",
                "r": "r-1",
                "consent": json.dumps(consent),
                "withdrawn": T1,
                "t": T0,
            },
            {
                "id": "case-2",
                "n": "2026-00002",
                "r": "r-2",
                "consent": json.dumps(consent),
                "withdrawn": None,
                "t": T0,
            },
        ],
    )

    await upgrade(db, migrations)

    async with db.engine.connect() as conn:
        withdrawn = dict((await conn.execute(text("SELECT id, consent_withdrawn_at FROM cases"))).all())
        known = (
            await conn.execute(text("SELECT consent_id, purposes, data_classes, withdrawn_at FROM consents"))
        ).one()
        consent_ids = set((await conn.execute(text("SELECT consent_id FROM cases"))).scalars())
    assert all(value is not None for value in withdrawn.values()), withdrawn
    assert consent_ids == {"k-1"}
    assert known.consent_id == "k-1"
    as_list = [json.loads(v) if isinstance(v, str) else v for v in (known.purposes, known.data_classes)]
    assert as_list == [["collaboration"], ["identity", "tax"]]
    assert known.withdrawn_at is not None


async def the_referring_window_becomes_the_first_party_of_each_case(db: Database) -> None:
    """Cases kept their parties in a reach index (cases.party_index); at 0011 the referring window
    becomes each case's first party row, from the day the case opened in Japan."""
    migrations = definition_of("coordination").migrations
    await upgrade(db, migrations, "0010_figures_indexes")
    consent = {"consent_id": "k-1", "purposes": ["collaboration"], "data_classes": ["identity"]}
    case_sql = (
        "INSERT INTO cases (id, tenant_id, case_number, referral_id, consultation_id, window_code, "
        "referring_organisation_id, parties, party_index, status, urgency, concerns, welfare_fields, "
        "consent, referred_at, opened_at, cycle, version) "
        "VALUES (:id, '016314', :n, :r, 'c-1', 'w', :org, :parties, :index, 'open', 'normal', '[]', "
        "'[]', :consent, :t, :t, 1, 1)"
    )
    late_evening = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 00:30 on 21 November in Japan
    await _insert(
        db,
        case_sql,
        [
            {
                "id": f"case-{n}",
                "n": f"2026-0000{n}",
                "r": f"r-{n}",
                "org": org,
                "parties": json.dumps([org]),
                "index": f"|{org}|",
                "consent": json.dumps(consent),
                "t": at,
            }
            for n, org, at in ((1, "016314-ranran", T0), (2, "016314-shakyo", late_evening))
        ],
    )

    await upgrade(db, migrations)

    async with db.engine.connect() as conn:
        parties = (
            await conn.execute(
                text(
                    "SELECT case_id, organisation_id, from_on, to_on, version FROM case_parties "
                    "ORDER BY case_id"
                )
            )
        ).all()
        columns = set((await conn.execute(text("SELECT * FROM cases"))).keys())
    as_text = [(r.case_id, r.organisation_id, str(r.from_on), r.to_on, r.version) for r in parties]
    assert as_text == [
        ("case-1", "016314-ranran", "2026-11-20", None, 1),
        ("case-2", "016314-shakyo", "2026-11-21", None, 1),
    ]
    assert not {"parties", "party_index"} & columns


async def a_chain_written_before_the_sequencer_keeps_verifying_and_grows_by_it(db: Database) -> None:
    """Entries chained at append time (before 0006) keep their chain (link = seq) after the upgrade;
    an entry appended since is linked onto its head by the sequencer, and the whole verifies."""
    migrations = definition_of("intake").migrations
    await upgrade(db, migrations, "0005_figures_indexes")
    prev = AUDIT_GENESIS
    rows = []
    for n in range(3):
        row = {
            "id": f"a-{n}",
            "at": T0,
            "service": "intake",
            "subject": "staff-1",
            "tenant_id": "016314",
            "organisation_id": "org",
            "roles": "window_staff",
            "action": "read",
            "resource": "consultation",
            "resource_id": f"c-{n}",
            "purpose": None,
            "request_id": f"r-{n}",
            "outcome": "allowed",
            "status": 200,
        }
        row["prev_hash"], row["hash"] = prev, _entry_hash(prev, row)
        prev = row["hash"]
        rows.append(row)
    columns = ", ".join(rows[0])
    await _insert(
        db, f"INSERT INTO audit_log ({columns}) VALUES ({', '.join(':' + c for c in rows[0])})", rows
    )

    await upgrade(db, migrations)

    record = AuditRecord(
        at=T1,
        service="intake",
        subject="staff-2",
        tenant_id="016314",
        organisation_id="org",
        roles=("window_staff",),
        action="read",
        resource="consultation",
        resource_id="c-9",
        purpose=None,
        request_id="r-9",
        outcome="allowed",
        status=200,
    )
    async with db.transaction() as session:
        await append(session, audit_log, record)
    async with db.transaction() as session:
        assert await link_pending(session, audit_log) == 1
    async with db.transaction() as session:
        report = await verify_chain(session, audit_log)
        linked = (await session.execute(text("SELECT link, prev_hash FROM audit_log ORDER BY seq"))).all()
    assert (report.ok, report.entries, report.unlinked) == (True, 4, 0)
    assert [row.link for row in linked] == [1, 2, 3, 4]
    assert linked[3].prev_hash == prev  # chained onto the old head


async def the_existing_entries_get_their_postings(db: Database) -> None:
    """Entries written before the ordered postings: the revision folds their texts, builds the
    postings of the active ones, and search finds them by name, reading and description."""
    from services.directory.resources.service import SearchFilters, search_resources
    from shared.auth.policy import DataScope, Reach

    migrations = definition_of("directory").migrations
    await upgrade(db, migrations, "0005_audit_sequencer")
    await _insert(
        db,
        "INSERT INTO organizations (id, tenant_id, name, name_kana, kind, created_at) "
        "VALUES ('052124-shakyo', '052124', '大仙市社会福祉協議会', NULL, 'social_welfare_council', :t)",
        [{"t": T0}],
    )
    resource_sql = (
        "INSERT INTO resources (id, tenant_id, organization_id, name, name_kana, kind, field, "
        "description, phones, areas, accepts, schedules, status, search_text, version, created_at, "
        "updated_at, updated_by) "
        "VALUES (:id, '052124', '052124-shakyo', :name, :kana, 'participation_host', 'other', :description, "
        "'[]', :areas, '{}', '[]', :status, 'old', 1, :t, :t, 'seed')"
    )
    areas = json.dumps([{"kind": "other", "name": "大曲地域"}], ensure_ascii=False)
    await _insert(
        db,
        resource_sql,
        [
            {
                "id": "052124-sanka",
                "name": "参加支援事業",
                "kana": "サンカシエンジギョウ",
                "description": "想定される受け入れ先：就労継続支援B型事業所",
                "areas": areas,
                "status": "active",
                "t": T0,
            },
            {
                "id": "052124-old",
                "name": "参加の場（廃止）",
                "kana": "サンカノバ",
                "description": "B型",
                "areas": "[]",
                "status": "retired",
                "t": T0,
            },
        ],
    )

    await upgrade(db, migrations)

    async with db.engine.connect() as conn:
        folded = (
            await conn.execute(
                text(
                    "SELECT search_name, search_reading, search_text, sort_key FROM resources WHERE id = :i"
                ),
                {"i": "052124-sanka"},
            )
        ).one()
        posted = dict(
            (
                await conn.execute(
                    text("SELECT resource_id, count(*) FROM resource_postings GROUP BY resource_id")
                )
            ).all()
        )
    assert folded[0] == "参加支援事業" and folded[1] == "サンカシエンジギョウ"
    assert "b型" in folded[2] and "大仙市社会福祉協議会" in folded[2] and "大曲地域" in folded[2]
    assert folded[3].isascii()
    assert set(posted) == {"052124-sanka"}  # a retired entry is not posted
    scope = DataScope("052124", "052124-city", Reach.tenant)
    for query, found in [
        ("Ｂ型", ["052124-sanka"]),
        ("さんか", ["052124-sanka"]),
        ("社会福祉協議会", ["052124-sanka"]),
    ]:
        async with db.reading(scope=scope) as session:
            rows, _ = await search_resources(
                session=session, tenant_id="052124", filters=SearchFilters(q=query), cursor=None, limit=20
            )
        assert [r.id for r in rows] == found, query


# Each data step, and the service whose database it runs on.
STEPS = {
    "duplicate_open_referrals_are_settled_before_the_unique_index": "intake",
    "a_withdrawal_known_on_one_case_is_applied_to_every_case_of_its_consent": "coordination",
    "the_referring_window_becomes_the_first_party_of_each_case": "coordination",
    "a_chain_written_before_the_sequencer_keeps_verifying_and_grows_by_it": "intake",
    "the_existing_entries_get_their_postings": "directory",
}
