"""Keyed locks the use cases and the storage share (decision record 020)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class KeyedLocks(Protocol):
    """Readers-writer locks by key, for check-then-act sequences across awaits.

    Reentrant within one task; a task holding a key shared must not ask for it
    exclusively. Waiting exclusive holders go before new shared ones.
    """

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` alone: no other holder, shared or exclusive, meanwhile."""
        ...

    def hold_shared(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` beside other shared holders, never beside an exclusive one."""
        ...
