"""All settings in one place: `PARLEY_*` environment variables and an optional TOML file."""

from __future__ import annotations

import contextlib
import os
import secrets
import tomllib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BusName = Literal["memory", "redis", "kafka"]
RoleName = Literal["all", "api", "gateway"]
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg", "mysql+aiomysql")
MIB = 1024 * 1024
SECRET_FILE_NAME = "parley.secret"  # noqa: S105 - a file name, not a secret
VAPID_FILE_NAME = "parley.vapid"


class ConfigError(Exception):
    """A setting is invalid; the message is meant for the person starting the server."""


class Settings(BaseSettings):
    """Every knob of Parley, each with a default that suits the embedded mode."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="forbid", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./parley.db"
    redis_url: str | None = None
    kafka_bootstrap: str | None = None
    bus: BusName = "memory"
    secret_key: str | None = Field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    role: RoleName = "all"
    #: reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: IPs or
    #: CIDR networks, comma-separated in the environment (`10.0.0.5,10.1.0.0/16`); empty:
    #: nobody, the connection's own address and scheme count
    forwarded_allow_ips: Annotated[list[str], NoDecode] = []
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    data_dir: Path | None = None

    access_token_ttl_seconds: Annotated[int, Field(ge=30, le=86_400)] = 900
    refresh_token_ttl_seconds: Annotated[int, Field(ge=300, le=90 * 86_400)] = 30 * 86_400
    argon2_time_cost: Annotated[int, Field(ge=1, le=20)] = 3
    argon2_memory_kib: Annotated[int, Field(ge=1024, le=4 * 1024 * 1024)] = 65_536
    argon2_parallelism: Annotated[int, Field(ge=1, le=16)] = 2
    #: argon2 hashes run at once, each in its own thread with ARGON2_MEMORY_KIB of memory
    #: (0: one per usable core, at most 8); more wait in a line of PASSWORD_HASH_QUEUE for
    #: at most PASSWORD_HASH_WAIT_SECONDS, and the rest get 503 `unavailable` + Retry-After
    password_hash_concurrency: Annotated[int, Field(ge=0, le=256)] = 0
    password_hash_queue: Annotated[int, Field(ge=0, le=100_000)] = 16
    password_hash_wait_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0

    login_failures_per_account: Annotated[int, Field(ge=1)] = 5
    login_attempts_per_address: Annotated[int, Field(ge=1)] = 30
    login_window_seconds: Annotated[int, Field(ge=1)] = 300

    # -- running a community (docs/admin.md) ------------------------------------------------
    #: sign-ups accepted from one address per SIGNUP_WINDOW_SECONDS (successful or not)
    signups_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 10
    signup_window_seconds: Annotated[int, Field(ge=1, le=30 * 86_400)] = 3600
    #: a withdrawn (or admin-deleted) login id cannot be signed up again for this long
    withdrawn_id_reserve_days: Annotated[int, Field(ge=0, le=3650)] = 30
    #: how long an admin-issued recovery code stays valid
    admin_recovery_code_ttl_seconds: Annotated[int, Field(ge=60, le=30 * 86_400)] = 86_400
    #: audit log entries older than this are deleted (0: kept forever)
    audit_retention_days: Annotated[int, Field(ge=0, le=36_500)] = 365
    #: site admins must turn on two-factor sign-in before they may use the admin API
    require_2fa_for_admins: bool = False

    message_max_chars: Annotated[int, Field(ge=1, le=100_000)] = 4000
    #: how long after sending a message its sender may edit it; 0 = always
    edit_window_seconds: Annotated[int, Field(ge=0, le=10 * 365 * 86400)] = 0
    send_rate: Annotated[float, Field(gt=0, le=100_000)] = 10.0
    send_burst: Annotated[float, Field(ge=1, le=1_000_000)] = 20.0
    ws_send_buffer_bytes: Annotated[int, Field(ge=16_384, le=64 * 1024 * 1024)] = 512 * 1024
    ws_max_frame_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 64 * 1024
    ws_ping_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 20.0
    ws_ticket_ttl_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    ws_allowed_origins: list[str] = []
    ws_max_pending_sends: Annotated[int, Field(ge=1, le=100_000)] = 256
    #: `parley serve` hands `/ws` to the native protocol (parley.realtime.native); false
    #: keeps it on the ASGI path, as under any other ASGI server
    ws_native: bool = True
    #: the cyclic collector's young threshold once serving (parley.core.collector); 0 keeps
    #: Python's defaults (700) and does not freeze start-up's objects
    gc_young_threshold: Annotated[int, Field(ge=0, le=10_000_000)] = 50_000
    #: sends waiting for the message writer; past it a send is refused `unavailable`
    writer_queue_max: Annotated[int, Field(ge=1, le=10_000_000)] = 20_000
    #: how long the message writer waits after a send arrives for more to join its batch
    writer_linger_ms: Annotated[float, Field(ge=0, le=100)] = 1.0
    resume_max_messages: Annotated[int, Field(ge=1, le=100_000)] = 500
    presence_grace_seconds: Annotated[float, Field(ge=0, le=3600)] = 10.0
    typing_interval_seconds: Annotated[float, Field(ge=0, le=60)] = 2.0
    #: per-member budgets of `call` frames (trickle ICE sends a burst of candidates) and of
    #: `read` frames; past them a frame is refused with `rate_limited`
    call_rate: Annotated[float, Field(gt=0, le=100_000)] = 20.0
    call_burst: Annotated[float, Field(ge=1, le=1_000_000)] = 100.0
    read_rate: Annotated[float, Field(gt=0, le=100_000)] = 10.0
    read_burst: Annotated[float, Field(ge=1, le=1_000_000)] = 50.0
    #: per-connection budget of every frame other than `send` (which has its own limit)
    ws_frame_rate: Annotated[float, Field(gt=0, le=1_000_000)] = 100.0
    ws_frame_burst: Annotated[float, Field(ge=1, le=10_000_000)] = 1000.0
    shutdown_grace_seconds: Annotated[float, Field(ge=0, le=600)] = 10.0
    #: a connection must deliver a request's line and headers within this (and keep a body
    #: coming at least this often), or it is closed: stalled sockets would exhaust the fds
    request_header_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    #: STUN/TURN URLs handed to browsers for one-to-one calls (`stun:host:3478`, `turn:…`);
    #: empty by default: calls then work between peers that can reach each other directly
    ice_servers: list[Annotated[str, Field(pattern=r"^(stun|stuns|turn|turns):[^\s]{1,200}$")]] = []
    #: outgoing webhooks (and push endpoints) may use `http` and non-public addresses:
    #: for tests and development only (DESIGN §9, §12)
    allow_insecure_endpoints: bool = False

    # -- Web Push (parley/notify, docs/notifications.md) ----------------------------------
    #: false: pushes say who wrote where, never the message text
    push_previews: bool = True
    #: the VAPID private key (PEM, or the base64url 32-byte scalar); unset: generated once
    #: into `parley.vapid` beside the secret key and reused (every process must share it)
    vapid_private_key: str | None = Field(default=None, repr=False)
    #: the VAPID `sub` claim: a `mailto:` or `https:` contact for push services' operators
    vapid_subject: Annotated[str, Field(pattern=r"^(mailto:|https://)[^\s]{1,200}$")] = (
        "mailto:admin@localhost"
    )

    # -- OpenID Connect login (parley/accounts/oidc.py, DESIGN §12) ------------------------
    #: the provider's issuer URL (discovery at `/.well-known/openid-configuration`); unset: off
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    #: create a member at a first login whose `(issuer, sub)` is not linked yet
    oidc_auto_provision: bool = True
    #: the button's label: "Sign in with <name>" (default: the issuer's host)
    oidc_display_name: Annotated[str, Field(max_length=60)] = ""
    #: seconds of clock difference tolerated on the ID token's `exp`/`iat`
    oidc_clock_skew_seconds: Annotated[int, Field(ge=0, le=600)] = 60
    #: false: password login (and sign-up with a password) is refused, `local_passwords_disabled`
    local_passwords: bool = True

    # -- file attachments (parley/files) --------------------------------------------------
    #: the largest file a member may upload, checked while the upload streams in
    upload_max_bytes: Annotated[int, Field(ge=1, le=1024 * MIB)] = 10 * MIB
    #: local storage directory; default: `files/` beside the SQLite database (or data dir)
    files_dir: Path | None = None
    files_backend: Literal["local", "s3"] = "local"
    files_s3_bucket: str | None = None
    #: e.g. http://127.0.0.1:9000 for MinIO; unset for AWS itself
    files_s3_endpoint_url: str | None = None
    files_s3_region: str = "us-east-1"
    files_s3_access_key_id: str | None = Field(default=None, repr=False)
    files_s3_secret_access_key: str | None = Field(default=None, repr=False)
    files_s3_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_./-]{0,100}$")] = ""
    #: uploads never attached to a message are deleted after this many hours
    files_orphan_hours: Annotated[float, Field(gt=0, le=24 * 365)] = 24.0
    #: how often each process collects orphans (0: never; use `parley files gc`)
    files_gc_interval_seconds: Annotated[float, Field(ge=0, le=7 * 86_400)] = 3600.0
    #: messages older than this many days are purged (0: kept forever); a room's own
    #: `retention_days` overrides it
    retention_days: Annotated[int, Field(ge=0, le=36_500)] = 0
    #: how often the purge job runs in a server process (0: never; `parley purge` still works)
    retention_interval_seconds: Annotated[float, Field(ge=0, le=7 * 86_400)] = 3600.0
    #: messages deleted per transaction: short write transactions that never hold up sends
    retention_batch: Annotated[int, Field(ge=1, le=100_000)] = 500
    #: images with more pixels are refused (decompression bombs)
    image_max_pixels: Annotated[int, Field(ge=1, le=500_000_000)] = 50_000_000
    #: thumbnails decoded at once per process (a pool of this many threads)
    image_decode_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    member_search_max_limit: Annotated[int, Field(ge=1, le=200)] = 50
    db_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    #: a pooled connection idle this long is pinged before use (0: before every use); a
    #: busy connection is not, and one that died meanwhile fails its statement (a 503)
    db_ping_after_idle_seconds: Annotated[float, Field(ge=0, le=3600)] = 2.0

    #: scale-out (docs/deployment.md): names of shared keys, channels and the Kafka topic
    cluster_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")] = "parley"
    kafka_partitions: Annotated[int, Field(ge=1, le=1024)] = 12
    #: a process whose heartbeat stops (killed) has its members' presence expire after this
    presence_ttl_seconds: Annotated[float, Field(ge=1, le=3600)] = 15.0
    #: how often a gateway compares its open rooms with the database to catch up on events
    #: a bus outage lost (0: only after a bus reconnect)
    catchup_interval_seconds: Annotated[float, Field(ge=0, le=3600)] = 5.0
    bus_publish_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("PARLEY_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
            raise ValueError(
                "not a database URL (expected e.g. postgresql+asyncpg://user@host:5432/name)"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(f"driver must be one of {', '.join(SUPPORTED_DRIVERS)}")
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_forwarded_allow_ips(cls, value: Any) -> Any:
        if isinstance(value, str):  # the environment's comma list (a TOML file gives a list)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_forwarded_allow_ips(cls, value: list[str]) -> list[str]:
        from parley.core.proxy import parse_networks

        return [str(network) for network in parse_networks(value)]

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: str | None) -> str | None:
        # HS256 with a short key is brute-forceable offline from any one token
        if value is not None and len(value) < 32:
            raise ValueError("must be at least 32 characters (or unset, to generate one)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @model_validator(mode="after")
    def _check_scale_out(self) -> Settings:
        if self.bus == "redis" and not self.redis_url:
            raise ValueError("PARLEY_BUS=redis needs PARLEY_REDIS_URL")
        if self.bus == "kafka" and not self.kafka_bootstrap:
            raise ValueError("PARLEY_BUS=kafka needs PARLEY_KAFKA_BOOTSTRAP")
        if self.role != "all" and self.bus == "memory":
            raise ValueError(
                f"role {self.role} needs a shared bus (PARLEY_BUS=redis or kafka): an api "
                "process publishes what a gateway process delivers"
            )
        if self.files_backend == "s3" and not self.files_s3_bucket:
            raise ValueError("PARLEY_FILES_BACKEND=s3 needs PARLEY_FILES_S3_BUCKET")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def resolved_data_dir(self) -> Path:
        """Where generated files live: beside the SQLite file, else the working directory."""
        if self.data_dir is not None:
            return self.data_dir
        if self.is_sqlite:
            database = make_url(self.database_url).database
            if database and database != ":memory:":
                return Path(database).expanduser().resolve().parent
        return Path.cwd()

    @property
    def files_directory(self) -> Path:
        """Where uploads are kept on local disk (and staged before going to S3)."""
        return self.files_dir or self.resolved_data_dir / "files"

    @cached_property
    def signing_key(self) -> str:
        """The secret key; generated once and kept in a 0600 file when none is configured."""
        if self.secret_key:
            return self.secret_key
        return load_or_create_secret(self.resolved_data_dir / SECRET_FILE_NAME)

    def vapid_key_text(self, generate: Callable[[], str]) -> str:
        """The VAPID private key as configured, else kept like the secret key: generated
        once (by `generate`, which `parley.notify` supplies) into a 0600 file and reused."""
        if self.vapid_private_key:
            return self.vapid_private_key
        path = self.resolved_data_dir / VAPID_FILE_NAME
        return load_or_create_key_file(
            path, generate, what="VAPID key", setting="PARLEY_VAPID_PRIVATE_KEY", min_length=40
        )


def load_or_create_secret(path: Path) -> str:
    """Read the stored secret key, or create it atomically with owner-only permissions."""
    return load_or_create_key_file(
        path, lambda: secrets.token_urlsafe(48), what="secret key", setting="PARLEY_SECRET_KEY"
    )


def load_or_create_key_file(
    path: Path, generate: Callable[[], str], *, what: str, setting: str, min_length: int = 32
) -> str:
    """Read a stored key, or create it atomically with owner-only permissions.

    Any filesystem failure becomes a `ConfigError` naming the file, so a server that cannot
    keep its key stops with a sentence, not a traceback.
    """
    try:
        return _read_key(path, what, min_length)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read the {what} file {path}: {reason}") from None
    key = generate()
    # written whole under a private name, then linked into place: a process starting at the
    # same moment (`--workers`) sees no file or a complete one, never an empty one
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_key_file(
                path, generate, what=what, setting=setting, min_length=min_length
            )
    except OSError as exc:
        raise ConfigError(
            f"cannot create the {what} file {path}: {exc.strerror}"
            f" (set {setting} or PARLEY_DATA_DIR)"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
    return key


def _read_key(path: Path, what: str, min_length: int) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < min_length:
        raise ConfigError(f"{what} file {path} is too short; delete it to regenerate")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copied or restored file may have lost its owner-only mode
    return key


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation failures into one readable `ConfigError`."""
    config_file = os.environ.get("PARLEY_CONFIG")
    if config_file:
        try:
            with open(config_file, "rb") as handle:
                tomllib.load(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            message = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"]
            if not name:  # a rule across settings (e.g. the bus a role needs)
                lines.append(f"  {message.removeprefix('Value error, ')}")
                continue
            lines.append(f"  PARLEY_{name.upper()}: {message}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
