"""Settings: flags win over CHATKEEP_* environment variables, which win over defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chatkeep.bootstrap.logs import LogLevel
from chatkeep.domain.limits import MAX_STORED_INTEGER
from chatkeep.domain.workspace import DEFAULT_QUOTA_INODES
from chatkeep.http.log_format import LogFormat

GIB = 1024**3
MIB = 1024**2
# At most 1,000 years: past about 2,000, "now minus the TTL" falls before year 1, which
# datetime cannot hold (1e11 s failed every pruning run; 1e20 s and inf, start-up itself).
MAX_CHAT_TTL_SECONDS = 1000 * 366 * 24 * 3600


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATKEEP_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("./data")
    quota_bytes: int = Field(
        default=GIB, ge=0, le=MAX_STORED_INTEGER, description="The quota of a new workspace."
    )
    quota_inodes: int = Field(
        default=DEFAULT_QUOTA_INODES,
        ge=0,
        le=MAX_STORED_INTEGER,
        description="The inode quota of a new workspace (files and directories).",
    )
    api_token: str | None = None
    metadata: str = Field(
        default="sqlite", description="memory, sqlite (in the data directory) or a database URL"
    )
    chat_ttl_seconds: float | None = Field(
        default=None,
        gt=0,
        le=MAX_CHAT_TTL_SECONDS,
        description="Prune chats idle for longer than this.",
    )
    log_format: LogFormat = "text"
    log_level: LogLevel = "info"
    access_log: bool = True
    metrics: bool = True
    min_free_bytes: int = Field(
        default=256 * MIB,
        ge=0,
        le=MAX_STORED_INTEGER,
        description="Below this many free bytes on the data directory, /readyz answers 503.",
    )
    head_timeout: float = Field(default=10.0, gt=0, description="Seconds to receive a head.")
    body_timeout: float = Field(default=30.0, gt=0, description="Idle seconds within a body.")
    send_timeout: float = Field(default=30.0, gt=0, description="Idle seconds while sending.")
    keep_alive_timeout: int = Field(default=5, ge=1, description="Idle seconds between requests.")
    max_head_bytes: int = Field(default=64 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=10)
    max_connections: int = Field(default=1024, ge=1)

    @field_validator("api_token")
    @classmethod
    def _empty_token_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        # INFO and JSON, as operators often write them, mean info and json.
        return value.lower() if isinstance(value, str) else value
