"""The load bench (issue 12): a coordinator/window workload against the running system, beside the floors.

`python -m tests.bench.load` (part of `make bench`) starts, one after the other:

* **embedded**: `uvicorn services.embedded:app` (one worker) on a fresh DATA_DIR;
* **distributed**: the five services as uvicorn processes on a fresh PostgreSQL database and an
  Apache Kafka broker (`--skip-distributed` leaves it out, and the table says so);

each with the floor app beside it (tests/bench/load/floor_app.py: a trivial FastAPI endpoint and one
SELECT through the same driver). It seeds consultations, cases, assignments and plans through the
API, then measures over loopback, every connection sending back to back:

* the floors at every number of connections used;
* the mix of a working day (workload.py: audited reads, lists at a page of 20, directory search, FY
  figures, a few writes) at 1, 8 and 32 connections;
* each endpoint class alone at 8 connections (the issue's goals are per class at 8);
* 20 coordinators at their screens at once (work list, monitoring due, cases, figures);
* embedded: the RSS of the server after the run (`--requests-for-rss 100000` drives the mix until
  that many requests were sent), and the cold start to `/readyz`, fresh and on a restart.

It prints the table (req/s, p50, p95, p99, ratio to the one-query floor) and the issue's goals with
met / not met, and writes `bench-results/load-<timestamp>.json`, `load-latest.json` and the plot
`load-latest.png`. A missed goal never fails the run; a target that could not run does (exit 1).

Modules: workload.py (what is sent, and the seeding), wire.py (a lean HTTP/1.1 client), runner.py
(connections sending for a while), targets.py (the processes), stats.py and report.py (pure parts).
"""
