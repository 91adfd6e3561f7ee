"""Configuration: a `Config` read from the environment, and `TestConfig` beside it.

Secrets come only from the environment or from files in `instance/` that the app writes the
first time it needs them (never committed): importing this module writes nothing. Every
setting is listed in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("MSPWEB_INSTANCE_PATH", BASE_DIR / "instance"))


def instance_secret(name: str, factory=lambda: secrets.token_urlsafe(48)) -> str:
    """Read the secret `name` from `instance/`, creating it (mode 0600) on first use.

    The file appears atomically (written aside, then hard-linked into place), so processes
    starting together all end up with the same value.
    """
    path = INSTANCE_DIR / name
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    scratch = INSTANCE_DIR / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(factory())
    try:
        os.link(scratch, path)
    except FileExistsError:
        pass  # another process won the race: everyone uses its value
    finally:
        scratch.unlink()
    return path.read_text().strip()


def database_url(raw: str | None) -> str:
    """Normalise `DATABASE_URL` for SQLAlchemy (psycopg 3); default to SQLite in instance/."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'mspweb.db'}"
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for running the console, read from the environment when the class is built."""

    #: None: `create_app` reads (or creates, once) `instance/secret_key`.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: PostgreSQL: parallel workers a query of the console may start (the server's
    #: max_parallel_workers_per_gather for its connections); -1 keeps the server's setting.
    DATABASE_PARALLEL_WORKERS = int(os.environ.get("DATABASE_PARALLEL_WORKERS", "0"))
    #: None: the embedded Redis that `make run` starts and publishes in `instance/redis.url`.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    EMBEDDED_REDIS_PATH = str(INSTANCE_DIR / "redis.db")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "mspweb")
    SYNC_JOB_TIMEOUT = int(os.environ.get("SYNC_JOB_TIMEOUT", "3600"))
    SYNC_STALE_AFTER = int(os.environ.get("SYNC_STALE_AFTER", "120"))
    SYNC_DB_RETRY_SECONDS = float(os.environ.get("SYNC_DB_RETRY_SECONDS", "15"))
    #: PostgreSQL: ANALYZE the synced tables after a sync that wrote this many rows (0: never).
    SYNC_ANALYZE_AFTER_ROWS = int(os.environ.get("SYNC_ANALYZE_AFTER_ROWS", "10000"))
    DAILY_SYNC_HOUR = int(os.environ.get("DAILY_SYNC_HOUR", "2"))
    #: Move what start-up built out of the cyclic collector's sight (gc.freeze, see create_app).
    GC_FREEZE_AT_START = os.environ.get("GC_FREEZE_AT_START", "true").lower() in ("1", "true")
    PORTAL_MAX_CALLS_PER_SECOND = float(os.environ.get("PORTAL_MAX_CALLS_PER_SECOND", "10"))
    FERNET_KEYS = os.environ.get("MSPWEB_FERNET_KEYS") or None  # comma-separated, newest first
    CUSTOMER_SESSION_MINUTES = int(os.environ.get("CUSTOMER_SESSION_MINUTES", "15"))
    #: Session lifetimes (issue 15): idle minutes for staff; absolute hours per role.
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "60"))
    STAFF_SESSION_HOURS = float(os.environ.get("STAFF_SESSION_HOURS", "12"))
    CUSTOMER_SESSION_HOURS = float(os.environ.get("CUSTOMER_SESSION_HOURS", "12"))
    LICENSES_PER_PAGE = int(os.environ.get("LICENSES_PER_PAGE", "50"))
    #: Days the change log keeps its records (company renames are kept for tag drift).
    CHANGE_RETENTION_DAYS = int(os.environ.get("CHANGE_RETENTION_DAYS", "400"))
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour")
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get(
        "LOGIN_ADDRESS_RATE_LIMIT", "30 per minute;200 per hour"
    )
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "mspweb-limits"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Production defaults (issue 15): a database server is configured, so not the embedded
    #: default of `make run`; then the session cookie is Secure unless turned off explicitly.
    PRODUCTION_DEFAULTS = bool(os.environ.get("DATABASE_URL"))
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", PRODUCTION_DEFAULTS)
    #: Behind a reverse proxy: trust one hop of X-Forwarded-For/-Proto/-Host/-Port (ProxyFix),
    #: so HTTPS is recognised (HSTS, secure redirects) and throttling sees the client address.
    TRUST_PROXY_HEADERS = _bool("TRUST_PROXY_HEADERS", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    #: Outgoing mail (scheduled reports, alert digests): see `mspweb.mail`.
    MAIL_HOST = os.environ.get("MAIL_HOST") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 0) or None
    MAIL_TLS = os.environ.get("MAIL_TLS", "starttls")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "mspweb@localhost")
    #: The JSON API and webhooks (issue 13): per-token rate limit; hosts that may receive
    #: webhooks over plain http or at private/loopback addresses (comma-separated).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    WEBHOOK_ALLOWED_HOSTS = os.environ.get("WEBHOOK_ALLOWED_HOSTS", "")
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
    # -- reports (issue 10) --
    #: How many months back the usage backfill reads (besides the current month).
    USAGE_BACKFILL_MONTHS = int(os.environ.get("USAGE_BACKFILL_MONTHS", "13"))
    #: UTC hour of the 1st from which the monthly report mail of each account is queued.
    REPORT_DELIVERY_HOUR = int(os.environ.get("REPORT_DELIVERY_HOUR", "6"))


class TestConfig(Config):
    """Settings for the test suite: the same stack, with its own database and Redis."""

    TESTING = True
    GC_FREEZE_AT_START = False  # the suite builds apps all along: leave its garbage collectable
    SECRET_KEY = "test-secret-key-not-for-production"
    SESSION_COOKIE_SECURE = False
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_ADDRESS_RATE_LIMIT = "1000 per minute"
    SYNC_STALE_AFTER = 30
