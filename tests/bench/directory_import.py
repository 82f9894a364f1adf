"""CSV import rate of the directory: a 10,000-row file, validated (dry run) then applied, over HTTP in
embedded mode (`python -m tests.bench.directory_import`, part of `make bench`).

The rows are the real reference entries of 音更町, exported by the API itself, repeated with new
names and no IDs (so every row creates an entry).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import tempfile
import time
from pathlib import Path

import httpx

from services.embedded import create_app
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN
from tests.support.tokens import bearer

IMPORT = "/directory/v1/resources/import.csv"


def build_file(exported: bytes, rows: int) -> bytes:
    reader = csv.reader(io.StringIO(exported.decode("utf-8-sig")))
    header = next(reader)
    templates = list(reader)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    id_column, name_column = header.index("ID"), header.index("名称")
    version_column = header.index("版") if "版" in header else None
    for i in range(rows):
        row = list(templates[i % len(templates)])
        row[id_column] = ""
        row[name_column] = f"{row[name_column]}{i:05d}"
        if version_column is not None:
            row[version_column] = ""
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        settings = Settings(
            run_mode="embedded",
            data_dir=Path(work),
            rate_limit_per_minute=0,
            services=["directory"],
            load_demo_data=True,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers, timeout=600
            ) as http:
                exported = (await http.get("/directory/v1/resources/export.csv")).content
                body = build_file(exported, rows)
                csv_headers = {"Content-Type": "text/csv; charset=utf-8"}
                started = time.perf_counter()
                dry = await http.post(IMPORT, params={"dry_run": "true"}, content=body, headers=csv_headers)
                dry_seconds = time.perf_counter() - started
                assert dry.status_code == 200, dry.text[:500]
                started = time.perf_counter()
                applied = await http.post(
                    IMPORT, params={"dry_run": "false"}, content=body, headers=csv_headers
                )
                apply_seconds = time.perf_counter() - started
                assert applied.status_code == 200, applied.text[:500]
    print(f"CSV import of {rows} rows ({len(body) / 1e6:.1f} MB), embedded mode (SQLite):")
    print(f"  dry run (parse + validate + plan): {dry_seconds:6.1f} s  = {rows / dry_seconds:8.0f} rows/s")
    print(
        f"  apply (one transaction):           {apply_seconds:6.1f} s  = {rows / apply_seconds:8.0f} rows/s"
    )
    print(f"  result: {applied.json()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().rows))
