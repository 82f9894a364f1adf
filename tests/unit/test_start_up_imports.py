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


# Loaded by the paths that need them: a migration to run or write (Alembic, Mako under it), an
# HSDS document to validate (jsonschema), a spreadsheet to write (openpyxl).
ONLY_WHEN_NEEDED = ("alembic", "mako", "jsonschema", "openpyxl")


def test_importing_the_embedded_app_leaves_the_rare_paths_libraries_unloaded() -> None:
    loaded = _after_import("services.embedded", f"[m for m in {ONLY_WHEN_NEEDED!r} if m in sys.modules]")
    assert loaded == []


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


def test_starting_the_embedded_app_on_a_new_and_on_an_up_to_date_data_dir_needs_no_alembic(
    tmp_path: Path,
) -> None:
    # New databases are made from the models and stamped; up-to-date ones are left as they are.
    # Alembic is imported only when a revision has to run (shared/migrations.py).
    start = (
        "import asyncio, os, sys\n"
        f"os.environ.update(RUN_MODE='embedded', DATA_DIR={str(tmp_path)!r}, LOAD_DEMO_DATA='false')\n"
        "from services.embedded import create_app\n"
        "async def start():\n"
        "    app = create_app()\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(start())\n"
        "print(json.dumps(sorted(m for m in ('alembic', 'mako') if m in sys.modules)))\n"
    )
    for _ in ("new", "up to date"):
        done = subprocess.run(
            [sys.executable, "-c", "import json\n" + start],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert json.loads(done.stdout.splitlines()[-1]) == []
    assert {p.name for p in tmp_path.glob("*.db")} >= {"intake.db", "directory.db"}
