"""Starting and closing the storage: its directories made, what a crash left in tmp/ and
journal/ repaired (decision record 018), and, for a replica, its own scratch and journal
directories claimed and a dead replica's taken over (processes.py). A start never fails
on what a sandbox left: what cannot be removed is logged and left."""

from __future__ import annotations

import os
from functools import partial

import anyio.to_thread

from chatkeep.storage import processes, removal
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.journal import AppendJournal
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import chat_bytes_lock
from chatkeep.usecase.ports import KeyedLocks


class Recovery:
    """The start and close of the storage on `layout`; `shared` when other processes use
    the same data directory, their chat locks being `locks`."""

    def __init__(self, layout: Layout, locks: KeyedLocks, *, shared: bool) -> None:
        self._layout = layout
        self._locks = locks
        self._shared = shared
        self.journal: AppendJournal | None = None
        self._process: processes.ProcessDirs | None = None

    async def start(self) -> None:
        """Make the directories, repair what a crash left, and open the temp directory
        and the journal this process writes (layout.tmp_fd, journal). Raises OSError when
        the data directory cannot be written."""
        await anyio.to_thread.run_sync(self._start)
        if self._process is not None:
            await self._recover_adopted()

    def close(self) -> None:
        """Close what start opened; a replica's own directories stay until then."""
        if self._layout.tmp_fd >= 0:
            os.close(self._layout.tmp_fd)
            self._layout.tmp_fd = -1
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self._process is not None:
            os.close(self._process.lock_fd)
            self._process = None

    async def _recover_adopted(self) -> None:
        """Settle the intents taken over from dead processes, each under its chat's
        cross-replica lock: other replicas may be appending to that chat now."""
        journal = self.journal
        assert journal is not None
        for name, chat_id in await anyio.to_thread.run_sync(journal.adopted):
            recover = partial(journal.recover_one, self._layout.try_open_chat_dir, name)
            if chat_id is None:
                await anyio.to_thread.run_sync(recover)
                continue
            async with self._locks.hold(chat_bytes_lock(chat_id)):
                await anyio.to_thread.run_sync(recover)

    def _start(self) -> None:
        layout = self._layout
        for directory in (layout.workspaces, layout.tmp, layout.journal, layout.processes):
            directory.mkdir(parents=True, exist_ok=True)
        tmp_fd = os.open(layout.tmp, DIR_FLAGS)
        journal = AppendJournal(os.open(layout.journal, DIR_FLAGS))
        locks_fd = os.open(layout.processes, DIR_FLAGS)
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
            layout.tmp_fd = self._process.tmp_fd
            self.journal = AppendJournal(self._process.journal_fd)
            return
        # One process only: whatever is in tmp/ is a body or a deletion that a crash
        # interrupted, whatever is in journal/ an append it may have torn.
        for name in os.listdir(tmp_fd):
            if not processes.is_process_entry(name):
                removal.remove_leftover(tmp_fd, name, "tmp")
        journal.recover(layout.try_open_chat_dir, skip=processes.is_process_entry)
        layout.tmp_fd, self.journal = tmp_fd, journal

    def _recover(self, journal_fd: int) -> None:
        AppendJournal(journal_fd).recover(self._layout.try_open_chat_dir)
