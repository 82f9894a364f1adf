"""The Apache Kafka jars of the distributed suite, fetched once from Maven Central with `mvn`.

`kafka_libs()` returns a folder of jars for `java -cp "<folder>/*"`. The first call copies the runtime
dependencies of `pom.xml` there (about 40 s, then cached in ~/.m2 as well); later calls only check the
marker file written after a complete copy. A file lock keeps parallel processes from fetching twice.

The folder is `$KAFKA_LIBS_DIR` when set, else `$XDG_CACHE_HOME/jusou-kafka-<version>/libs`
(`~/.cache/...`). It belongs to this step: a folder there without the marker is replaced.
`python -m tests.support.kafka` fetches ahead of the tests (`.ci/run` does).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

KAFKA_VERSION = "4.1.1"
POM = Path(__file__).with_name("pom.xml")
MARKER = ".jusou-complete"
# What the marker records: a folder fetched for another pom is fetched again.
_FETCHED = f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION}"
_MVN_TIMEOUT_SECONDS = 900


def libs_dir() -> Path:
    configured = os.environ.get("KAFKA_LIBS_DIR")
    if configured:
        return Path(configured).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / f"jusou-kafka-{KAFKA_VERSION}" / "libs"


def _complete(libs: Path) -> bool:
    marker = libs / MARKER
    return marker.is_file() and marker.read_text().splitlines()[:1] == [_FETCHED]


def kafka_libs() -> Path:
    """The folder of Kafka's jars, fetched first if it is not complete."""
    libs = libs_dir()
    if _complete(libs):
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / f"{libs.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be fetching: wait for it
        if not _complete(libs):
            _fetch(libs)
    return libs


def _fetch(libs: Path) -> None:
    """Copy the jars into a fresh sibling folder, mark it complete, then move it into place."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn not found: the distributed suite fetches Apache Kafka with it (apt: maven)")
    partial = libs.with_name(f"{libs.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    # mvn runs on a copy of the pom, so it writes nothing into the repository.
    with tempfile.TemporaryDirectory(prefix="jusou-kafka-pom-") as work:
        shutil.copy(POM, Path(work) / "pom.xml")
        done = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={partial}",
                "-DincludeScope=runtime",
            ],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=_MVN_TIMEOUT_SECONDS,
            check=False,
        )
    jars = sorted(p.name for p in partial.glob("*.jar")) if partial.is_dir() else []
    if done.returncode != 0 or not any(j.startswith(f"kafka_2.13-{KAFKA_VERSION}") for j in jars):
        output = done.stdout.decode(errors="replace")[-4000:]
        raise RuntimeError(f"fetching Apache Kafka {KAFKA_VERSION} with mvn failed:\n{output}")
    (partial / MARKER).write_text("\n".join([_FETCHED, *jars]) + "\n")
    if libs.exists():
        shutil.rmtree(libs)
    partial.rename(libs)
