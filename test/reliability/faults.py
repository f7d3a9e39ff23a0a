"""A fault-injecting layer at the storage adapter's OS boundary.

Every storage module reaches the OS through its module-level `os`; the tests swap
that name for a proxy that fails the Nth call of one function with a chosen errno
and passes everything else through to the real `os`.
"""

from __future__ import annotations

import errno as errnos
import importlib
import os
import pkgutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest

import chatkeep.storage
import chatkeep.storage.filesystem


def _storage_modules() -> list[ModuleType]:
    """Every module of the storage adapter that calls `os` itself: each gets the faulty
    one, so that no system call of the storage escapes the sweep."""
    names = sorted(info.name for info in pkgutil.iter_modules(chatkeep.storage.__path__))
    modules = [importlib.import_module(f"chatkeep.storage.{name}") for name in names]
    return [module for module in modules if getattr(module, "os", None) is os]


STORAGE_MODULES: list[ModuleType] = _storage_modules()


class FaultyOs:
    """`os`, except that call number `nth` of `function` raises OSError(`code`).

    For `close`, only closes of descriptors opened for writing count: those are the
    closes that can lose written data.
    """

    def __init__(self, function: str, nth: int, code: int) -> None:
        self.function = function
        self.nth = nth
        self.code = code
        self.calls = 0
        self.fired = False
        self._lock = threading.Lock()
        self._writable: set[int] = set()

    def open(self, *args: Any, **kwargs: Any) -> int:
        fd = os.open(*args, **kwargs)
        flags = args[1] if len(args) > 1 else kwargs["flags"]
        if flags & (os.O_WRONLY | os.O_RDWR):
            with self._lock:
                self._writable.add(fd)
        return fd

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name != self.function:
            return real

        def faulty(*args: Any, **kwargs: Any) -> Any:
            if name == "close":
                with self._lock:
                    if args[0] not in self._writable:
                        return real(*args, **kwargs)
                    self._writable.discard(args[0])
            with self._lock:
                self.calls += 1
                fire = self.calls == self.nth
                if fire:
                    self.fired = True
            if fire:
                if name == "close" and args:
                    real(*args, **kwargs)  # the descriptor is gone either way, as in Linux
                raise OSError(self.code, f"injected {errnos.errorcode[self.code]} in {name}")
            return real(*args, **kwargs)

        return faulty


@contextmanager
def faulty_os(
    monkeypatch: pytest.MonkeyPatch, function: str, nth: int, code: int
) -> Iterator[FaultyOs]:
    proxy = FaultyOs(function, nth, code)
    with monkeypatch.context() as patch:
        for module in STORAGE_MODULES:
            patch.setattr(module, "os", proxy)
        yield proxy
