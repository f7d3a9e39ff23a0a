"""The metadata tables. Timestamps are integer microseconds since the epoch (UTC), exact
and ordered on every engine; ids are canonical UUID text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
metadata = MetaData()

workspaces = Table(
    "workspaces",
    metadata,
    Column("workspace_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("quota_bytes", BigInteger, nullable=False),
    # NULL for a workspace stored before inode quotas: the service's default applies.
    Column("quota_inodes", BigInteger),
)

# `ordinal` is the row's key, a service-wide counter that no answer shows. `seq` numbers a
# chat within its workspace and a file within its chat (1 + the highest there when stored):
# listings order by a timestamp, then `seq`, and cursors carry those two (decision 022).
chats = Table(
    "chats",
    metadata,
    Column("ordinal", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", String(36), nullable=False, unique=True),
    Column("workspace_id", String(36), nullable=False),
    Column("title", Text),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("chats_by_workspace_seq", "workspace_id", "seq", unique=True),
    Index("chats_by_workspace_created", "workspace_id", "created_at", "seq"),
    Index("chats_by_workspace_updated", "workspace_id", "updated_at", "seq"),
)

chat_files = Table(
    "chat_files",
    metadata,
    Column("ordinal", Integer, primary_key=True, autoincrement=True),
    Column("file_id", String(36), nullable=False, unique=True),
    Column("chat_id", String(36), nullable=False),
    Column("name", Text, nullable=False),
    Column("content_type", Text),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("etag", Text),
    Column("seq", BigInteger, nullable=False),
    UniqueConstraint("chat_id", "name", name="one_file_per_chat_and_name"),
    Index("chat_files_by_chat_seq", "chat_id", "seq", unique=True),
    Index("chat_files_by_chat_created", "chat_id", "created_at", "seq"),
)

sandbox_sessions = Table(
    "sandbox_sessions",
    metadata,
    Column("chat_id", String(36), primary_key=True),
    Column("workspace_id", String(36), nullable=False, index=True),
    Column("sandbox_id", Text, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
)

# Shared usage (several processes on one database; repository/sql/usage.py). A NULL
# `used_bytes` or `used_inodes` means "count the disk"; `generation` moves with every
# change, so that a count that raced a write is not stored.
workspace_usage = Table(
    "workspace_usage",
    metadata,
    Column("workspace_id", String(36), primary_key=True),
    Column("used_bytes", BigInteger),
    Column("generation", BigInteger, nullable=False),
    Column("used_inodes", BigInteger),  # added after generation by migration 0004
)

# A process that holds claims; its claims stop counting when it stops being seen.
usage_holders = Table(
    "usage_holders",
    metadata,
    Column("holder", String(36), primary_key=True),
    Column("seen_at", BigInteger, nullable=False),
)

usage_claims = Table(
    "usage_claims",
    metadata,
    Column("claim_id", String(36), primary_key=True),
    Column("workspace_id", String(36), nullable=False, index=True),
    Column("holder", String(36), nullable=False, index=True),
    Column("bytes", BigInteger, nullable=False),
    Column("inodes", BigInteger, nullable=False, server_default="0"),
)


def to_micros(moment: datetime) -> int:
    """A timezone-aware datetime as integer microseconds since the Unix epoch (UTC), as stored."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    """Stored microseconds since the Unix epoch as a UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


def to_text(value: UUID) -> str:
    """A UUID as stored: its canonical text."""
    return str(value)
