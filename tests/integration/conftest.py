"""The distributed suite: real PostgreSQL (asyncpg) and a real Apache Kafka broker.

PostgreSQL must be reachable (TEST_POSTGRES_ADMIN_DSN, default postgres@127.0.0.1:5432); the broker
(Apache Kafka 4.1, KRaft, jars from Maven Central) is started here on the machine's JDK. Nothing is
skipped when they are missing: the suite fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.support.brokers import KafkaBroker, apache_kafka, postgres_database
from tests.support.tokens import identity_provider_key


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.distributed)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """One broker for the session. A test that stops or kills it must start it again before it ends."""
    with apache_kafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    return kafka_broker.bootstrap


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
        # A namespace per test keeps topics and consumer groups of other tests out of the way.
        "kafka_namespace": f"t{uuid.uuid4().hex[:10]}.",
        # Fewer partitions than the default 6 to create and assign for every test's topics.
        "kafka_topic_partitions": 3,
        # A member that goes away without leaving (a crash, a fault test) is noticed within a second
        # or two, not ten. Below the broker's default floor of 6 s: the test broker allows 500 ms
        # (group.min.session.timeout.ms in tests/support/brokers.py).
        "kafka_session_timeout_ms": 1000,
        "kafka_heartbeat_interval_ms": 300,
        "kafka_rebalance_timeout_ms": 1000,
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
