from __future__ import annotations

from uuid import UUID

from chatkeep.domain.workspace import Workspace


class InMemoryWorkspaceRepository:
    def __init__(self) -> None:
        self._by_id: dict[UUID, Workspace] = {}
        self._id_by_user: dict[UUID, UUID] = {}

    async def get(self, workspace_id: UUID) -> Workspace | None:
        """In memory. See WorkspaceRepository.get."""
        return self._by_id.get(workspace_id)

    async def get_by_user_id(self, user_id: UUID) -> Workspace | None:
        """In memory. See WorkspaceRepository.get_by_user_id."""
        workspace_id = self._id_by_user.get(user_id)
        return None if workspace_id is None else self._by_id.get(workspace_id)

    async def list_all(self) -> list[Workspace]:
        """In memory. See WorkspaceRepository.list_all."""
        return list(self._by_id.values())

    async def get_or_add(self, workspace: Workspace) -> Workspace:
        """In memory. See WorkspaceRepository.get_or_add."""
        existing = await self.get_by_user_id(workspace.user_id)
        if existing is not None:
            return existing
        await self.save(workspace)
        return workspace

    async def save(self, workspace: Workspace) -> None:
        """In memory. See WorkspaceRepository.save."""
        previous_id = self._id_by_user.get(workspace.user_id)
        if previous_id is not None and previous_id != workspace.workspace_id:
            del self._by_id[previous_id]
        self._by_id[workspace.workspace_id] = workspace
        self._id_by_user[workspace.user_id] = workspace.workspace_id

    async def delete(self, workspace_id: UUID) -> None:
        """In memory. See WorkspaceRepository.delete."""
        workspace = self._by_id.pop(workspace_id, None)
        if workspace is not None:
            del self._id_by_user[workspace.user_id]
