"""Configuration from environment variables: `DATABASE_URL`, `REDIS_URL` and `PARTNERPULSE_*`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARTNERPULSE_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "PARTNERPULSE_DATABASE_URL"),
        description="PostgreSQL DSN; unset: `dev` and the tests start an embedded server.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "PARTNERPULSE_REDIS_URL"),
        description="Redis URL (redis://, rediss:// or unix://); unset: an embedded server.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Where the embedded servers keep their data.")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    graphiql: bool = Field(default=True, description="Serve GraphiQL to browsers at /graphql.")
    dashboard: bool = Field(default=True, description="Serve the ecosystem manager's dashboard at /.")
    metrics: bool = Field(
        default=True, description="Serve Prometheus metrics at /metrics (keep it off the public internet)."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (JSON list).")

    # abuse limits (each answered with a clear error before any resolver runs)
    max_query_depth: int = Field(default=15, ge=1, description="Deepest nesting of fields.")
    max_aliases: int = Field(default=30, ge=0, description="Aliases in one document.")
    max_tokens: int = Field(default=3000, ge=1, description="Lexical tokens in one document.")
    max_query_cost: int = Field(default=10_000, ge=1, description="Objects an operation could return (nodes).")
    max_body_bytes: int = Field(default=100_000, ge=1, description="Largest request body.")
    max_batch_operations: int = Field(default=10, ge=1, description="Operations in one batched (JSON array) request.")
    websocket_init_seconds: float = Field(
        default=10, gt=0, description="A WebSocket without connection_init is closed (4408) after this long."
    )
    max_subscriptions_per_token: int = Field(
        default=20, ge=1, description="Live subscriptions one token may hold open in one API process."
    )
    introspection: bool = Field(default=True, description="Allow schema introspection (switch off in production).")
    trusted_documents_only: bool = Field(
        default=False, description="Run only the registered documents (api/documents.json), by documentId or text."
    )
    compiled_execution: bool = Field(
        default=True, description="Run query documents from plans made once (schema/compiled.py), not graphql-core."
    )
    request_timeout: float = Field(default=15.0, gt=0, description="Deadline of one HTTP request, seconds.")
    db_acquire_timeout: float = Field(default=3.0, gt=0, description="Longest wait for a pool connection.")

    token_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a checked token is trusted without a lookup: a revoked token may "
        "work this much longer. 0: look the token up on every request.",
    )
    rate_limits: bool = Field(default=True, description="Rate limits per token (per address without one).")
    rate_requests_per_minute: int = Field(default=600, ge=1, description="Any request.")
    rate_mutations_per_minute: int = Field(default=120, ge=1, description="Mutations, on top.")
    rate_submissions_per_minute: int = Field(default=30, ge=1, description="submitSurveyResponse, on top.")

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    db_pool_min_size: int = Field(default=2, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    db_command_timeout: float = Field(default=10.0, gt=0, description="Client-side timeout of one query (s).")
    db_statement_timeout_ms: int = Field(default=5000, ge=0, description="Server-side statement_timeout.")
    db_connect_timeout: float = Field(default=5.0, gt=0)
    startup_wait_seconds: float = Field(
        default=300,
        ge=0,
        description="How long `serve` and `worker` wait, retrying with backoff, for PostgreSQL and Redis that are "
        "not reachable at start-up before they give up (the API serves 503 and /readyz meanwhile).",
    )

    worker_job_timeout: int = Field(
        default=60, ge=1, description="Seconds a job may run; a killed worker's job is redone this + 10 s later."
    )
    shutdown_grace_seconds: int = Field(
        default=20,
        ge=1,
        description="After SIGTERM, how long the API lets in-flight requests and the worker its running jobs "
        "finish; a job still running then is cancelled and runs again later.",
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Address people reach the service at; e-mailed links start with it.",
    )
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^smtps?://",
        description="Mail server: smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465 "
        "(implicit TLS). Unset: mails wait in the outbox (`partnerpulse dev` starts a development server).",
    )
    mail_from: str = Field(default="PartnerPulse <noreply@localhost>", description="Sender of the e-mails.")
    mail_batch_size: int = Field(default=100, ge=1, description="Mails the worker sends over one SMTP connection.")
    mail_retry_max_seconds: int = Field(
        default=3600, ge=1, description="Longest wait between two attempts to send a mail (backoff doubles up to it)."
    )

    sign_in_link_minutes: float = Field(default=15, gt=0, description="How long an e-mailed sign-in link works (once).")
    session_days: float = Field(default=14, gt=0, description="How long a person's session lasts after sign-in.")
    rate_sign_in_links_per_address: int = Field(
        default=5, ge=1, description="Sign-in links one e-mail address may be sent per hour (rate limits on)."
    )
    rate_sign_in_links_per_client: int = Field(
        default=20, ge=1, description="Sign-in links one client address may ask for per hour (rate limits on)."
    )

    survey_reminder_days: str = Field(
        default="3,5",
        pattern=r"^\s*(\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*)?$",
        description="Days after a round opened on which contact persons of organizations that have not answered "
        "are reminded, comma-separated, ascending; fractions allowed (0.5: twelve hours); empty: no reminders.",
    )

    redis_namespace: str = Field(
        default="partnerpulse",
        pattern=r"^[a-z0-9_-]{1,40}$",
        description="Prefix of the queue, job ids, event channel and cron keys, so that several deployments "
        "(or test runs) can share one Redis.",
    )

    min_group_size: int = Field(
        default=3, ge=2, description="Plain partners see numbers only where this many organizations stand behind them."
    )

    # risk rules (docs/design.md, "Risk rules"; measured by `python -m bench.flags`)
    rule_low_satisfaction: float = Field(
        default=2.5, description="LOW_SATISFACTION: the estimated overall level is likely ≤ this."
    )
    rule_decline_slope: float = Field(
        default=-0.3, description="DECLINING_SATISFACTION: at least MEDIUM when the slope per round is ≤ this."
    )
    rule_decline_drop: float = Field(
        default=1.0,
        description="DECLINING_SATISFACTION: HIGH from this fall; EARLY_SIGNAL: first answers this far below.",
    )
    rule_decline_margin: float = Field(
        default=0.3, gt=0, description="DECLINING_SATISFACTION: the level likely fell by more than this."
    )
    rule_satisfaction_gap: float = Field(
        default=1.0, description="SATISFACTION_GAP: a partner likely rates more than this below the others."
    )
    rule_silent_rounds: int = Field(default=3, ge=1, description="SILENT_PARTNER: closed rounds without an answer.")
    rule_silent_chance: float = Field(
        default=0.003, gt=0, lt=1, description="SILENT_PARTNER: missing them by chance is at most this likely."
    )
    rule_response_rate_chance: float = Field(
        default=0.002, gt=0, lt=1, description="RESPONSE_RATE_DROP: this few answers by chance at most this likely."
    )
    rule_unmet_expectations: float = Field(
        default=2.0, description="UNMET_EXPECTATIONS: the estimated expectations level is likely ≤ this."
    )
    rule_no_exit_plan_days: int = Field(default=90, ge=1, description="NO_EXIT_PLAN: days ACTIVE without a plan.")
    rule_stalled_days: int = Field(default=60, ge=1, description="STALLED: days in a phase before ACTIVE.")
    rule_raise_probability: float = Field(
        default=0.95, gt=0.5, lt=1, description="A statistical rule raises its flag at this probability."
    )
    rule_resolve_probability: float = Field(
        default=0.5, gt=0, lt=1, description="… and resolves it only below this one (hysteresis)."
    )
    rule_open_round_quorum: float = Field(
        default=0.75, gt=0, le=1, description="An open round counts once this share of its expected answers is in."
    )
    rule_answer_noise: float = Field(
        default=0.9, gt=0, description="Standard deviation of one answer around its group's level (1-5 scale)."
    )
    rule_level_drift: float = Field(
        default=0.8, gt=0, description="How far a level may move from the rounds before in one round (shrinkage)."
    )
    rule_portfolio_spread: float = Field(
        default=0.6, gt=0, description="Spread of project levels around the portfolio's (prior of first rounds)."
    )

    @property
    def reminder_offsets_seconds(self) -> list[float]:
        days = sorted(float(part) for part in self.survey_reminder_days.split(",") if part.strip())
        return [day * 86400 for day in days]

    @property
    def queue_name(self) -> str:
        return f"{self.redis_namespace}:queue"

    @property
    def events_channel(self) -> str:
        return f"{self.redis_namespace}:risk-flags"


@lru_cache
def get_settings() -> Settings:
    return Settings()
