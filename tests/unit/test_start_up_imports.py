"""What importing the embedded app does not do: work that only a rare path, or another way of
running, needs is left until then (issue 12: cold start). Each check runs in a fresh interpreter,
since this test process has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _after_import(module: str, probe: str) -> object:
    """The JSON value of `probe` evaluated in a fresh interpreter just after `import <module>`."""
    code = f"import json, sys, {module}\nprint(json.dumps({probe}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_embedded_app_builds_no_service_app_of_its_own() -> None:
    # `uvicorn services.<name>.app:app` still finds its app: built on first access.
    built = _after_import(
        "services.embedded",
        "[n for n in ('intake', 'coordination', 'participation', 'outreach', 'directory') "
        "if 'app' in vars(sys.modules[f'services.{n}.app'])]",
    )
    assert built == []


def test_a_service_module_builds_its_app_when_asked_for_it_once() -> None:
    assert _after_import(
        "services.outreach.app",
        "[type(sys.modules['services.outreach.app'].app).__name__, "
        "sys.modules['services.outreach.app'].app is vars(sys.modules['services.outreach.app'])['app']]",
    ) == ["FastAPI", True]
