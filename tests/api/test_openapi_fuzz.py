"""Schemathesis over the whole OpenAPI document of the running system (embedded mode, a real uvicorn
process): with a valid token, no generated request may get a 5xx, a status the document does not
list for that operation, or a content type it does not declare. This is what a partner generating a
client from the document relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shared.settings import Settings
from tests.support.processes import ROOT, ServiceProcesses
from tests.support.tokens import token

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"


def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUN_MODE", "DATABASE_", "KAFKA_"))}
    env.update(DATA_DIR=str(data_dir), RATE_LIMIT_PER_MINUTE="0", LOG_LEVEL="WARNING")
    server = ServiceProcesses(["embedded"], env, tmp_path)
    server.start("embedded", app="services.embedded:app")
    try:
        server.wait_until("/readyz")
        # Every role at once, so that each operation is reached past its access rule.
        bearer = token(Settings(data_dir=data_dir), *ALL_ROLES, org="016314-town")
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "run",
                f"{server.url('embedded')}/openapi.json",
                "--header",
                f"Authorization: Bearer {bearer}",
                "--checks",
                CHECKS,
                "--max-examples",
                "5",
                "--seed",
                "20261201",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.stop_all()
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert "API Operations:" in result.stdout, report  # it did run over the document
    assert result.returncode == 0, report


ALL_ROLES = (
    "window_staff",
    "coordinator",
    "municipal_officer",
    "outreach_worker",
    "participation_worker",
    "directory_editor",
    "auditor",
    "integration",
)
