"""The operator command `annual-table`: its flags, the token, and files written whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx

from services.annual_table.collect import ServiceUnavailable, collect
from services.annual_table.files import write_whole
from services.annual_table.table import OUTCOME_LABELS, AnnualTable, outside_cp932, to_csv
from services.annual_table.workbook import to_workbook
from shared.auth.roles import Role, valid_local_government_code
from shared.auth.tokens import LOCAL_KEY_NAME, load_or_create_local_key, mint
from shared.figures import FiscalYear
from shared.settings import SERVICE_NAMES, Settings

TOKEN_VARIABLE = "JUSOU_TOKEN"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

DESCRIPTION = """\
年度の実績表: one municipality's annual table, from every service's figures endpoint
(GET /<service>/v1/figures). Which services have figures is read from their OpenAPI documents; a
service without them is listed as not provided (提供なし) in the workbook's 「出典」 sheet. Writes
DIR/annual-table-<tenant>-<year>.csv (cp932) and .xlsx, both or neither: a service that does not
answer (no connection, 5xx, 401/403) stops the command with exit status 1 and writes nothing."""

EPILOG = f"""\
examples:
  embedded mode (make run), a token minted with the local key:
    python -m services.cli annual-table --tenant 016314 --fiscal-year 2025 --out reports/
  distributed mode, a municipal officer's token from the identity provider:
    {TOKEN_VARIABLE}=eyJ... python -m services.cli annual-table --tenant 016314 --fiscal-year 2025 \\
      --out reports/ --service-url intake=http://127.0.0.1:8001 \\
      --service-url coordination=http://127.0.0.1:8002 --service-url participation=http://127.0.0.1:8003 \\
      --service-url outreach=http://127.0.0.1:8004 --service-url directory=http://127.0.0.1:8005"""


class CommandFailed(Exception):
    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja}\n{en}")


def add_command(commands: Any) -> None:
    """Register `annual-table` on the CLI's subcommands."""
    command = commands.add_parser(
        "annual-table",
        help="write one municipality's annual table (年度の実績表) as CSV (cp932) and Excel",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--tenant", required=True, type=_tenant, help="6-digit local government code, e.g. 016314"
    )
    command.add_argument(
        "--fiscal-year",
        required=True,
        type=_fiscal_year,
        help="年度 by its first year: 2025 = 令和7年度 (April–March)",
    )
    command.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="folder to write the two files in"
    )
    command.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        help=f"where the services are (embedded mode, or a gateway); default {DEFAULT_BASE_URL}",
    )
    command.add_argument(
        "--service-url",
        action="append",
        default=[],
        type=_service_url,
        metavar="SERVICE=URL",
        help="where one service is, overriding --base-url (distributed mode: one per service); "
        f"SERVICE is one of {', '.join(SERVICE_NAMES)}",
    )
    command.add_argument(
        "--token",
        help=f"a municipal_officer's bearer token for the tenant (default: ${TOKEN_VARIABLE}; embedded mode "
        "without one mints one with the local signing key, as mint-token does)",
    )
    command.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer")


async def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Assemble and write the table; 0 when both files are written, 1 (and no file) otherwise.
    What it has to say goes to `out` and `err` (standard output and error by default)."""
    out, err = out or sys.stdout, err or sys.stderr
    year = FiscalYear(args.fiscal_year)
    locations = {name: args.base_url for name in SERVICE_NAMES} | dict(args.service_url)
    try:
        token = _token(args, settings)
        async with httpx.AsyncClient(transport=transport, timeout=args.timeout) as client:
            table = await collect(client, locations=locations, tenant_id=args.tenant, year=year, token=token)
        csv_name, xlsx_name = f"{table.file_stem}.csv", f"{table.file_stem}.xlsx"
        written = write_whole(args.out, {csv_name: to_csv(table), xlsx_name: to_workbook(table)})
    except (ServiceUnavailable, CommandFailed) as error:
        print(f"エラー: {error}\nファイルは書いていません。 No file was written.", file=err)
        return 1
    except OSError as error:
        print(f"エラー: ファイルを書けません。 Could not write the files: {error}", file=err)
        return 1
    _report(table, written, out, err)
    return 0


def _report(table: AnnualTable, written: list[Path], out: TextIO, err: TextIO) -> None:
    for source in table.sources:
        rows = f", {source.rows} 行 (rows)" if source.rows else ""
        print(f"{source.service}: {OUTCOME_LABELS[source.outcome]}{rows}", file=out)
    for path in written:
        print(f"wrote {path}", file=out)
    missing = outside_cp932(table)
    if missing:
        print(
            "注意: cp932 にない文字を CSV では〓と書きました（Excel のブックには元のまま）: "
            f"{''.join(sorted(missing))}\n"
            "note: characters cp932 lacks are written as 〓 in the CSV (the workbook keeps them)",
            file=err,
        )


def _token(args: argparse.Namespace, settings: Settings) -> str:
    given: str | None = args.token or os.environ.get(TOKEN_VARIABLE)
    if given:
        return given
    if settings.run_mode != "embedded":
        raise CommandFailed(
            f"トークンがありません。市町村職員のトークンを --token か {TOKEN_VARIABLE} で渡してください。",
            f"No token: pass a municipal_officer's token with --token or {TOKEN_VARIABLE} "
            "(distributed mode takes the identity provider's).",
        )
    key_file = settings.data_dir / "keys" / LOCAL_KEY_NAME
    if not key_file.exists():
        raise CommandFailed(
            f"署名鍵 {key_file} がありません。サーバーと同じ DATA_DIR で実行してください。",
            f"No local signing key at {key_file}: run with the server's DATA_DIR, or pass --token.",
        )
    return mint(
        load_or_create_local_key(settings.data_dir),
        subject="annual-table",
        tenant_id=args.tenant,
        organisation_id=args.tenant,
        roles=[Role.municipal_officer.value],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        lifetime_seconds=600,
    )


def _tenant(text: str) -> str:
    if not valid_local_government_code(text):
        raise argparse.ArgumentTypeError(
            f"{text} is not a local government code (6 digits with its check digit)"
        )
    return text


def _fiscal_year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a year") from None
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"{year}: a fiscal year between 2000 and 2100")
    return year


def _service_url(text: str) -> tuple[str, str]:
    name, separator, url = text.partition("=")
    if not separator or name not in SERVICE_NAMES or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(
            f"{text!r}: SERVICE=URL with SERVICE one of {', '.join(SERVICE_NAMES)}, e.g. intake=http://127.0.0.1:8001"
        )
    return name, url
