"""The OpenAPI document a front-end team generates its client from."""

from __future__ import annotations

import re


async def test_every_operation_has_a_chosen_unique_name_and_a_summary(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    names = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            name = operation.get("operationId", "")
            # FastAPI's generated ids look like "list_cases_coordination_v1_cases_get"; ours are chosen.
            assert not name.endswith(f"_{method}"), f"{method.upper()} {path} has a generated operationId"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            names.append(name)
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names)


async def test_the_docs_page_is_served(client) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
