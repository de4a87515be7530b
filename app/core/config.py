"""Settings, read once from the environment (prefix SIH_) and an optional .env file."""

from functools import lru_cache
from typing import Literal

from limits import parse
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused in production below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIH_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # DATABASE_URL without prefix too, as every PaaS sets it that way.
    database_url: str = Field(
        default="sqlite:///./data/sih.db",
        validation_alias=AliasChoices("SIH_DATABASE_URL", "DATABASE_URL"),
    )
    db_pool_size: int = 10
    # PostgreSQL connections of the hot reads (core/reads.py), per process, beside the pool above.
    db_read_pool_size: int = 8
    db_pool_timeout_seconds: float = 5.0
    db_statement_timeout_ms: int = 15_000

    secret_key: str = DEV_SECRET
    # JSON object {kid: PEM private key}; the active kid signs, every listed key verifies.
    jwt_private_keys: str = ""
    jwt_active_kid: str = ""
    # JSON object {kid: PEM public key} of retired keys that still verify during rotation.
    jwt_retired_public_keys: str = ""
    jwt_issuer: str = "school-improvement-hub"
    jwt_audience: str = "school-improvement-hub-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    max_json_body_bytes: int = 1024 * 1024
    # Imports (POST /imports/{kind}) stream their bodies, so they get their own, larger cap.
    max_import_body_bytes: int = 50 * 1024 * 1024
    # Bodies larger than this (or of unknown length) are spooled to disk and run as a job.
    import_job_threshold_bytes: int = 2 * 1024 * 1024
    # Where job bodies wait for their worker; empty: the system's temporary directory.
    import_spool_dir: str = ""
    # Imports running at once (jobs and files answered at once, dry runs too): per caller, and
    # per process (at most db_pool_size / 2: each holds two connections); beyond, 429.
    import_jobs_per_caller: int = Field(default=2, ge=1)
    import_jobs_per_process: int = Field(default=4, ge=1)
    auth_rate_limit_per_ip: int = 30
    auth_rate_limit_per_account: int = 10
    auth_rate_limit_window_seconds: int = 60
    # Every authenticated request, per caller (identity/request_limits.py): "N/second|minute|hour",
    # or empty for none. Counted per process unless the storage is shared (redis://...).
    rate_limit_per_principal: str = "1200/minute"
    rate_limit_storage_uri: str = "memory://"
    # What one caller may keep in the Idempotency-Key store over 24 hours (core/idempotency.py):
    # keys, and bytes of stored answers; a new key beyond either is refused with 429.
    idempotency_keys_per_caller_per_day: int = Field(default=20_000, ge=1)
    idempotency_bytes_per_caller_per_day: int = Field(default=64 * 1024 * 1024, ge=1)

    cors_origins: list[str] = []
    cors_allow_credentials: bool = False

    # What the server shows to someone without a token. The documentation pages (/docs,
    # /redoc): on by default, off by default in production. /metrics: with a token set, only
    # for `Authorization: Bearer <token>`; in production without one, not served (404).
    docs_enabled: bool | None = None
    metrics_token: SecretStr | None = None

    log_level: str = "INFO"
    log_json: bool = True

    @property
    def serves_docs(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != "production"

    @field_validator("rate_limit_per_principal")
    @classmethod
    def _a_rate_rule(cls, rule: str) -> str:
        if rule.strip() and parse(rule).amount < 1:  # one rule, "1200/minute"; parse raises on others
            raise ValueError("a rate of 0 would refuse every request: leave it empty for no limit")
        return rule.strip()

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> "Settings":
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
            problems.append("SIH_SECRET_KEY must be set to a random value of 32+ characters")
        if not self.jwt_private_keys or not self.jwt_active_kid:
            problems.append("SIH_JWT_PRIVATE_KEYS and SIH_JWT_ACTIVE_KID must be set")
        if self.database_url.startswith("sqlite"):
            problems.append("production runs on PostgreSQL: set DATABASE_URL")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _no_wildcard_with_credentials(self) -> "Settings":
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError("CORS: a wildcard origin cannot be combined with credentials")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
