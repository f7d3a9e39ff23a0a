from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chatkeep.domain.sandbox import SandboxSession
from chatkeep.repository.sql.commits import GroupCommits, executing
from chatkeep.repository.sql.schema import from_micros, sandbox_sessions, to_micros
from chatkeep.repository.sql.upsert import upsert


class SqlSandboxSessionRepository:
    def __init__(self, engine: AsyncEngine, commits: GroupCommits) -> None:
        self._engine, self._commits = engine, commits
        self._upsert = upsert(sandbox_sessions, sandbox_sessions.c.chat_id, engine.dialect.name)

    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None:
        """One query. See SandboxSessionRepository.get_by_chat_id."""
        async with self._engine.connect() as connection:
            row = (await connection.execute(_BY_CHAT, {"key": str(chat_id)})).first()
            return None if row is None else session_of_row(row)

    async def save(self, session: SandboxSession) -> None:
        """Committed with the writes beside it (GroupCommits). See SandboxSessionRepository.save."""
        await self._commits.run(executing(self._upsert, _row(session)))

    async def list_expired(self, workspace_id: UUID, now: datetime) -> list[SandboxSession]:
        """One query. See SandboxSessionRepository.list_expired."""
        parameters = {"workspace": str(workspace_id), "now": to_micros(now)}
        async with self._engine.connect() as connection:
            return [session_of_row(row) for row in await connection.execute(_EXPIRED, parameters)]

    async def count_active(self, now: datetime) -> int:
        """One query. See SandboxSessionRepository.count_active."""
        async with self._engine.connect() as connection:
            count = await connection.scalar(_ACTIVE, {"now": to_micros(now)})
            return int(count or 0)

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """Committed with the writes beside it (GroupCommits). See
        SandboxSessionRepository.delete_by_chat_id."""
        await self._commits.run(executing(_DELETE, {"key": str(chat_id)}))


# Built once: a statement built per call costs more than running it does.
_BY_CHAT = select(sandbox_sessions).where(sandbox_sessions.c.chat_id == bindparam("key"))
_DELETE = delete(sandbox_sessions).where(sandbox_sessions.c.chat_id == bindparam("key"))
_EXPIRED = select(sandbox_sessions).where(
    sandbox_sessions.c.workspace_id == bindparam("workspace"),
    sandbox_sessions.c.expires_at.is_not(None),
    sandbox_sessions.c.expires_at <= bindparam("now", type_=BigInteger),
)

_ACTIVE = select(func.count()).where(
    or_(
        sandbox_sessions.c.expires_at.is_(None),
        sandbox_sessions.c.expires_at > bindparam("now", type_=BigInteger),
    )
)


def _row(session: SandboxSession) -> dict[str, Any]:
    return {
        "chat_id": str(session.chat_id),
        "workspace_id": str(session.workspace_id),
        "sandbox_id": session.sandbox_id,
        "started_at": to_micros(session.started_at),
        "expires_at": None if session.expires_at is None else to_micros(session.expires_at),
    }


def session_of_row(row: Any) -> SandboxSession:
    """The SandboxSession a `sandbox_sessions` row holds."""
    expires_at = None if row.expires_at is None else from_micros(row.expires_at)
    return SandboxSession(
        row.sandbox_id,
        UUID(row.chat_id),
        UUID(row.workspace_id),
        from_micros(row.started_at),
        expires_at,
    )
