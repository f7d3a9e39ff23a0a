"""The ChatStorage port on a local filesystem.

    <data>/workspaces/<workspace_id>/chats/<chat_id>/history.md   what a sandbox sees
    <data>/tmp/       bodies being received, trees being deleted
    <data>/journal/   append intents (see journal.py)

tmp/ is on the same filesystem as workspaces/, so a rename publishes a file. A storage
`shared` with other processes keeps its scratch files and intents in directories of
its own below tmp/ and journal/ (see processes.py), and takes its chat locks from a
lock service that holds across processes.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import anyio.to_thread

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.errors import ChatNotFoundError, PreconditionFailedError
from chatkeep.domain.history import HistoryVersion
from chatkeep.domain.workspace import Usage
from chatkeep.storage import attachments, history, inventory, processes, removal
from chatkeep.storage.appends import PendingAppend, append_batch, next_batch
from chatkeep.storage.etag import MtimeStamper
from chatkeep.storage.files import (
    DIR_FLAGS,
    FsyncObserver,
    disk_full_is_domain_error,
    observe_fsyncs,
    stop_observing_fsyncs,
)
from chatkeep.storage.journal import AppendJournal
from chatkeep.storage.reader import FileReader, open_reader
from chatkeep.storage.spool import Spool
from chatkeep.storage.stale import retry_stale
from chatkeep.storage.tree import TreeSize, measure
from chatkeep.storage.usage import UsageLedger
from chatkeep.usecase.ports import (
    HashedFile,
    KeyedLocks,
    ScannedFile,
    StagedAttachment,
    StagedBody,
    StoredDir,
    UploadCheck,
)
from chatkeep.usecase.ports.quota import Counter, Ledger, Reservation

T = TypeVar("T")
MEMORY_SPOOL_BYTES = 1024 * 1024
# What a new chat takes of the inode quota: its directory and its history.
CHAT_INODES = 2
# The directories of the data directory the storage writes in: chat directories, temp
# files, append intents, and each process's own (replicas).
SUBDIRECTORIES = ("workspaces", "tmp", "journal", "processes")


def written_directories(data_dir: Path) -> list[Path]:
    """The data directory and every directory in it that the storage writes in."""
    return [data_dir, *(data_dir / name for name in SUBDIRECTORIES)]


class FileSystemChatStorage:
    def __init__(
        self,
        data_dir: Path,
        ledger: Callable[[Counter], Ledger] | None = None,
        *,
        locks: KeyedLocks,
        shared: bool = False,
        fsync_observer: FsyncObserver | None = None,
    ) -> None:
        """The storage of `data_dir`. `locks` are the chat locks the use cases hold too
        (this process's, or the replicas' when `shared`: other processes use the same data
        directory, so nothing on disk is this process's alone); `ledger(count)` keeps the
        usage (in memory by default); `fsync_observer(seconds)`, when given, hears the
        duration of every fsync while the storage is started (the metrics), from worker
        threads."""
        self._root = data_dir.resolve()
        self._fsync_observer = fsync_observer
        self._workspaces, self._tmp, self._journal_dir, self._processes = (
            self._root / name for name in SUBDIRECTORIES
        )
        self._shared = shared
        self._chat_locks = locks
        self._ledger = (ledger or UsageLedger)(self._count_workspace)
        self._stamper = MtimeStamper()
        self._tmp_fd = -1
        self._journal: AppendJournal | None = None
        self._process: processes.ProcessDirs | None = None
        self._appends: dict[UUID, deque[PendingAppend]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self._fsync_observer is not None:
            observe_fsyncs(self._fsync_observer)
        await anyio.to_thread.run_sync(self._start)
        if self._process is not None:
            await self._recover_adopted()
        await self._ledger.start()

    async def _recover_adopted(self) -> None:
        """Settle the intents taken over from dead processes, each under its chat's
        cross-replica lock: other replicas may be appending to that chat now."""
        journal = self._journal
        assert journal is not None
        for name, chat_id in await anyio.to_thread.run_sync(journal.adopted):
            recover = partial(journal.recover_one, self._try_open_chat_dir, name)
            if chat_id is None:
                await anyio.to_thread.run_sync(recover)
                continue
            async with self._chat_locks.hold(f"chat-bytes:{chat_id}"):
                await anyio.to_thread.run_sync(recover)

    def _start(self) -> None:
        for directory in (self._workspaces, self._tmp, self._journal_dir, self._processes):
            directory.mkdir(parents=True, exist_ok=True)
        tmp_fd = os.open(self._tmp, DIR_FLAGS)
        journal = AppendJournal(os.open(self._journal_dir, DIR_FLAGS))
        locks_fd = os.open(self._processes, DIR_FLAGS)
        try:
            with processes.startup_lock(locks_fd):
                if self._shared:
                    # Claimed first, so that a dead process's intents move into this
                    # journal (adopted) and are settled after start-up, under their locks.
                    self._process = processes.claim(locks_fd, tmp_fd, journal.dir_fd)
                    own = AppendJournal(self._process.journal_fd)
                    processes.recover_dead(locks_fd, tmp_fd, journal.dir_fd, own.adopt)
                else:
                    processes.recover_dead(locks_fd, tmp_fd, journal.dir_fd, self._recover)
        finally:
            os.close(locks_fd)
        if self._process is not None:
            os.close(tmp_fd)
            journal.close()
            self._tmp_fd = self._process.tmp_fd
            self._journal = AppendJournal(self._process.journal_fd)
            return
        # One process only: whatever is in tmp/ is a body or a deletion that a crash
        # interrupted, whatever is in journal/ an append it may have torn. What cannot be
        # removed is logged and left: a start never fails on what a sandbox left.
        for name in os.listdir(tmp_fd):
            if not processes.is_process_entry(name):
                removal.remove_leftover(tmp_fd, name, "tmp")
        journal.recover(self._try_open_chat_dir, skip=processes.is_process_entry)
        self._tmp_fd, self._journal = tmp_fd, journal

    def _recover(self, journal_fd: int) -> None:
        AppendJournal(journal_fd).recover(self._try_open_chat_dir)

    async def close(self) -> None:
        if self._fsync_observer is not None:
            stop_observing_fsyncs(self._fsync_observer)
        await self._ledger.close()
        if self._tmp_fd >= 0:
            os.close(self._tmp_fd)
            self._tmp_fd = -1
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._process is not None:
            os.close(self._process.lock_fd)  # this process's directories stay until then
            self._process = None

    def chat_dir(self, workspace_id: UUID, chat_id: UUID) -> Path:
        return self._workspaces / str(workspace_id) / "chats" / str(chat_id)

    # Workspaces

    async def create_workspace(self, workspace_id: UUID) -> None:
        path = self._workspaces / str(workspace_id) / "chats"
        await anyio.to_thread.run_sync(partial(path.mkdir, parents=True, exist_ok=True))

    async def delete_workspace(self, workspace_id: UUID) -> None:
        await self._run(partial(self._trash, self._workspaces, str(workspace_id), False))
        await self._ledger.forget(workspace_id)

    async def workspace_used_bytes(self, workspace_id: UUID) -> int:
        return await self._ledger.used_bytes(workspace_id)

    async def workspace_usage(self, workspace_id: UUID) -> Usage:
        return await self._ledger.usage(workspace_id)

    async def _count_workspace(self, workspace_id: UUID) -> Usage:
        # Alone: a write between putting its bytes on disk and adding them to the usage
        # would be counted twice, once by the walk and once by its own addition.
        async with self._chat_locks.hold(_usage_lock(workspace_id)):
            count = partial(self._count_tree, workspace_id)
            return await anyio.to_thread.run_sync(partial(retry_stale, count))

    def _changing_usage(self, workspace_id: UUID) -> AbstractAsyncContextManager[None]:
        """Held around a change of the workspace's bytes on disk and its addition to the
        usage, so that no walk of the disk counts one without the other."""
        return self._chat_locks.hold_shared(_usage_lock(workspace_id))

    def _count_tree(self, workspace_id: UUID) -> Usage:
        try:
            fd = os.open(self._workspaces / str(workspace_id) / "chats", DIR_FLAGS)
        except FileNotFoundError:
            return Usage(0, 0)
        try:
            # One walk of every chat directory: a file linked into two chats counts once.
            size = measure(fd)
        finally:
            os.close(fd)
        return Usage(size.bytes, size.entries)

    # Chats

    async def create_chat(
        self, workspace_id: UUID, chat_id: UUID, *, quota_inodes: int | None = None
    ) -> None:
        reservation = await self._ledger.reserve(workspace_id, 0, quota_inodes=quota_inodes)
        try:
            await reservation.require_inodes(CHAT_INODES)
            async with self._changing_usage(workspace_id):
                path = self.chat_dir(workspace_id, chat_id)
                await self._run(partial(inventory.create_chat_dir, path))
                await reservation.commit(0, CHAT_INODES)
        finally:
            await reservation.release()

    async def delete_chat(self, workspace_id: UUID, chat_id: UUID) -> None:
        async with (
            self._chat_locks.hold(f"chat-bytes:{chat_id}"),
            self._changing_usage(workspace_id),
        ):
            chats = self._workspaces / str(workspace_id) / "chats"
            removed = await self._run(partial(self._trash, chats, str(chat_id), True))
            if removed is None:  # part of it is left in tmp/: count what is left in place
                await self._ledger.forget(workspace_id)
            else:
                await self._ledger.add(workspace_id, -removed.bytes, -removed.entries)

    def _trash(self, parent: Path, name: str, counted: bool) -> TreeSize | None:
        return removal.trash(parent, name, self._tmp_fd, counted=counted)

    def _open_chat_dir(self, workspace_id: UUID, chat_id: UUID) -> int:
        chat_fd = self._try_open_chat_dir(workspace_id, chat_id)
        if chat_fd is None:
            raise ChatNotFoundError(str(chat_id))
        return chat_fd

    def _try_open_chat_dir(self, workspace_id: UUID, chat_id: UUID) -> int | None:
        try:
            return os.open(self.chat_dir(workspace_id, chat_id), DIR_FLAGS)
        except OSError as error:
            if error.errno in {errno.ENOENT, errno.ENOTDIR, errno.ELOOP}:
                return None
            raise

    def _in_chat_dir(self, workspace_id: UUID, chat_id: UUID, action: Callable[[int], T]) -> T:
        chat_fd = self._open_chat_dir(workspace_id, chat_id)
        try:
            return action(chat_fd)
        finally:
            os.close(chat_fd)

    def _reading(self, workspace_id: UUID, chat_id: UUID, action: Callable[[int], T]) -> T:
        """`_in_chat_dir` for an `action` that changes nothing: opened again from the
        path and retried when a handle went stale (another replica replaced it)."""
        return retry_stale(partial(self._in_chat_dir, workspace_id, chat_id, action))

    # History

    async def open_history(self, workspace_id: UUID, chat_id: UUID) -> FileReader:
        reader = partial(self._reading, workspace_id, chat_id, history.open_history_reader)
        return await self._run(reader)

    async def replace_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        staged = await self.stage_history(
            workspace_id, chat_id, body, quota_bytes=quota_bytes, preconditions=preconditions
        )
        return await self._write_then_discard(staged, append=False)

    async def append_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        staged = await self.stage_history(
            workspace_id,
            chat_id,
            body,
            quota_bytes=quota_bytes,
            preconditions=preconditions,
            append=True,
        )
        return await self._write_then_discard(staged, append=True)

    async def _write_then_discard(self, staged: StagedHistory, *, append: bool) -> HistoryVersion:
        try:
            if append:
                return await self.append_staged_history(staged)
            return await self.replace_staged_history(staged)
        finally:
            await self.discard_staged_history(staged)

    async def stage_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
        append: bool = False,
    ) -> StagedHistory:
        credit = 0
        if preconditions is not None or not append:  # an append needs no look otherwise
            current = await self._history_state(workspace_id, chat_id)
            _check(preconditions, current)  # refuse before the body is read, when it fails now
            credit = 0 if append else current.freed
        reservation = await self._ledger.reserve(workspace_id, quota_bytes, credit)
        spool = Spool(self._tmp_fd, MEMORY_SPOOL_BYTES)
        try:
            await _receive(body, spool, reservation)
        except BaseException:
            await reservation.release()
            await anyio.to_thread.run_sync(spool.discard)
            raise
        return StagedHistory(workspace_id, chat_id, spool, reservation, preconditions)

    async def replace_staged_history(self, staged_history: StagedBody) -> HistoryVersion:
        staged = _own_history(staged_history)
        workspace_id, chat_id = staged.workspace_id, staged.chat_id
        async with self._chat_locks.hold(f"chat-bytes:{chat_id}"):
            current = await self._history_state(workspace_id, chat_id)
            _check(staged.preconditions, current)
            await staged.reservation.require(staged.spool.size - current.freed)
            async with self._changing_usage(workspace_id):
                written = await self._write_new_history(workspace_id, chat_id, staged.spool, False)
                delta = written.st_size - current.freed
                await staged.reservation.commit(delta, current.new_inodes)
            return history.version_of(written)

    async def append_staged_history(self, staged_history: StagedBody) -> HistoryVersion:
        staged = _own_history(staged_history)
        workspace_id, chat_id = staged.workspace_id, staged.chat_id
        pending = PendingAppend(staged.spool, staged.reservation, staged.preconditions)
        staged.handed_over = True  # the drain settles the spool and the claim from here on
        queue = self._appends.get(chat_id)
        if queue is None:
            queue = self._appends[chat_id] = deque()
            drain = asyncio.create_task(self._drain_appends(workspace_id, chat_id, queue))
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        queue.append(pending)
        # Shielded: a client that goes away now does not take the others' batch with it.
        return await asyncio.shield(pending.answer)

    async def discard_staged_history(self, staged_history: StagedBody) -> None:
        staged = _own_history(staged_history)
        if not staged.handed_over:
            staged.handed_over = True
            await staged.reservation.release()
            await anyio.to_thread.run_sync(staged.spool.discard)

    async def _drain_appends(
        self, workspace_id: UUID, chat_id: UUID, queue: deque[PendingAppend]
    ) -> None:
        try:
            async with self._chat_locks.hold(f"chat-bytes:{chat_id}"):
                while queue:
                    await self._append_batch(workspace_id, chat_id, next_batch(queue))
                # Let go of the queue before the lock, with no await in between: letting go
                # of a shared lock is a database round trip, and an append queued meanwhile
                # would wait on a drain that has finished. It starts a drain of its own.
                del self._appends[chat_id]
        finally:
            if self._appends.get(chat_id) is queue:
                del self._appends[chat_id]
            for pending in queue:  # only if the drain itself failed
                await pending.fail(RuntimeError("the append was not written"))

    async def _append_batch(
        self, workspace_id: UUID, chat_id: UUID, batch: list[PendingAppend]
    ) -> None:
        assert self._journal is not None
        write = partial(
            append_batch,
            spools=[pending.spool for pending in batch],
            head_preconditions=batch[0].preconditions,
            stamper=self._stamper,
            journal=self._journal,
            chat=(workspace_id, chat_id),
        )
        async with self._changing_usage(workspace_id):
            try:
                result = await self._run(partial(self._in_chat_dir, workspace_id, chat_id, write))
            except Exception as error:
                for pending in batch:
                    await pending.fail(error)
                return
            if result is not None and result.after is not None:
                for pending in batch[1:] if result.refused_etag is not None else batch:
                    await pending.reservation.commit(pending.spool.size)
        if result is None:
            for pending in batch:
                await self._append_by_copy(workspace_id, chat_id, pending)
            return
        if result.refused_etag is not None:
            await batch[0].fail(PreconditionFailedError(result.refused_etag))
            batch = batch[1:]
        if result.after is not None:
            version = history.version_of(result.after)
            for pending in batch:
                await pending.succeed(version)

    async def _append_by_copy(
        self, workspace_id: UUID, chat_id: UUID, pending: PendingAppend
    ) -> None:
        """Append to a history that is not a lone regular file: old content plus the body
        into a new file, published over it (never written through a link)."""
        try:
            current = await self._history_state(workspace_id, chat_id)
            _check(pending.preconditions, current)
            kept = current.version.size_bytes if current.regular else 0
            await pending.reservation.require(pending.spool.size + kept - current.freed)
            async with self._changing_usage(workspace_id):
                written = await self._write_new_history(workspace_id, chat_id, pending.spool, True)
                delta = written.st_size - current.freed
                await pending.reservation.commit(delta, current.new_inodes)
        except Exception as error:
            await pending.fail(error)
            return
        await pending.succeed(history.version_of(written))

    async def _write_new_history(
        self, workspace_id: UUID, chat_id: UUID, spool: Spool, keep_old: bool
    ) -> os.stat_result:
        def write(chat_fd: int) -> os.stat_result:
            return history.write_new_history(
                chat_fd, self._tmp_fd, spool, self._stamper, keep_old=keep_old
            )

        return await self._run(partial(self._in_chat_dir, workspace_id, chat_id, write))

    # Attachments

    async def stage_attachment(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        name: ChatAttachmentName,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        expected_size: int | None,
        check: UploadCheck | None = None,
        quota_inodes: int | None = None,
    ) -> StagedFile:
        current = await self._entry(workspace_id, chat_id, name.value)
        current.require_replaceable(name.value)
        reservation = await self._ledger.reserve(
            workspace_id, quota_bytes, current.freed, quota_inodes=quota_inodes
        )
        spool = Spool(self._tmp_fd, MEMORY_SPOOL_BYTES, hashed=True)
        try:
            await reservation.require_inodes(attachments.new_inodes(current))
            if expected_size is not None:
                await reservation.expect(expected_size)
            if check is not None:
                check(name, current.version)
            await _receive(body, spool, reservation)
        except BaseException:
            await reservation.release()
            await anyio.to_thread.run_sync(spool.discard)
            raise
        return StagedFile(name, spool, reservation)

    async def publish_attachments(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        staged_files: Sequence[StagedAttachment],
        check: UploadCheck | None = None,
    ) -> list[str]:
        staged = _own(staged_files)
        async with self._chat_locks.hold(f"chat-bytes:{chat_id}"):
            names = [file.name.value for file in staged]
            entries = await self._run(
                partial(self._reading, workspace_id, chat_id, _entries_of(names))
            )
            for file, current in zip(staged, entries, strict=True):
                current.require_replaceable(file.name.value)
                if check is not None:
                    check(file.name, current.version)
                await file.reservation.require(file.size_bytes - current.freed)
                await file.reservation.require_inodes(attachments.new_inodes(current))
            spools = [(file.name.value, file.spool) for file in staged]
            async with self._changing_usage(workspace_id):
                etags = await self._publish(workspace_id, chat_id, spools)
                for file, current in zip(staged, entries, strict=True):
                    added = attachments.new_inodes(current)
                    await file.reservation.commit(file.size_bytes - current.freed, added)
        return etags

    async def _publish(
        self, workspace_id: UUID, chat_id: UUID, spools: list[tuple[str, Spool]]
    ) -> list[str]:
        return await self._run(
            partial(
                self._in_chat_dir,
                workspace_id,
                chat_id,
                partial(
                    attachments.publish,
                    temp_dir_fd=self._tmp_fd,
                    files=spools,
                    stamper=self._stamper,
                ),
            )
        )

    async def discard_staged(self, staged: Sequence[StagedAttachment]) -> None:
        for file in _own(staged):
            await file.reservation.release()
            await anyio.to_thread.run_sync(file.spool.discard)

    async def open_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> FileReader | None:
        reader = partial(open_reader, name=name.value, guarded=True)
        return await self._run(partial(self._reading, workspace_id, chat_id, reader))

    async def delete_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> None:
        async with (
            self._chat_locks.hold(f"chat-bytes:{chat_id}"),
            self._changing_usage(workspace_id),
        ):
            remove = partial(attachments.remove, name=name.value)
            freed, inodes = await self._run(
                partial(self._in_chat_dir, workspace_id, chat_id, remove)
            )
            await self._ledger.add(workspace_id, -freed, -inodes)

    def workdir(self, workspace_id: UUID, chat_id: UUID) -> str:
        return str(self.chat_dir(workspace_id, chat_id))

    async def scan_chat(self, workspace_id: UUID, chat_id: UUID) -> list[ScannedFile]:
        return await self._run(partial(self._reading, workspace_id, chat_id, attachments.scan))

    async def hash_attachments(
        self, workspace_id: UUID, chat_id: UUID, names: Sequence[ChatAttachmentName]
    ) -> list[HashedFile | None]:
        # A thread per core, each through its share of the names: small files cost a
        # thread hop per share rather than per file, large ones hash on every core.
        count = min(_HASHERS, len(names))
        shares = [[name.value for name in names[i::count]] for i in range(count)]
        hashed = await asyncio.gather(
            *(
                self._run(partial(self._reading, workspace_id, chat_id, hasher))
                for hasher in (partial(attachments.hash_files, names=share) for share in shares)
            )
        )
        return [hashed[i % count][i // count] for i in range(len(names))]

    async def recount_usage(self, workspace_id: UUID) -> Usage:
        await self._ledger.forget(workspace_id)
        return await self._ledger.usage(workspace_id)

    async def list_workspace_dirs(self) -> list[StoredDir]:
        return await self._run(partial(inventory.subdirs, self._workspaces))

    async def list_chat_dirs(self, workspace_id: UUID) -> list[StoredDir]:
        chats = self._workspaces / str(workspace_id) / "chats"
        return await self._run(partial(inventory.subdirs, chats, with_files=True))

    async def restore_chat(self, workspace_id: UUID, chat_id: UUID) -> bool:
        return await self._run(
            partial(inventory.restore_chat, self.chat_dir(workspace_id, chat_id))
        )

    async def _entry(self, workspace_id: UUID, chat_id: UUID, name: str) -> attachments.Entry:
        found = partial(attachments.entry, name=name)
        return await self._run(partial(self._reading, workspace_id, chat_id, found))

    async def _history_state(self, workspace_id: UUID, chat_id: UUID) -> history.HistoryState:
        state = partial(self._reading, workspace_id, chat_id, history.history_state)
        return await anyio.to_thread.run_sync(state)

    async def _run(self, action: Callable[[], T]) -> T:
        with disk_full_is_domain_error():
            return await anyio.to_thread.run_sync(action)


_HASHERS = os.cpu_count() or 1


class StagedHistory:
    """A history body received in full outside the chat directory, its growth reserved,
    waiting to replace or be appended to the history."""

    def __init__(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        spool: Spool,
        reservation: Reservation,
        preconditions: Preconditions | None,
    ) -> None:
        self.workspace_id, self.chat_id = workspace_id, chat_id
        self.spool, self.reservation, self.preconditions = spool, reservation, preconditions
        self.size_bytes = spool.size
        self.handed_over = False


def _own_history(staged: StagedBody) -> StagedHistory:
    """The staged body, which this storage made (the port hands it back opaque)."""
    assert isinstance(staged, StagedHistory), "staged by another storage"
    return staged


class StagedFile:
    """An attachment received in full, outside the chat directory, waiting to be published."""

    def __init__(self, name: ChatAttachmentName, spool: Spool, reservation: Reservation) -> None:
        self.name = name
        self.spool = spool
        self.reservation = reservation
        self.size_bytes = spool.size
        self.sha256 = spool.sha256()


def _usage_lock(workspace_id: UUID) -> str:
    return f"usage:{workspace_id}"


def _own(staged: Sequence[StagedAttachment]) -> list[StagedFile]:
    """The staged uploads, which this storage made (the port hands them back opaque)."""
    own = [file for file in staged if isinstance(file, StagedFile)]
    assert len(own) == len(staged), "staged by another storage"
    return own


def _entries_of(names: list[str]) -> Callable[[int], list[attachments.Entry]]:
    def entries(chat_fd: int) -> list[attachments.Entry]:
        return [attachments.entry(chat_fd, name) for name in names]

    return entries


def _check(preconditions: Preconditions | None, current: history.HistoryState) -> None:
    if preconditions is not None:
        preconditions.require(current.version.representation)


async def _receive(body: AsyncIterator[bytes], spool: Spool, reservation: Reservation) -> None:
    async for chunk in body:
        if chunk:
            await reservation.grow(len(chunk))
            await spool.write(chunk)
    await spool.flush()
