from __future__ import annotations

import uuid

from chatkeep.domain.workspace import Workspace
from chatkeep.repository.workspace import InMemoryWorkspaceRepository
from test.conftest import START


def workspace(user_id: uuid.UUID, quota: int = 10) -> Workspace:
    return Workspace(uuid.uuid4(), user_id, START, quota)


async def test_get_or_add_keeps_one_workspace_per_user() -> None:
    """A second get_or_add for the same user answers the first workspace."""
    repo = InMemoryWorkspaceRepository()
    user = uuid.uuid4()
    first = await repo.get_or_add(workspace(user))
    second = await repo.get_or_add(workspace(user))
    assert second == first
    assert await repo.get_by_user_id(user) == first
    assert await repo.get(first.workspace_id) == first


async def test_users_do_not_see_each_others_workspace() -> None:
    """get_by_user_id finds only the user's own workspace."""
    repo = InMemoryWorkspaceRepository()
    mine = await repo.get_or_add(workspace(uuid.uuid4()))
    assert await repo.get_by_user_id(uuid.uuid4()) is None
    assert await repo.get(mine.workspace_id) == mine


async def test_save_replaces_the_users_workspace() -> None:
    """Saving another workspace for a user replaces the old one entirely."""
    repo = InMemoryWorkspaceRepository()
    user = uuid.uuid4()
    old = await repo.get_or_add(workspace(user))
    new = workspace(user, quota=99)
    await repo.save(new)
    assert await repo.get_by_user_id(user) == new
    assert await repo.get(old.workspace_id) is None


async def test_delete_forgets_workspace_and_user() -> None:
    """After delete, neither the id nor the user finds the workspace."""
    repo = InMemoryWorkspaceRepository()
    user = uuid.uuid4()
    stored = await repo.get_or_add(workspace(user))
    await repo.delete(stored.workspace_id)
    assert await repo.get(stored.workspace_id) is None
    assert await repo.get_by_user_id(user) is None
    await repo.delete(stored.workspace_id)  # deleting twice is harmless
