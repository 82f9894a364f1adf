"""The audit trail (監査ログ) of every read and change of personal data, as a hash chain.

The data is 要配慮個人情報 under the APPI, so who saw or changed what, when and why must be provable
afterwards. Each entry carries the hash of the entry before it: altering, removing or reordering a
stored entry breaks the chain at that point and `verify_chain` names where.

Appending and linking are two steps, so that readers never queue on one lock. `append` inserts the
entry in the caller's transaction, unlinked: it commits or rolls back with the work it describes,
and takes no lock and reads no head (concurrent readers append side by side, on PostgreSQL truly in
parallel). One sequencer per service (`link_pending`, run as a job, one at a time by an advisory
lock or SQLite's single writer) then links the committed entries into the chain in the order it
finds them: each gets its position (`link`), the previous entry's hash and its own. Until linked,
an entry is committed and protected like the rest: on PostgreSQL the trigger refuses any UPDATE but
the one that links an unlinked entry without touching its content, and every DELETE and TRUNCATE.

The hash is unkeyed, so it shows tampering by anyone who cannot also rewrite every later entry. A
writer with full access to the table can recompute the chain from the altered entry onwards, and
cutting entries off the end leaves no trace; record the head hash somewhere the database's writers
cannot reach (a signed daily report, a WORM store) to close those gaps.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shared.db import UTCDateTime, new_id
from shared.pagination import Ordering, SortKey, keyset_page
from shared.spreadsheets import defuse

AUDIT_GENESIS = "0" * 64

OUTCOMES = frozenset({"allowed", "denied", "failed"})

# The fields an entry's hash covers, besides the previous hash: everything but seq, which is only
# the storage order, and the hashes themselves.
_HASHED_FIELDS = (
    "id",
    "at",
    "service",
    "subject",
    "tenant_id",
    "organisation_id",
    "roles",
    "action",
    "resource",
    "resource_id",
    "purpose",
    "request_id",
    "outcome",
    "status",
)

_CSV_COLUMNS = (
    ("at", "日時"),
    ("service", "サービス"),
    ("subject", "利用者"),
    ("tenant_id", "自治体コード"),
    ("organisation_id", "組織"),
    ("roles", "ロール"),
    ("action", "操作"),
    ("resource", "対象"),
    ("resource_id", "対象ID"),
    ("purpose", "目的"),
    ("request_id", "リクエストID"),
    ("outcome", "結果"),
    ("status", "ステータス"),
    ("prev_hash", "前ハッシュ"),
    ("hash", "ハッシュ"),
)

# The table refuses UPDATE, DELETE and TRUNCATE, whoever asks, but the sequencer's one UPDATE: linking
# an unlinked entry (setting link, prev_hash and hash) with every other column as it was. It does not
# stop the table's owner from dropping the trigger: the application's role should hold only SELECT,
# INSERT and that UPDATE on it.
APPEND_ONLY_SQL: tuple[str, ...] = (
    """
    CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL
           AND (to_jsonb(NEW) - 'link' - 'prev_hash' - 'hash')
               = (to_jsonb(OLD) - 'link' - 'prev_hash' - 'hash') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only; % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
    """,
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()
    """,
)


def define_audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("at", UTCDateTime, nullable=False),
        Column("service", String(40), nullable=False),
        Column("subject", String(200), nullable=False),
        # A refused anonymous call has no tenant.
        Column("tenant_id", String(6), nullable=True),
        Column("organisation_id", String(100), nullable=True),
        Column("roles", String(400), nullable=False),
        Column("action", String(40), nullable=False),
        Column("resource", String(80), nullable=False),
        Column("resource_id", String(100), nullable=True),
        Column("purpose", String(400), nullable=True),
        Column("request_id", String(128), nullable=True),
        Column("outcome", String(20), nullable=False),
        Column("status", Integer, nullable=False),
        # Set by the sequencer when it links the entry into the chain (None until then).
        Column("link", Integer, nullable=True, unique=True),
        Column("prev_hash", String(64), nullable=True),
        Column("hash", String(64), nullable=True, unique=True),
        Index(
            "ix_audit_log_unlinked",
            "seq",
            sqlite_where=text("link IS NULL"),
            postgresql_where=text("link IS NULL"),
        ),
        Index("ix_audit_log_tenant_id_at", "tenant_id", "at"),
        # seq last, so "this person's entries, newest first" reads the index in order.
        Index("ix_audit_log_subject_seq", "subject", "seq"),
        Index("ix_audit_log_resource_resource_id_seq", "resource", "resource_id", "seq"),
    )


