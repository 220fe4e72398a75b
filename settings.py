"""MediMyth's settings: read once from the environment, validated, immutable."""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urlsplit

E = TypeVar("E", bound=StrEnum)
D = TypeVar("D")

# A development-only secret: good enough to sign tokens on a laptop, refused in
# production so a deployment can never run with a key that is public on GitHub.
DEVELOPMENT_SECRET = "medimyth-development-secret-do-not-use-in-production"
# The parts of the GraphQL fast path (schema/platform/execution.py), each measured on
# its own in bench/RESULTS.md: the executor's plain fields and direct objects, and the
# direct calls of simple resolvers.
FAST_PATH_PIECES = ("executor", "lean-resolvers")
# The OTEL_TRACES_EXPORTER values app/tracing.py builds (the SDK's names for them).
OTEL_EXPORTERS = ("otlp", "console")


class SettingsError(ValueError):
    """The environment holds a setting MediMyth cannot run with."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class NotificationSender(StrEnum):
    """How the worker delivers outbox messages: to the log (development) or an HTTP gateway."""

    LOG = "log"
    WEBHOOK = "webhook"


class LogFormat(StrEnum):
    """One JSON object per line (log shippers) or a readable line (a developer's terminal)."""

    JSON = "json"
    TEXT = "text"


class ProxyHeader(StrEnum):
    """Which header a trusted proxy writes the client's address into (only that one is read)."""

    X_FORWARDED_FOR = "x-forwarded-for"
    FORWARDED = "forwarded"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Loopback only: a reverse proxy on the same host. Anything wider must be said.
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


class PoolMode(StrEnum):
    """How the app reaches PostgreSQL; decides statement caching and pooling."""

    DIRECT = "direct"
    SESSION = "session"
    TRANSACTION = "transaction"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    # Migrations may need a session-mode connection (DDL, advisory locks) even
    # when the app itself talks through a transaction pooler.
    migrations_database_url: str | None = None
    db_pool_mode: PoolMode = PoolMode.DIRECT
    # At least the requests a worker serves at once: an overflow connection is closed
    # when returned and reopened at the next burst (TLS attempt, login, statements
    # prepared again), which cost the profile page about 30% of its throughput at 5.
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout: float = 10.0
    db_statement_timeout_ms: int = 5000
    # 0.5 keeps one-letter slips in doctor search ("Asha Rrao" 0.73, "cardiolgy" 0.70,
    # "Mira Iyer" 0.60) and drops chance overlaps with unrelated descriptions (0.1 to 0.3).
    # It is set per transaction (db/session.py), so the trigram indexes serve the search.
    search_similarity_threshold: float = 0.5
    # The current key makes tokens, manage tokens and OTP hashes; the previous ones
    # (newest first) still verify what they made, so rotating signs nobody out.
    secret_key: str = DEVELOPMENT_SECRET
    secret_key_previous: tuple[str, ...] = ()
    access_token_ttl_minutes: int = 60 * 12
    # A patient's phone sign-in (verifyPhone) is short: it opens every booking of the phone.
    patient_token_ttl_minutes: int = 30
    environment: Environment = Environment.DEVELOPMENT
    default_time_zone: str = "Asia/Kolkata"
    default_country_code: str = "+91"
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # The peers whose forwarded header is believed (app/proxies.py), which header that
    # is, and how many proxies stand in front of the app: the client address every
    # limit counts is the first hop, from the right, not among them.
    trusted_proxies: tuple[Network, ...] = field(
        default_factory=lambda: _networks("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
    )
    trusted_proxy_header: ProxyHeader = ProxyHeader.X_FORWARDED_FOR
    trusted_proxy_hops: int = 1
    log_level: str = "INFO"
    # None: JSON in production, text in development.
    log_format: LogFormat | None = None
    # Request limits: what one request may cost before any resolver runs.
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    # Fields times page sizes and date ranges (schema/platform/cost.py): the frontend's
    # costliest operation is about a tenth of this; 100 doctors with 62 days of sessions is over.
    graphql_max_cost: int = 5000
    max_request_bytes: int = 64 * 1024
    # What one connection may hold before the app sees a request (app/server.py): the
    # request line and headers together (a JWT and the usual browser headers are under
    # 4 KiB; a GET query travels in the URL), and how many header fields.
    max_header_bytes: int = 32 * 1024
    max_header_count: int = 100
    # Seconds a client may take to send its request line and headers (from connecting,
    # or from the first byte of a later request on the connection), and its body.
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 30
    # gunicorn's control socket (gunicornc); None: off. Its default path is one per
    # user, so a second instance on the host would take over the first one's.
    control_socket: str | None = None
    # gunicorn's workers take turns accepting connections (app/balance.py), so keep-alive
    # clients spread evenly; off: whichever worker wakes first accepts, as gunicorn does.
    worker_balance: bool = True
    # None: on in development, off in production (introspection also governs
    # "Did you mean ...?" suggestions, which would leak the schema just the same).
    graphql_introspection: bool | None = None
    graphiql: bool | None = None
    # The execution fast path (schema/platform/execution.py); off: Strawberry's stock
    # execution. On only with the graphql-core and Strawberry versions it was verified on.
    graphql_fast_path: bool = True
    # Pieces of the fast path left out (FAST_PATH_PIECES), to measure what each buys
    # (bench/RESULTS.md); production leaves it empty.
    graphql_fast_path_without: frozenset[str] = frozenset()
    # Request budgets (app/budgets.py): requests a minute, with a burst of the same size,
    # per client address (anonymous requests) and per signed-in account; 0 turns one off.
    # 600 a minute (10 a second sustained) is far above what a person clicking through
    # the frontend sends, yet stops a flood within seconds; an account may spend twice
    # that, because a doctor's dashboard may be open on several devices at once.
    request_budget_per_address: int = 600
    request_budget_per_account: int = 1200
    notification_sender: NotificationSender = NotificationSender.LOG
    # OTP sending budgets per clock hour (resolvers/platform/otp_budgets.py), sized for a
    # small clinic network: a patient's phone needs one or two codes, a clinic's front
    # desk a handful, and the whole network rarely sends 100 in its busiest hour.
    otp_sends_per_address_per_hour: int = 10
    otp_sends_per_prefix_per_hour: int = 30
    # A prefix is the country code and this many digits after it (+91 98300: one series).
    otp_prefix_digits: int = 5
    otp_sends_per_hour: int = 300
    # Calling codes an OTP may be texted to; None: the default country code only.
    otp_allowed_country_codes: tuple[str, ...] | None = None
    notification_webhook_url: str | None = None
    notification_poll_seconds: float = 2.0
    # Where links the API hands out (calendar feed URLs) point: scheme, host and any path
    # prefix the public reaches the API at. None: the origin each request came in on.
    public_base_url: str | None = None
    # Fetches one calendar feed token may make per clock hour (a calendar app polls
    # every 5 minutes to a day; a doctor may have three devices subscribed).
    calendar_feed_requests_per_hour: int = 60
    # Webhooks (resolvers/webhooks/): how long a delivery is retried before it is FAILED,
    # which is also how long an endpoint may fail everything before it is disabled.
    webhook_retry_hours: int = 24
    # After a rotation the old secret signs as a second signature for this long, so a
    # clinic can switch its receiver to the new secret without dropping a delivery.
    webhook_secret_grace_hours: int = 24
    # Per attempt: connecting, and the whole answer (a receiver should answer at once).
    webhook_timeout_seconds: int = 10
    # Live updates (app/live.py, resolvers/platform/hub.py). The worker's listening
    # connection: LIVE_LISTEN_URL, else DATABASE_URL unless that is a transaction pooler
    # (where LISTEN hears nothing); with neither, watched sessions are re-read every
    # LIVE_POLL_SECONDS instead.
    live_listen_url: str | None = None
    live_poll_seconds: float = 1.0
    # Every watched session is re-read this often even when nothing was heard: the
    # safety net for a notification lost in a reconnect, and for estimates that move
    # with the clock alone.
    live_resync_seconds: float = 30.0
    # A WebSocket must send connection_init within this many seconds, or it is closed.
    live_init_seconds: float = 5.0
    # Open subscriptions: per WebSocket, and per client address in one worker process.
    live_max_subscriptions_per_connection: int = 10
    live_max_subscriptions_per_address: int = 100
    # WebSocket ping frames (answered by every browser and client on its own): they keep
    # idle proxies from closing a quiet stream and end one whose peer has gone.
    live_ping_seconds: float = 20.0
    # The response cache of anonymous catalogue answers (app/response_cache.py): per worker,
    # bounded in bytes, exact (emptied by every committed catalogue change); off with
    # RESPONSE_CACHE=false. CDN_MAX_AGE_SECONDS is how long a CDN may serve a GET answer
    # without asking again: 0 (the default) makes it revalidate every time (a 304).
    response_cache: bool = True
    response_cache_bytes: int = 64 * 1024 * 1024
    cdn_max_age_seconds: int = 0
    # Prometheus /metrics (app/metrics.py). Off: nothing is imported or counted. Readers
    # present METRICS_TOKEN as a bearer token; production refuses to start metrics
    # without one, so the endpoint is never public by accident.
    metrics_enabled: bool = False
    metrics_token: str | None = None
    # prometheus-client's multiprocess directory (its own PROMETHEUS_MULTIPROC_DIR);
    # None: gunicorn.conf.py makes a fresh one at start.
    metrics_dir: str | None = None
    # The outbox backlog is read at scrape time; a slower database leaves it out.
    metrics_outbox_timeout_seconds: float = 1.0
    # OpenTelemetry traces (app/tracing.py), from the standard OTEL_* variables: on when
    # an exporter or an OTLP endpoint is named and OTEL_SDK_DISABLED is not true.
    # The exporter (OTEL_EXPORTERS), or None: no traces.
    otel_traces_exporter: str | None = None

    @property
    def live_listens(self) -> bool:
        """Whether a worker LISTENs (else it polls): a listening URL, or a non-transaction pool."""
        return self.live_listen_url is not None or self.db_pool_mode is not PoolMode.TRANSACTION

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def webhooks_allow_loopback(self) -> bool:
        """Development and tests may POST to a receiver on this machine; production never."""
        return not self.is_production

    @property
    def sms_country_codes(self) -> tuple[str, ...]:
        """The calling codes (``+91``) an OTP may be texted to."""
        if self.otp_allowed_country_codes is None:
            return (self.default_country_code,)
        return self.otp_allowed_country_codes

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is None:
            return not self.is_production
        return self.graphql_introspection

    @property
    def graphiql_enabled(self) -> bool:
        return not self.is_production if self.graphiql is None else self.graphiql

    @property
    def logs_as_json(self) -> bool:
        if self.log_format is None:
            return self.is_production
        return self.log_format is LogFormat.JSON

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = _choice(env, "ENVIRONMENT", Environment, Environment.DEVELOPMENT)
        secret = env.get("SECRET_KEY", "").strip()
        sender = _choice(env, "NOTIFICATION_SENDER", NotificationSender, NotificationSender.LOG)
        if environment is Environment.PRODUCTION and not _strong(secret):
            raise SettingsError(
                "SECRET_KEY must be set to a random string of at least 32 characters "
                "when ENVIRONMENT=production"
            )
        previous = _previous_keys(env, secret or DEVELOPMENT_SECRET, environment)
        metrics_enabled = _flag(env, "METRICS_ENABLED") is True
        return cls(
            database_url=_database_url(env.get("DATABASE_URL")),
            migrations_database_url=_database_url(env.get("MIGRATIONS_DATABASE_URL")),
            db_pool_mode=_choice(env, "DB_POOL_MODE", PoolMode, PoolMode.DIRECT),
            db_pool_size=_int(env, "DB_POOL_SIZE", 10, minimum=1),
            db_max_overflow=_int(env, "DB_MAX_OVERFLOW", 10, minimum=0),
            db_pool_timeout=float(_int(env, "DB_POOL_TIMEOUT", 10, minimum=1)),
            db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 5000, minimum=0),
            search_similarity_threshold=_fraction(env, "SEARCH_SIMILARITY_THRESHOLD", 0.5),
            secret_key=secret or DEVELOPMENT_SECRET,
            secret_key_previous=previous,
            access_token_ttl_minutes=_int(env, "ACCESS_TOKEN_TTL_MINUTES", 720, minimum=1),
            patient_token_ttl_minutes=_int(env, "PATIENT_TOKEN_TTL_MINUTES", 30, minimum=1),
            environment=environment,
            default_time_zone=_time_zone(env.get("DEFAULT_TIME_ZONE", "Asia/Kolkata")),
            default_country_code=_country_code(env.get("DEFAULT_COUNTRY_CODE", "+91")),
            cors_origins=tuple(
                origin.strip()
                for origin in env.get("CORS_ORIGINS", "").split(",")
                if origin.strip()
            ),
            trusted_proxies=_trusted_proxies(env),
            trusted_proxy_header=_choice(
                env, "TRUSTED_PROXY_HEADER", ProxyHeader, ProxyHeader.X_FORWARDED_FOR
            ),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 1, minimum=1),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            log_format=_choice(env, "LOG_FORMAT", LogFormat, None),
            graphql_max_depth=_int(env, "GRAPHQL_MAX_DEPTH", 10, minimum=2),
            graphql_max_aliases=_int(env, "GRAPHQL_MAX_ALIASES", 30, minimum=0),
            graphql_max_tokens=_int(env, "GRAPHQL_MAX_TOKENS", 2000, minimum=100),
            graphql_max_cost=_int(env, "GRAPHQL_MAX_COST", 5000, minimum=10),
            max_request_bytes=_int(env, "MAX_REQUEST_BYTES", 64 * 1024, minimum=1024),
            max_header_bytes=_int(env, "MAX_HEADER_BYTES", 32 * 1024, minimum=1024),
            max_header_count=_int(env, "MAX_HEADER_COUNT", 100, minimum=10),
            header_timeout_seconds=_int(env, "HEADER_TIMEOUT_SECONDS", 10, minimum=1),
            body_timeout_seconds=_int(env, "BODY_TIMEOUT_SECONDS", 30, minimum=1),
            control_socket=env.get("GUNICORN_CONTROL_SOCKET", "").strip() or None,
            worker_balance=_flag(env, "WORKER_BALANCE") is not False,
            graphql_introspection=_flag(env, "GRAPHQL_INTROSPECTION"),
            graphiql=_flag(env, "GRAPHIQL"),
            graphql_fast_path=_flag(env, "GRAPHQL_FAST_PATH") is not False,
            graphql_fast_path_without=_pieces(env, "GRAPHQL_FAST_PATH_WITHOUT"),
            request_budget_per_address=_int(env, "REQUEST_BUDGET_PER_ADDRESS", 600, minimum=0),
            request_budget_per_account=_int(env, "REQUEST_BUDGET_PER_ACCOUNT", 1200, minimum=0),
            notification_sender=sender,
            otp_sends_per_address_per_hour=_int(
                env, "OTP_SENDS_PER_ADDRESS_PER_HOUR", 10, minimum=1
            ),
            otp_sends_per_prefix_per_hour=_int(env, "OTP_SENDS_PER_PREFIX_PER_HOUR", 30, minimum=1),
            otp_prefix_digits=_int(env, "OTP_PREFIX_DIGITS", 5, minimum=1),
            otp_sends_per_hour=_int(env, "OTP_SENDS_PER_HOUR", 300, minimum=1),
            otp_allowed_country_codes=_country_codes(env, "OTP_ALLOWED_COUNTRY_CODES"),
            notification_webhook_url=_webhook_url(env, sender),
            notification_poll_seconds=float(_int(env, "NOTIFICATION_POLL_SECONDS", 2, minimum=1)),
            public_base_url=_base_url(env),
            calendar_feed_requests_per_hour=_int(
                env, "CALENDAR_FEED_REQUESTS_PER_HOUR", 60, minimum=1
            ),
            webhook_retry_hours=_int(env, "WEBHOOK_RETRY_HOURS", 24, minimum=1),
            webhook_secret_grace_hours=_int(env, "WEBHOOK_SECRET_GRACE_HOURS", 24, minimum=0),
            webhook_timeout_seconds=_int(env, "WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1),
            live_listen_url=_database_url(env.get("LIVE_LISTEN_URL"), "LIVE_LISTEN_URL"),
            live_poll_seconds=_seconds(env, "LIVE_POLL_SECONDS", 1.0, minimum=0.1),
            live_resync_seconds=_seconds(env, "LIVE_RESYNC_SECONDS", 30.0, minimum=1.0),
            live_init_seconds=_seconds(env, "LIVE_INIT_SECONDS", 5.0, minimum=0.5),
            live_max_subscriptions_per_connection=_int(
                env, "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION", 10, minimum=1
            ),
            live_max_subscriptions_per_address=_int(
                env, "LIVE_MAX_SUBSCRIPTIONS_PER_ADDRESS", 100, minimum=1
            ),
            live_ping_seconds=_seconds(env, "LIVE_PING_SECONDS", 20.0, minimum=1.0),
            response_cache=_flag(env, "RESPONSE_CACHE") is not False,
            response_cache_bytes=_int(env, "RESPONSE_CACHE_MB", 64, minimum=1) * 1024 * 1024,
            cdn_max_age_seconds=_int(env, "CDN_MAX_AGE_SECONDS", 0, minimum=0),
            metrics_enabled=metrics_enabled,
            metrics_token=_metrics_token(env, environment, enabled=metrics_enabled),
            metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR", "").strip() or None,
            metrics_outbox_timeout_seconds=_seconds(
                env, "METRICS_OUTBOX_TIMEOUT_SECONDS", 1.0, minimum=0.1
            ),
            otel_traces_exporter=_otel_traces_exporter(env),
        )


def _metrics_token(
    env: Mapping[str, str], environment: Environment, *, enabled: bool
) -> str | None:
    """METRICS_TOKEN: the bearer token /metrics asks for; production must set one to serve it."""
    token = env.get("METRICS_TOKEN", "").strip() or None
    if enabled and environment is Environment.PRODUCTION and (token is None or len(token) < 32):
        raise SettingsError(
            "METRICS_TOKEN must be set to a random string of at least 32 characters "
            "when METRICS_ENABLED=true and ENVIRONMENT=production"
        )
    return token


# OTEL_TRACES_EXPORTER values that export nothing: the SDK's own "none".
_NO_EXPORTER = {"", "none"}


def _otel_traces_exporter(env: Mapping[str, str]) -> str | None:
    """The exporter the standard OTEL_* variables ask for, or None (the SDK reads the rest)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter not in _NO_EXPORTER | set(OTEL_EXPORTERS):
        known = ", ".join(OTEL_EXPORTERS)
        raise SettingsError(f"OTEL_TRACES_EXPORTER must be one of {known} or none")
    if exporter:
        return None if exporter in _NO_EXPORTER else exporter
    # Unset: the SDK's default exporter (OTLP), but only when an endpoint is named.
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT", ""
    )
    return "otlp" if endpoint.strip() else None


def _strong(secret: str) -> bool:
    return len(secret) >= 32 and secret != DEVELOPMENT_SECRET


def _previous_keys(
    env: Mapping[str, str], current: str, environment: Environment
) -> tuple[str, ...]:
    """SECRET_KEY_PREVIOUS: comma-separated keys still accepted, newest first."""
    keys = tuple(
        key.strip() for key in env.get("SECRET_KEY_PREVIOUS", "").split(",") if key.strip()
    )
    for position, key in enumerate(keys, start=1):
        if key == current:
            raise SettingsError(f"SECRET_KEY_PREVIOUS key {position} is SECRET_KEY itself")
        if key in keys[: position - 1]:
            raise SettingsError(f"SECRET_KEY_PREVIOUS key {position} is listed twice")
        # An old key verifies as much as the current one: it must be as hard to guess.
        if environment is Environment.PRODUCTION and not _strong(key):
            raise SettingsError(
                f"SECRET_KEY_PREVIOUS key {position} must be a random string of at least "
                "32 characters when ENVIRONMENT=production"
            )
    return keys


def _base_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("PUBLIC_BASE_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            "PUBLIC_BASE_URL must be an http:// or https:// URL without a query,"
            " e.g. https://api.example.org"
        )
    return raw.rstrip("/")


def _webhook_url(env: Mapping[str, str], sender: NotificationSender) -> str | None:
    url = env.get("NOTIFICATION_WEBHOOK_URL", "").strip() or None
    if sender is NotificationSender.WEBHOOK and url is None:
        raise SettingsError("NOTIFICATION_WEBHOOK_URL is required when NOTIFICATION_SENDER=webhook")
    if url is not None and not url.startswith(("https://", "http://")):
        raise SettingsError("NOTIFICATION_WEBHOOK_URL must be an http:// or https:// URL")
    return url


def _trusted_proxies(env: Mapping[str, str]) -> tuple[Network, ...]:
    # Uvicorn's FORWARDED_ALLOW_IPS, which deployments may already set, is read as a
    # fallback, so an existing setting keeps its meaning instead of being dropped quietly.
    for name in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
        raw = env.get(name, "").strip()
        if raw:
            return _networks(name, raw)
    return _networks("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)


def _networks(name: str, raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses and CIDR networks, e.g. ``127.0.0.1,10.0.0.0/8``; or ``none``."""
    networks: list[Network] = []
    if raw.strip().lower() == "none":
        return ()  # served directly: no forwarded header is ever believed
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item == "*":
            # Believing every peer lets any client name its own address in a header,
            # and with it a fresh budget for every limit.
            raise SettingsError(
                f"{name} must list the proxies' addresses or networks, not '*': "
                "trusting every peer lets any client choose its address"
            )
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _database_url(raw: str | None, name: str = "DATABASE_URL") -> str | None:
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    # PaaS dashboards hand out postgres:// or postgresql:// URLs; the app talks asyncpg.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if not url.startswith("postgresql+asyncpg://"):
        raise SettingsError(f"{name} must be a postgresql+asyncpg:// URL")
    return url


def _choice(env: Mapping[str, str], name: str, enum: type[E], default: D) -> E | D:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise SettingsError(f"{name} must be one of: {allowed}") from None


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if not value >= minimum:  # NaN too
        raise SettingsError(f"{name} must be at least {minimum:g}")
    return value


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between 0 and 1") from None
    if not 0 < value <= 1:
        raise SettingsError(f"{name} must be a number between 0 and 1")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    """true/false (1/0, yes/no, on/off); None when unset, so the environment decides."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false")


def _pieces(env: Mapping[str, str], name: str) -> frozenset[str]:
    """A comma-separated subset of FAST_PATH_PIECES; empty when unset."""
    pieces = frozenset(p.strip() for p in env.get(name, "").split(",") if p.strip())
    unknown = sorted(pieces - set(FAST_PATH_PIECES))
    if unknown:
        known = ", ".join(FAST_PATH_PIECES)
        raise SettingsError(f"{name} names unknown pieces {', '.join(unknown)}; known: {known}")
    return pieces


def _time_zone(raw: str) -> str:
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"DEFAULT_TIME_ZONE {raw!r} is not an IANA time zone") from None
    return raw


def _country_code(raw: str, name: str = "DEFAULT_COUNTRY_CODE") -> str:
    code = raw.strip()
    if not code.startswith("+") or not code[1:].isdigit() or not 1 <= len(code) - 1 <= 3:
        raise SettingsError(f"{name} must look like +91")
    return code


def _country_codes(env: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    """A comma-separated list of calling codes (``+91,+977``); None when unset."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    return tuple(dict.fromkeys(_country_code(part, name) for part in raw.split(",")))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_env()
