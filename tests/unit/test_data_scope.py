"""Tenant scoping gives a statement the criteria of the scoped models it names, wherever it names
them: the selected entity, a join, an alias, a subquery in the WHERE clause, an UPDATE or DELETE, and
the models that another model's reach criterion reads in turn. Run against a real SQLite file with
two tenants' rows: another tenant's (or, at organisation reach, another organisation's) rows are
simply not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import ForeignKey, String, delete, exists, func, select, true, update
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped, tables_named_in
from shared.db import Database, service_metadata

metadata = service_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Household(TenantScoped, Base):
    __tablename__ = "scope_test_households"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(10))
    organisation_id: Mapped[str] = mapped_column(String(10))

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.organisation:
            return cls.organisation_id == scope.organisation_id
        return super().reach_criteria(scope)


class Member(TenantScoped, Base):
    __tablename__ = "scope_test_members"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(10))
    household_id: Mapped[str] = mapped_column(ForeignKey("scope_test_households.id"))
    name: Mapped[str] = mapped_column(String(40))

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Like a case's reach through its parties: a member is seen where their household is.
        if scope.reach == Reach.organisation:
            return cls.household_id.in_(select(Household.id))
        return super().reach_criteria(scope)


MINE = DataScope("016314", "org-a", Reach.tenant)
MY_ORGANISATION = DataScope("016314", "org-a", Reach.organisation)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+inline:///{tmp_path / 'scope.db'}", schema="scope", metadata=metadata)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with database.transaction() as session:  # unscoped: the system's own writes
        session.add_all(
            [
                Household(id="h-own", tenant_id="016314", organisation_id="org-a"),
                Household(id="h-org-b", tenant_id="016314", organisation_id="org-b"),
                Household(id="h-other", tenant_id="223417", organisation_id="org-a"),
                Member(id="m-own", tenant_id="016314", household_id="h-own", name="own"),
                Member(id="m-org-b", tenant_id="016314", household_id="h-org-b", name="org b"),
                Member(id="m-other", tenant_id="223417", household_id="h-other", name="other"),
            ]
        )
    yield database
    await database.dispose()


def test_the_tables_a_statement_names_are_found_wherever_they_are() -> None:
    other = aliased(Household)
    statement = (
        select(Member.name)
        .join(other, other.id == Member.household_id)
        .where(exists().where(Household.organisation_id == "org-a"))
    )
    assert tables_named_in(statement) == {"scope_test_members", "scope_test_households"}
    assert tables_named_in(update(Member).values(name="x")) == {"scope_test_members"}
    assert tables_named_in(select(func.count()).select_from(Household)) == {"scope_test_households"}


async def test_another_tenants_rows_are_not_there_in_any_shape_of_statement(db: Database) -> None:
    other = aliased(Household)
    async with db.reading(scope=MINE) as session:
        assert set(await session.scalars(select(Household.id))) == {"h-own", "h-org-b"}
        assert await session.get(Household, "h-other") is None
        joined = select(Member.id).join(Household, Household.id == Member.household_id)
        assert set(await session.scalars(joined)) == {"m-own", "m-org-b"}
        # The member of the other tenant is excluded by its own criterion; the subquery over
        # households by theirs, so no household of the other tenant makes a member match.
        in_subquery = select(Member.id).where(
            Member.household_id.in_(select(Household.id).where(Household.organisation_id == "org-a"))
        )
        assert set(await session.scalars(in_subquery)) == {"m-own"}
        through_alias = select(other.id).where(other.organisation_id == "org-a")
        assert set(await session.scalars(through_alias)) == {"h-own"}
        counted = await session.scalar(select(func.count()).select_from(Household))
        assert counted == 2
        # Aggregates of one row each, side by side (how the FY figures read several tables at once).
        households = select(func.count().label("n")).select_from(Household).subquery()
        members = select(func.count().filter(Member.name != "").label("n")).select_from(Member).subquery()
        side_by_side = select(households.c.n, members.c.n).select_from(households).join(members, true())
        assert (await session.execute(side_by_side)).one() == (2, 2)


async def test_updates_and_deletes_touch_only_the_callers_tenant(db: Database) -> None:
    async with db.transaction(scope=MINE) as session:
        await session.execute(
            update(Member).values(name="renamed").execution_options(synchronize_session=False)
        )
        await session.execute(delete(Member).where(Member.id == "m-other"))
    async with db.reading() as session:
        names = {row.id: row.name for row in await session.execute(select(Member.id, Member.name))}
    assert names == {"m-own": "renamed", "m-org-b": "renamed", "m-other": "other"}


async def test_a_reach_criterion_reading_another_model_is_scoped_in_turn(db: Database) -> None:
    async with db.reading(scope=MY_ORGANISATION) as session:
        # Members are seen through their households; the households' own criteria (tenant, then
        # organisation) apply inside that criterion, so org-b's and the other tenant's are hidden.
        assert set(await session.scalars(select(Member.id))) == {"m-own"}
        assert set(await session.scalars(select(Household.id))) == {"h-own"}


@pytest.mark.parametrize("scope", [MINE, MY_ORGANISATION])
async def test_the_same_statement_twice_gives_the_same_rows(db: Database, scope: DataScope) -> None:
    # The criteria are built once per scope and day, then reused: the second run must match the first.
    async with db.reading(scope=scope) as session:
        first = set(await session.scalars(select(Member.id)))
    async with db.reading(scope=scope) as session:
        assert set(await session.scalars(select(Member.id))) == first


ALL_HOUSEHOLDS = select(Household.id).order_by(Household.id)  # built once, as a service's lookups are
OTHER_TENANT = DataScope("223417", "org-a", Reach.tenant)


async def test_a_statement_built_once_is_scoped_anew_for_each_caller(db: Database) -> None:
    # The scoped statement is kept per statement and scope: each caller must still get their own rows.
    seen = []
    for scope in (MINE, MY_ORGANISATION, OTHER_TENANT, MINE, OTHER_TENANT):
        async with db.reading(scope=scope) as session:
            seen.append(list(await session.scalars(ALL_HOUSEHOLDS)))
    assert seen == [["h-org-b", "h-own"], ["h-own"], ["h-other"], ["h-org-b", "h-own"], ["h-other"]]
