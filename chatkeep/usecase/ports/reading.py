"""An open file whose bytes, size and validators all come from one open description: what a
read of a history or an attachment answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Protocol


class FileReader(Protocol):
    """An open file: size, ETag, Last-Modified and bytes all come from the same open file.
    `last_modified` is timezone-aware, whole seconds; None where there is no file (a history
    that is not a regular file reads as empty)."""

    size_bytes: int
    etag: str
    last_modified: datetime | None

    def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """The bytes from `offset` (bytes), `length` of them or up to the size opened; never past
        `size_bytes`. A guarded reader raises ContentChangedError (see version_check)."""
        ...

    def fileno(self) -> int | None:
        """A descriptor of the open file, for zero-copy sending; None if there is none
        (a small file already in memory, or bytes that are not in a local file)."""
        ...

    def version_check(self) -> Callable[[int], bool] | None:
        """For a reader guarded against torn reads (attachment content): a blocking function
        telling, from any descriptor of the open file, whether it still has the version the
        reader opened (identity, size, timestamps: what the ETag is made of). None when the
        bytes cannot change under the reader (held in memory) or are not guarded (a history,
        whose appends land past the bytes served). `chunks` of a guarded reader raises
        ContentChangedError rather than yield its last bytes of a file that moved."""
        ...

    async def aclose(self) -> None:
        """Close the open file; safe to call again."""
        ...
