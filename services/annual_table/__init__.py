"""One municipality's annual table (年度の実績表), assembled from every service's figures endpoint.

`python -m services.cli annual-table --tenant 016314 --fiscal-year 2025 --out DIR` asks each service
that publishes `GET /<service>/v1/figures` (the convention: shared/figures.py; which services do is
read from their OpenAPI documents) and writes a CSV in cp932 and an Excel workbook.

- `table.py`: the table itself and its CSV (pure: rows in, bytes out);
- `workbook.py`: the same table as an .xlsx workbook, with a sheet of its sources (出典);
- `files.py`: the pair written whole or not at all (temporary files, renamed);
- `collect.py`: asking the services over HTTP (httpx, any transport: tests use the ASGI app);
- `command.py`: the operator command: its flags, the token, what it prints.
"""
