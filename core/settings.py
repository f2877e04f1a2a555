"""Settings read once from the environment, with defaults that are safe on a laptop.

Every knob is a `PDEX_*` variable so a deployment is configured without files. The embedded
default is a SQLite file in the user's data directory and self-signed tokens; production sets
`PDEX_DATABASE_URL` to PostgreSQL and `PDEX_OIDC_JWKS_URL` to its identity provider.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/pdex` (usually `~/.local/share/pdex`)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pdex"


class SettingsError(ValueError):
    """A configuration pdex refuses to start with; `pdex` prints it as one line, exit 2."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    # Embedded mode: pdex signs its own HS256 tokens with this secret (kept in the data dir).
    token_secret: str | None
    token_issuer: str
    token_audience: str
    # Production: verify RS/ES tokens against an external OIDC issuer's JWKS instead.
    oidc_jwks_url: str | None
    oidc_issuer: str | None
    # GraphQL abuse limits (DESIGN.md "GraphQL conventions").
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_nodes: int = 50_000
    page_size_cap: int = 100
    db_pool_size: int = 20
    ledger_origin: str = "pdex.jiangmen/ledger"
    ledger_key_file: Path | None = None
    ledger_checkpoint_interval: float = 5.0
    registration_sweep_interval: float = 60.0  # registers assets whose public notice ended
    log_level: str = "INFO"
    # Every request as a JSON line (costs ~15 % of a small query); off: errors and slow ones.
    access_log: bool = False
    # The address users and harvesters reach pdex at (`@id`s in /catalogue.jsonld, links on
    # the home page); None: the address `pdex serve` listens on. Never taken from `Host`.
    public_url: str | None = None
    # Request bounds (issue 10 §2): body size, how long a body and the request head may take
    # to arrive, how long one operation may run (0: no limit).
    max_body_bytes: int = 1_048_576
    body_timeout: float = 30.0
    header_timeout: float = 10.0
    execution_timeout: float = 15.0
    # Per-caller token bucket (per token subject, else per IP): `rate_limit` requests a
    # second refill a bucket of `rate_burst` (0: off). Shared through Redis when set.
    rate_limit: float = 20.0
    rate_burst: int = 100
    max_concurrent: int = 8  # one caller's HTTP requests running at once, per process
    compiled_reads: bool = True  # answer covered queries in one statement (schema.compiled)
    lean_requests: bool = (
        True  # plain POST/GET GraphQL requests skip strawberry's view (server.lean)
    )
    redis_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.oidc_jwks_url and not self.oidc_issuer:
            raise SettingsError(
                "PDEX_OIDC_JWKS_URL is set but PDEX_OIDC_ISSUER is not: set the issuer "
                "(the `iss` its tokens carry), or tokens from any issuer would be accepted"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_tokens(self) -> bool:
        return self.oidc_jwks_url is None


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("PDEX_DATA_DIR") or default_data_dir())
    database_url = os.environ.get("PDEX_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{data_dir / 'pdex.sqlite3'}"
    )
    key_file = os.environ.get("PDEX_LEDGER_KEY_FILE")
    return Settings(
        data_dir=data_dir,
        database_url=normalize_database_url(database_url),
        token_secret=os.environ.get("PDEX_TOKEN_SECRET") or None,
        token_issuer=os.environ.get("PDEX_TOKEN_ISSUER", "pdex"),
        token_audience=os.environ.get("PDEX_TOKEN_AUDIENCE", "pdex"),
        oidc_jwks_url=os.environ.get("PDEX_OIDC_JWKS_URL") or None,
        oidc_issuer=os.environ.get("PDEX_OIDC_ISSUER") or None,
        max_depth=_int("PDEX_MAX_DEPTH", 12),
        max_aliases=_int("PDEX_MAX_ALIASES", 30),
        max_tokens=_int("PDEX_MAX_TOKENS", 2000),
        max_nodes=_int("PDEX_MAX_NODES", 50_000),
        db_pool_size=_int("PDEX_DB_POOL_SIZE", 20),
        ledger_key_file=Path(key_file) if key_file else None,
        ledger_checkpoint_interval=float(os.environ.get("PDEX_CHECKPOINT_INTERVAL", "5")),
        registration_sweep_interval=float(os.environ.get("PDEX_REGISTRATION_SWEEP", "60")),
        log_level=os.environ.get("PDEX_LOG_LEVEL", "INFO").upper(),
        access_log=os.environ.get("PDEX_ACCESS_LOG", "").lower() in ("1", "true", "yes"),
        public_url=(os.environ.get("PDEX_PUBLIC_URL") or "").rstrip("/") or None,
        max_body_bytes=_int("PDEX_MAX_BODY_BYTES", 1_048_576),
        body_timeout=_float("PDEX_BODY_TIMEOUT", 30.0),
        header_timeout=_float("PDEX_HEADER_TIMEOUT", 10.0),
        execution_timeout=_float("PDEX_EXECUTION_TIMEOUT", 15.0),
        rate_limit=_float("PDEX_RATE_LIMIT", 20.0),
        rate_burst=_int("PDEX_RATE_BURST", 100),
        max_concurrent=_int("PDEX_MAX_CONCURRENT", 8),
        compiled_reads=os.environ.get("PDEX_COMPILED_READS", "1").lower()
        not in ("0", "false", "no"),
        lean_requests=os.environ.get("PDEX_LEAN_REQUESTS", "1").lower() not in ("0", "false", "no"),
        redis_url=os.environ.get("PDEX_REDIS_URL") or None,
    )


def normalize_database_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite://` URLs and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


@cache
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return load_settings()
