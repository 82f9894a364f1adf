"""Operator commands: `python -m services.cli --help`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from services.annual_table import command as annual_table
from shared.auth.roles import Role, valid_local_government_code
from shared.auth.tokens import load_or_create_local_key, mint
from shared.db import Database, database_url
from shared.events import catalog  # noqa: F401  (registers the events)
from shared.events.registry import asyncapi_document
from shared.migrations import autogenerate, upgrade
from shared.runtime import ServiceDefinition, ServiceRuntime
from shared.settings import SERVICE_NAMES, Settings


def _definitions() -> dict[str, ServiceDefinition]:
    from services.embedded import DEFINITIONS

    return DEFINITIONS


async def _migrate(settings: Settings, names: list[str]) -> None:
    for name in names:
        definition = _definitions()[name]
        db = Database(database_url(settings, name), schema=name)
        try:
            await upgrade(db, definition.migrations)
            print(f"{name}: migrated to head")
        finally:
            await db.dispose()


async def _make_migration(settings: Settings, name: str, message: str) -> None:
    definition = _definitions()[name]
    db = Database(database_url(settings, name), schema=name)
    try:
        await autogenerate(db, definition.migrations, message)
    finally:
        await db.dispose()


async def _replay(settings: Settings, name: str) -> None:
    from shared.runtime import make_bus

    bus = make_bus(settings, client_id=f"{name}-replay")
    runtime = ServiceRuntime(_definitions()[name], settings, bus)
    await bus.start()
    try:
        print(json.dumps(await runtime.consumer.replay_dead_letters()))
    finally:
        await bus.stop()
        await runtime.dispose()


async def _announce(settings: Settings, name: str) -> None:
    """Write the service's current state to its outbox; its running relay publishes it."""
    from services.directory.resources.service import announce_every_entry
    from services.intake.consent.service import announce_every_consent
    from shared.db import utcnow

    db = Database(database_url(settings, name), schema=name)
    try:
        async with db.transaction() as session:
            if name == "directory":
                count = await announce_every_entry(session=session, now=utcnow())
            else:
                count = await announce_every_consent(session=session)
        print(json.dumps({"service": name, "announced": count}))
    finally:
        await db.dispose()


def _mint_token(parser: argparse.ArgumentParser, settings: Settings, args: argparse.Namespace) -> None:
    if settings.run_mode != "embedded":
        parser.error("mint-token is for embedded mode; distributed mode takes the identity provider's")
    if not valid_local_government_code(args.tenant):
        parser.error(f"{args.tenant} is not a local government code (6 digits with its check digit)")
    print(
        mint(
            load_or_create_local_key(settings.data_dir),
            subject=args.sub,
            tenant_id=args.tenant,
            organisation_id=args.org,
            roles=args.roles,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime_seconds=args.minutes * 60,
        )
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply the services' migrations")
    migrate.add_argument("--service", choices=SERVICE_NAMES, action="append")
    make = commands.add_parser("make-migration", help="autogenerate a revision for one service")
    make.add_argument("--service", choices=SERVICE_NAMES, required=True)
    make.add_argument("-m", "--message", required=True)
    replay = commands.add_parser("replay-dead-letters", help="re-deliver a service's dead letters")
    replay.add_argument("--service", choices=SERVICE_NAMES, required=True)
    announce = commands.add_parser(
        "announce",
        help="re-announce the current state as events (directory: every entry; intake: every consent), "
        "for read models of other services that began after it",
    )
    announce.add_argument("--service", choices=["directory", "intake"], required=True)
    token = commands.add_parser("mint-token", help="embedded mode: a bearer token signed with the local key")
    roles = [r.value for r in Role]
    token.add_argument("--role", dest="roles", action="append", required=True, choices=roles)
    token.add_argument("--tenant", required=True, help="6-digit local government code, e.g. 016314")
    token.add_argument("--org", required=True, help="organisation (operator) id, e.g. 016314-hakuju-kyokai")
    token.add_argument("--sub", default="local-user", help="subject (the person's id)")
    token.add_argument("--minutes", type=int, default=480)
    asyncapi = commands.add_parser("asyncapi", help="print the AsyncAPI document of the event catalogue")
    asyncapi.add_argument("--output", type=Path)
    annual_table.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    settings = Settings()
    if args.command == "migrate":
        asyncio.run(_migrate(settings, args.service or settings.services or list(SERVICE_NAMES)))
    elif args.command == "make-migration":
        asyncio.run(_make_migration(settings, args.service, args.message))
    elif args.command == "replay-dead-letters":
        asyncio.run(_replay(settings, args.service))
    elif args.command == "announce":
        asyncio.run(_announce(settings, args.service))
    elif args.command == "mint-token":
        _mint_token(parser, settings, args)
    elif args.command == "annual-table":
        return asyncio.run(annual_table.run(args, settings))
    elif args.command == "asyncapi":
        text = json.dumps(asyncapi_document(), ensure_ascii=False, indent=2)
        if args.output:
            args.output.write_text(text + "\n", encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
