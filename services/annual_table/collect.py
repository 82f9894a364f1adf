"""Asking every service for its fiscal-year figures over HTTP (httpx; the caller owns the client).

Which services publish figures is read, not listed: the OpenAPI document at each service's URL
(`/openapi.json`: the embedded app's holds every service it hosts) has `GET /<service>/v1/figures`
for those that do. A service there without that path, or not there at all, is a source that
provided nothing; a service that should answer and does not (no connection, 5xx, 401/403, an answer
for another municipality or year) stops the whole table: `ServiceUnavailable`, in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from services.annual_table.table import AnnualTable, Outcome, Source, assemble
from shared.figures import Figures, FiscalYear

FIGURES_PATH = re.compile(r"^/(?P<service>[a-z][a-z0-9_]*)/v1/figures$")
PURPOSE = quote("年度の実績表の作成")  # X-Access-Purpose, percent-encoded UTF-8


class ServiceUnavailable(Exception):
    """A service whose figures the table needs did not give them."""

    def __init__(self, services: list[str], url: str, ja: str, en: str) -> None:
        self.services, self.url, self.ja, self.en = services, url, ja, en
        names = ", ".join(services)
        super().__init__(
            f"{names} の年度の実績を取得できませんでした（{url}: {ja}）。\n"
            f"Could not get the figures of {names} ({url}: {en})."
        )


def _now() -> datetime:
    return datetime.now(UTC)


async def collect(
    client: httpx.AsyncClient,
    *,
    locations: Mapping[str, str],
    tenant_id: str,
    year: FiscalYear,
    token: str,
    clock: Callable[[], datetime] = _now,
) -> AnnualTable:
    """The table of `tenant_id` for `year`, from the services at `locations` (name → base URL, in
    the order the table lists them) and any other service their OpenAPI documents show figures of."""
    bases = {name: url.rstrip("/") for name, url in locations.items()}
    documents: dict[str, tuple[str, datetime, set[str]]] = {}
    for base in dict.fromkeys(bases.values()):
        documents[base] = await _paths(client, base, [n for n, b in bases.items() if b == base], clock)
    for base, (_, _, paths) in documents.items():
        for path in sorted(paths):
            match = FIGURES_PATH.match(path)
            if match and match["service"] not in bases:
                bases[match["service"]] = base
    answers: list[Figures] = []
    sources: list[Source] = []
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "X-Access-Purpose": PURPOSE}
    for service, base in bases.items():
        openapi_url, asked_at, paths = documents[base]
        if f"/{service}/v1/figures" not in paths:
            hosted = any(p.startswith(f"/{service}/") for p in paths)
            outcome = Outcome.no_figures if hosted else Outcome.not_served
            sources.append(Source(service=service, url=openapi_url, asked_at=asked_at, outcome=outcome))
            continue
        url = f"{base}/{service}/v1/figures"
        asked_at = clock()
        figures = await _figures(client, service, url, headers, year)
        if figures.tenant_id != tenant_id or figures.fiscal_year != year.year:
            raise ServiceUnavailable(
                [service],
                url,
                f"別の市町村または年度の実績が返されました（{figures.tenant_id}、{figures.fiscal_year}年度）。"
                "トークンの市町村を確認してください",
                f"it answered for another municipality or year ({figures.tenant_id}, "
                f"FY{figures.fiscal_year}); check the token's tenant",
            )
        answers.append(figures.model_copy(update={"service": service}))
        sources.append(
            Source(
                service=service, url=url, asked_at=asked_at, outcome=Outcome.answered, rows=len(figures.rows)
            )
        )
    return assemble(tenant_id, year, answers, sources)


async def _paths(
    client: httpx.AsyncClient, base: str, services: list[str], clock: Callable[[], datetime]
) -> tuple[str, datetime, set[str]]:
    """The OpenAPI document's URL at `base`, when it was asked, and the GET paths it lists."""
    url = f"{base}/openapi.json"
    asked_at = clock()
    response = await _get(client, services, url, {})
    try:
        paths: Any = response.json()["paths"]
        return url, asked_at, {path for path, operations in paths.items() if "get" in operations}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ServiceUnavailable(
            services, url, "OpenAPI 文書として読めません", f"not an OpenAPI document ({error!r})"
        ) from error


async def _figures(
    client: httpx.AsyncClient, service: str, url: str, headers: dict[str, str], year: FiscalYear
) -> Figures:
    response = await _get(
        client, [service], url, headers, params={"fiscal_year": year.year, "format": "json"}
    )
    try:
        return Figures.model_validate_json(response.content)
    except ValidationError as error:
        raise ServiceUnavailable(
            [service],
            url,
            "応答が年度の実績の形式ではありません",
            f"the answer is not figures ({error.error_count()} errors)",
        ) from error


async def _get(
    client: httpx.AsyncClient,
    services: list[str],
    url: str,
    headers: dict[str, str],
    params: dict[str, str | int] | None = None,
) -> httpx.Response:
    try:
        response = await client.get(url, headers=headers, params=params)
    except httpx.TimeoutException as error:
        raise ServiceUnavailable(
            services, url, "応答がありません（時間切れ）", f"no answer in time ({error!r})"
        ) from error
    except httpx.HTTPError as error:
        raise ServiceUnavailable(services, url, "接続できません", f"could not connect ({error!r})") from error
    if response.status_code == 200:
        return response
    raise ServiceUnavailable(services, url, *_why(response))


def _why(response: httpx.Response) -> tuple[str, str]:
    status = response.status_code
    detail = _problem_detail(response)
    if status == 401:
        return (
            f"認証できません（401）。トークンを確認してください{detail}",
            f"the token was refused (401){detail}",
        )
    if status == 403:
        return (
            f"権限がありません（403）。市町村職員（municipal_officer）のトークンが必要です{detail}",
            f"forbidden (403): a municipal_officer's token is needed{detail}",
        )
    if status >= 500:
        return f"サーバーエラー（{status}）{detail}", f"server error ({status}){detail}"
    return f"予期しない応答（{status}）{detail}", f"unexpected answer ({status}){detail}"


def _problem_detail(response: httpx.Response) -> str:
    """The problem document's title, if the answer is one (RFC 9457)."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    text = body.get("detail") or body.get("title") if isinstance(body, dict) else None
    return f": {text}" if isinstance(text, str) and text else ""
