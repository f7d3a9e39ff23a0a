from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Executable, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.workspace import Workspace
from chatkeep.repository.sql.commits import GroupCommits, executing
from chatkeep.repository.sql.schema import from_micros, to_micros, workspaces


class SqlWorkspaceRepository:
    def __init__(self, engine: AsyncEngine, commits: GroupCommits) -> None:
        self._engine, self._commits = engine, commits

    async def get(self, workspace_id: UUID) -> Workspace | None:
        """One query. See WorkspaceRepository.get."""
        return await self._one(_BY_ID, str(workspace_id))

    async def get_by_user_id(self, user_id: UUID) -> Workspace | None:
        """One query. See WorkspaceRepository.get_by_user_id."""
        return await self._one(_BY_USER, str(user_id))

    async def list_all(self) -> list[Workspace]:
        """One query. See WorkspaceRepository.list_all."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(select(workspaces))
            return [workspace_of_row(row) for row in rows]

    async def get_or_add(self, workspace: Workspace) -> Workspace:
        """An insert, committed with the writes beside it (GroupCommits); on the user's unique
        conflict, the row stored. See WorkspaceRepository.get_or_add."""
        try:
            await self._commits.run(executing(_ADD, _row(workspace)))
        except IntegrityError:
            existing = await self.get_by_user_id(workspace.user_id)
            if existing is not None:
                return existing
            raise
        return workspace

    async def save(self, workspace: Workspace) -> None:
        """Committed with the writes beside it (GroupCommits). See WorkspaceRepository.save."""
        values = _row(workspace)

        async def save(connection: AsyncConnection) -> None:
            where = workspaces.c.workspace_id == values["workspace_id"]
            updated = await connection.execute(update(workspaces).where(where).values(**values))
            if updated.rowcount == 0:
                # A user's new workspace replaces the previous one.
                same_user = workspaces.c.user_id == values["user_id"]
                await connection.execute(delete(workspaces).where(same_user))
                await connection.execute(insert(workspaces).values(**values))

        await self._commits.run(save)

    async def delete(self, workspace_id: UUID) -> None:
        """Committed with the writes beside it (GroupCommits). See WorkspaceRepository.delete."""
        await self._commits.run(executing(_DELETE, {"key": str(workspace_id)}))

    async def _one(self, query: Executable, key: str) -> Workspace | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(query, {"key": key})).first()
            return None if row is None else workspace_of_row(row)


# Built once: a statement built per call costs more than running it does.
_BY_ID = select(workspaces).where(workspaces.c.workspace_id == bindparam("key"))
_BY_USER = select(workspaces).where(workspaces.c.user_id == bindparam("key"))
_ADD = insert(workspaces)
_DELETE = delete(workspaces).where(workspaces.c.workspace_id == bindparam("key"))


def _row(workspace: Workspace) -> dict[str, Any]:
    return {
        "workspace_id": str(workspace.workspace_id),
        "user_id": str(workspace.user_id),
        "created_at": to_micros(workspace.created_at),
        "quota_bytes": workspace.quota_bytes,
        "quota_inodes": workspace.quota_inodes,
    }


def workspace_of_row(row: Any) -> Workspace:
    """The Workspace a `workspaces` row holds."""
    return Workspace(
        UUID(row.workspace_id),
        UUID(row.user_id),
        from_micros(row.created_at),
        row.quota_bytes,
        row.quota_inodes,
    )