@dataclass(frozen=True)
class AuditRecord:
    """One access to personal data, as the caller saw it."""

    at: datetime
    service: str
    subject: str
    tenant_id: str | None
    organisation_id: str | None
    roles: tuple[str, ...]
    action: str
    resource: str
    resource_id: str | None
    purpose: str | None
    request_id: str | None
    outcome: str
    status: int


@dataclass(frozen=True)
class ChainReport:
    """`entries` counts the linked entries found intact, up to the first broken one if any;
    `unlinked` the committed entries the sequencer has not linked yet."""

    ok: bool
    entries: int
    first_broken_seq: int | None
    reason: str | None
    unlinked: int = 0


@dataclass(frozen=True)
class AuditFilters:
    """`at_from` is inclusive and `at_to` exclusive, like the other list filters."""

    tenant_id: str | None = None
    subject: str | None = None
    organisation_id: str | None = None
    resource: str | None = None
    resource_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.at_from, self.at_to):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("audit filters need time-zone-aware date-times")


async def append(session: AsyncSession, table: Table, record: AuditRecord) -> str:
    """Stage one entry, unlinked, in the caller's transaction; return its id. No lock, no head read."""
    values = _entry_values(table, record)
    # One statement per table, the values bound at execution: compiled once, then cached.
    await session.execute(_inserts.setdefault(table, insert(table)), values)
    return str(values["id"])


_inserts: dict[Table, Any] = {}


async def append_many(session: AsyncSession, table: Table, records: Sequence[AuditRecord]) -> list[str]:
    """Stage several entries, unlinked, in one multi-row INSERT of the caller's transaction."""
    rows = [_entry_values(table, record) for record in records]
    if rows:
        await session.execute(_inserts.setdefault(table, insert(table)), rows)
    return [str(row["id"]) for row in rows]


