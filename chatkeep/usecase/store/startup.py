"""Start-up reconciliation: metadata and disk made to agree again after a crash, a power
loss or a hand in the data directory. The rules (decision record 018):

- a workspace row without its directory: the directory is made again, empty;
- a chat row without its directory: made again with an empty history;
- an attachment row whose file is gone or is no longer a regular file: the row goes;
- an attachment whose size differs from its row: rehashed, the row updated;
- a regular file at the top of a chat directory without a row (a crash between
  publishing it and committing its row): adopted, as a sandbox's file is;
- a workspace or chat directory without a row, last changed before `orphans_before`
  (a crash between making it and committing its row): removed.

A chat with an active sandbox session is left to the session's end, which rescans it.
A workspace whose directories cannot be read or repaired (a sandbox's modes, a chat
directory swapped while it was looked at) is counted in `workspaces_failed`, its error
kept in `failures`, and the others go on: start-up never fails on what a sandbox left
(contract, Version 1.1, "Hostile trees and resource limits").
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field, fields
from datetime import datetime
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatAttachmentName
from chatkeep.domain.errors import (
    ChatNotFoundError,
    InsufficientStorageError,
    InvalidAttachmentNameError,
)
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.access_keys import chat_lock
from chatkeep.usecase.ports import Ports, StoredDir
from chatkeep.usecase.store.reconcile import adopt_files, refresh_files


@dataclass
class Repairs:
    workspace_dirs_made: int = 0
    chat_dirs_made: int = 0
    file_rows_dropped: int = 0
    files_rehashed: int = 0
    files_adopted: int = 0
    orphan_dirs_removed: int = 0
    workspaces_failed: int = 0
    # One line per failed workspace: its id and the error.
    failures: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(self._counts().values())

    def __str__(self) -> str:
        done = [f"{count} {name}" for name, count in self._counts().items() if count]
        return ", ".join(done) or "nothing to repair"

    def _counts(self) -> dict[str, int]:
        counts = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: count for name, count in counts.items() if isinstance(count, int)}


async def reconcile_store(ports: Ports, orphans_before: datetime) -> Repairs:
    """Repair metadata and disk by the rules above; directories without a row go only if last
    changed before `orphans_before` (UTC). Never raises for one workspace's disk (OSError,
    ChatNotFoundError): it is counted in `Repairs.workspaces_failed`."""
    repairs = Repairs()
    workspaces = await ports.workspaces.list_all()
    known = {workspace.workspace_id for workspace in workspaces}
    on_disk = {found.id: found for found in await ports.storage.list_workspace_dirs()}
    for found in on_disk.values():
        if found.id not in known and found.modified_at < orphans_before:
            await _isolated(repairs, found.id, _remove_orphan(ports, found.id, repairs))
    for workspace in workspaces:
        step = _reconcile_workspace(ports, workspace, on_disk, orphans_before, repairs)
        await _isolated(repairs, workspace.workspace_id, step)
    return repairs


async def _isolated(repairs: Repairs, workspace_id: UUID, step: Awaitable[None]) -> None:
    """Run one workspace's step; a failure of what is on disk (a chat directory gone or
    unreadable, the disk full) is noted, not raised: start-up goes on (contract 1.1,
    "Hostile trees and resource limits")."""
    try:
        await step
    except (OSError, ChatNotFoundError, InsufficientStorageError) as error:
        repairs.workspaces_failed += 1
        repairs.failures.append(f"workspace {workspace_id}: {error}")


async def _remove_orphan(ports: Ports, workspace_id: UUID, repairs: Repairs) -> None:
    await ports.storage.delete_workspace(workspace_id)
    repairs.orphan_dirs_removed += 1


async def _reconcile_workspace(
    ports: Ports,
    workspace: Workspace,
    workspace_dirs: dict[UUID, StoredDir],
    orphans_before: datetime,
    repairs: Repairs,
) -> None:
    workspace_id = workspace.workspace_id
    if workspace_id not in workspace_dirs:
        await ports.storage.create_workspace(workspace_id)
        repairs.workspace_dirs_made += 1
    on_disk = {found.id: found for found in await ports.storage.list_chat_dirs(workspace_id)}
    changed = False
    for chat in await ports.chats.list_by_workspace_id(workspace_id):
        found = on_disk.pop(chat.chat_id, None)
        if found is not None and await _agrees(ports, chat, found):
            continue  # the common case: one scan of the workspace, no lock, no more I/O
        changed |= await _reconcile_chat(ports, workspace_id, chat, found is not None, repairs)
    for orphan in on_disk.values():
        if orphan.modified_at >= orphans_before:
            continue  # perhaps another process is creating this chat right now
        async with ports.locks.hold(chat_lock(orphan.id)):
            if await ports.chats.get(orphan.id) is None:
                await ports.storage.delete_chat(workspace_id, orphan.id)
                repairs.orphan_dirs_removed += 1
                changed = True
    if changed:
        await ports.storage.recount_usage(workspace_id)


async def _agrees(ports: Ports, chat: Chat, found: StoredDir) -> bool:
    """Whether every row has its file, of its size, and every file that could be an
    attachment has its row."""
    on_disk = {f.name: f.size_bytes for f in found.files}
    for known in await ports.files.list_by_chat_id(chat.chat_id):
        if on_disk.pop(known.name.value, None) != known.size_bytes:
            return False
    return not any(_adoptable(name) for name in on_disk)


def _adoptable(name: str) -> bool:
    try:
        ChatAttachmentName(name)
    except InvalidAttachmentNameError:
        return False
    return True


async def _reconcile_chat(
    ports: Ports, workspace_id: UUID, chat: Chat, present: bool, repairs: Repairs
) -> bool:
    async with ports.locks.hold(chat_lock(chat.chat_id)):
        if await ports.chats.get(chat.chat_id) is None:
            return False  # deleted meanwhile
        session = await ports.sandboxes.get_by_chat_id(chat.chat_id)
        if session is not None and session.is_active(ports.clock.now()):
            return False
        changed = False
        if not present and await ports.storage.restore_chat(workspace_id, chat.chat_id):
            repairs.chat_dirs_made += 1
            changed = True
        on_disk = {f.name: f for f in await ports.storage.scan_chat(workspace_id, chat.chat_id)}
        resized = []
        for known in await ports.files.list_by_chat_id(chat.chat_id):
            found = on_disk.pop(known.name.value, None)
            if found is None:
                await ports.files.delete(known.file_id)
                repairs.file_rows_dropped += 1
                changed = True
            elif found.size_bytes != known.size_bytes:
                resized.append(known)
        await refresh_files(ports, workspace_id, chat.chat_id, resized)
        repairs.files_rehashed += len(resized)
        changed |= bool(resized)
        adopted = await adopt_files(ports, workspace_id, chat.chat_id, sorted(on_disk))
        repairs.files_adopted += adopted
        changed |= adopted > 0
        return changed
