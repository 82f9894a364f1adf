"""Configuration from the environment: the run mode is configuration, never a code fork."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICE_NAMES: tuple[str, ...] = ("intake", "coordination", "participation", "outreach", "directory")


class Settings(BaseSettings):
    """Every knob of a service process. Each field is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    run_mode: Literal["embedded", "distributed"] = "embedded"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql+asyncpg://…); each service uses its own schema.",
    )
    kafka_bootstrap_servers: str | None = None
    # The idempotent producer (with acks=all): a retried send is never written twice or out of order.
    # Set false only for a Kafka-protocol broker that refuses it.
    kafka_enable_idempotence: bool = True
    # Prefix for topics and consumer groups, so environments can share one cluster ("staging.").
    kafka_namespace: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    # Consumer-group timings. A new group's first join waits the broker's initial rebalance delay;
    # Apache Kafka refuses session timeouts under its group.min.session.timeout.ms (6 s by default).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=500)
    kafka_heartbeat_interval_ms: int = Field(default=3_000, ge=100)
    kafka_rebalance_timeout_ms: int = Field(default=10_000, ge=500)
    # How long a fetch waits for data at most; Apache Kafka answers as soon as data arrives.
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1)
    kafka_topic_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    # Bearer tokens. Distributed mode needs a public key, a JWKS file or a JWKS URL of the
    # municipality's identity provider; embedded mode signs and verifies with a local key.
    jwt_issuer: str = "jusou-local"
    jwt_audience: str = "jusou"
    jwt_algorithms: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # Per client (bearer token, or address when there is none); 0 turns it off.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=120, ge=1)
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)
    migrate_on_start: bool = True
    # The directory's demo data from the municipalities' plans; on by default in embedded mode only.
    load_demo_data: bool | None = None
    max_request_bytes: int = Field(default=256 * 1024, ge=1024)
    # Bulk exchange (CSV and HSDS imports of a whole directory) may send more.
    max_import_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # PostgreSQL connections per service process: kept open up to the pool size, more opened for a
    # burst and closed after it. A connection idle longer than the ping interval is checked before
    # it is used (a restarted or failed-over server); one in use a moment ago is not (a round trip
    # or three saved per request).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    database_ping_after_idle_seconds: float = Field(default=5.0, ge=0)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1)
    # How long one publish may take before the relay gives up on it and retries (a broker away).
    outbox_publish_timeout_seconds: float = Field(default=10.0, gt=0)
    # Housekeeping (shared/messaging/housekeeping.py); the audit trail is never purged by it.
    housekeeping_interval_seconds: float = Field(default=3600.0, gt=0)
    # How often coordination looks for monitoring dates that passed unrecorded (MonitoringOverdue).
    monitoring_check_interval_seconds: float = Field(default=3600.0, gt=0)
    # How often each service's sequencer links new audit entries into its hash chain (shared/audit.py).
    audit_link_interval_seconds: float = Field(default=0.5, gt=0)
    outbox_retention_days: float = Field(default=7.0, ge=0)
    inbox_retention_days: float = Field(default=30.0, ge=1)
    idempotency_retention_hours: float = Field(default=24.0, gt=0)
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_retry_backoff_seconds: float = Field(default=0.05, ge=0)
    log_level: str = "INFO"
    # What an operator sees (shared/observability/, README "Operating it"). Log lines as JSON (one
    # object a line, with request and trace ids) or readable text; by default JSON in distributed
    # mode, text in embedded mode.
    log_format: Literal["json", "text"] | None = None
    # Request latency histograms per operation (the /metrics endpoint is there either way).
    metrics_enabled: bool = True
    # W3C trace context through HTTP and the events; spans leave the process only with an exporter.
    tracing_enabled: bool = True
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    # The services this process hosts; empty means all five (embedded) or the one named by the app.
    services: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("jwt_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("services", mode="before")
    @classmethod
    def _split_services(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("services")
    @classmethod
    def _known_services(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SERVICE_NAMES))
        if unknown:
            raise ValueError(f"unknown services: {', '.join(unknown)}")
        return value

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" if self.log_format is not None else self.run_mode == "distributed"

    @property
    def loads_demo_data(self) -> bool:
        return self.load_demo_data if self.load_demo_data is not None else self.run_mode == "embedded"

    def require_distributed(self) -> None:
        """Distributed mode must be pointed at real servers; refuse to guess."""
        if self.run_mode != "distributed":
            return
        missing = [
            name
            for name, value in (
                ("DATABASE_URL", self.database_url),
                ("KAFKA_BOOTSTRAP_SERVERS", self.kafka_bootstrap_servers),
            )
            if not value
        ]
        if missing:
            raise RuntimeError(f"RUN_MODE=distributed needs {' and '.join(missing)}")
        assert self.database_url is not None
        if not self.database_url.startswith("postgresql+asyncpg://"):
            raise RuntimeError("DATABASE_URL must be a postgresql+asyncpg:// URL in distributed mode")


@lru_cache
def get_settings() -> Settings:
    return Settings()