async def link_pending(session: AsyncSession, table: Table, *, batch: int = 1000) -> int:
    """The sequencer: link up to `batch` committed unlinked entries into the chain, oldest first;
    return how many. One at a time per chain (the advisory lock on PostgreSQL, the write lock that
    `Database.transaction` takes on SQLite), so the chain never forks."""
    if session.get_bind().dialect.name == "postgresql":
        await _lock_chain(session, table)
    head = (
        await session.execute(
            select(table.c.link, table.c.hash)
            .where(table.c.link.is_not(None))
            .order_by(table.c.link.desc())
            .limit(1)
        )
    ).first()
    position, prev_hash = (head.link, head.hash) if head is not None else (0, AUDIT_GENESIS)
    pending = (
        (
            await session.execute(
                select(table).where(table.c.link.is_(None)).order_by(table.c.seq).limit(batch)
            )
        )
        .mappings()
        .all()
    )
    links = []
    for row in pending:
        position += 1
        entry_hash = _entry_hash(prev_hash, row)
        links.append({"b_seq": row["seq"], "b_link": position, "b_prev": prev_hash, "b_hash": entry_hash})
        prev_hash = entry_hash
    if links:
        await session.execute(
            update(table)
            .where(table.c.seq == bindparam("b_seq"), table.c.link.is_(None))
            .values(link=bindparam("b_link"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")),
            links,
        )
    return len(links)


async def has_unlinked(session: AsyncSession, table: Table) -> bool:
    """Whether any committed entry waits for the sequencer (a cheap read: the partial index)."""
    waiting = await session.execute(select(table.c.seq).where(table.c.link.is_(None)).limit(1))
    return waiting.first() is not None


async def link_all(session: AsyncSession, table: Table) -> int:
    """Link every committed entry (before a verification or an export, so they cover everything)."""
    total = 0
    while done := await link_pending(session, table):
        total += done
    return total


async def verify_chain(session: AsyncSession, table: Table, *, batch: int = 5000) -> ChainReport:
    """Recompute the chain in link order, a batch at a time; stop at the first broken entry."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    expected_prev = AUDIT_GENESIS
    last_link: int | None = None
    entries = 0
    unlinked = int(await session.scalar(select(func.count()).where(table.c.link.is_(None))) or 0)
    while True:
        statement = select(table).where(table.c.link.is_not(None)).order_by(table.c.link).limit(batch)
        if last_link is not None:
            statement = statement.where(table.c.link > last_link)
        rows = (await session.execute(statement)).mappings().all()
        for row in rows:
            if row["prev_hash"] != expected_prev:
                return ChainReport(
                    False, entries, row["seq"], "prev_hash is not the previous entry's hash", unlinked
                )
            if _entry_hash(row["prev_hash"], row) != row["hash"]:
                return ChainReport(
                    False, entries, row["seq"], "hash does not match the entry's content", unlinked
                )
            expected_prev = row["hash"]
            entries += 1
        if len(rows) < batch:
            return ChainReport(True, entries, None, None, unlinked)
        last_link = rows[-1]["link"]


async def query(
    session: AsyncSession, table: Table, filters: AuditFilters, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Entries newest first; the second value is the cursor of the next page, None on the last."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    statement = select(table).where(*_conditions(table, filters))
    return await keyset_page(session, statement, _newest_first(table), cursor=cursor, limit=limit)


def _newest_first(table: Table) -> Ordering:
    """Newest first: `seq` is the chain's own order, unique."""
    return Ordering(table.name, SortKey(table.c.seq, int, descending=True))


def to_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, so Excel opens the Japanese text as such."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in _CSV_COLUMNS])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in _CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


async def forbid_changes_on_postgres(connection: AsyncConnection) -> None:
    """Make audit_log append-only in the database itself; does nothing on SQLite."""
    if connection.dialect.name != "postgresql":
        return
    for statement in APPEND_ONLY_SQL:
        await connection.execute(text(statement))


async def _lock_chain(session: AsyncSession, table: Table) -> None:
    # Without the lock two sequencers could read the same head and both chain onto it. The key
    # names the schema, so the services sharing one database do not wait for each other. In the
    # same round trip: a REPEATABLE READ snapshot may predate the head committed just before the
    # lock was granted, and would fork the chain without an error.
    if table.schema is not None:
        sql = "SELECT pg_advisory_xact_lock(hashtext(:key))"
        params = {"key": f"audit:{table.fullname}"}
    else:
        # Tables carry no schema here: search_path picks the service's (shared.db).
        sql = "SELECT pg_advisory_xact_lock(hashtext('audit:' || coalesce(current_schema(), '') || :name))"
        params = {"name": f".{table.name}"}
    sql += ", current_setting('transaction_isolation'), current_setting('transaction_read_only')"
    _, isolation, read_only = (await session.execute(text(sql), params)).one()
    if read_only == "on":
        raise RuntimeError("linking the chain needs a read-write transaction (Database.transaction)")
    if isolation == "repeatable read":
        raise RuntimeError("linking the chain needs READ COMMITTED or SERIALIZABLE, not REPEATABLE READ")


def _entry_values(table: Table, record: AuditRecord) -> dict[str, Any]:
    if record.at.tzinfo is None:
        raise ValueError("an audit entry needs a time-zone-aware `at`")
    if record.outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {record.outcome!r}")
    if any("," in role for role in record.roles):
        raise ValueError("a role name cannot contain a comma: roles are stored comma-joined")
    values: dict[str, Any] = {
        "id": new_id(),
        "at": record.at.astimezone(UTC),
        "service": record.service,
        "subject": record.subject,
        "tenant_id": record.tenant_id,
        "organisation_id": record.organisation_id,
        "roles": ",".join(sorted(record.roles)),
        "action": record.action,
        "resource": record.resource,
        "resource_id": record.resource_id,
        "purpose": record.purpose,
        "request_id": record.request_id,
        "outcome": record.outcome,
        "status": record.status,
    }
    # PostgreSQL would refuse an over-long value and SQLite keep it; refuse it on both, up front.
    for name, value in values.items():
        length = getattr(table.c[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise ValueError(f"audit field {name} is longer than {length} characters")
    return values


def _entry_hash(prev_hash: str, entry: Mapping[Any, Any]) -> str:
    fields = {name: entry[name] for name in _HASHED_FIELDS}
    fields["at"] = _iso(fields["at"])
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _conditions(table: Table, filters: AuditFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name in ("tenant_id", "subject", "organisation_id", "resource", "resource_id", "action", "outcome"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(table.c[name] == value)
    if filters.at_from is not None:
        conditions.append(table.c.at >= filters.at_from)
    if filters.at_to is not None:
        conditions.append(table.c.at < filters.at_to)
    return conditions


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    return defuse(value) if isinstance(value, str) else str(value)
