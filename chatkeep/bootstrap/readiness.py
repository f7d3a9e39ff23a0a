"""The readiness checks behind `GET /readyz` (contract 1.1, "Operations"), built from the
adapters by the composition root: the metadata store answers a query, every directory the
storage writes takes a new file, and the data directory's filesystem has room left.
docs/021-operations.md says what each costs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread

from chatkeep.http.health import ReadinessCheck
from chatkeep.storage.disk import free_bytes, unwritable
from chatkeep.storage.layout import written_directories

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def readiness_checks(
    data_dir: Path, min_free_bytes: int, engine: AsyncEngine | None
) -> list[ReadinessCheck]:
    """The checks `metadata` (a query on `engine`; always ok for metadata in memory, when
    `engine` is None), `data_dir_writable` and `free_space` (at least `min_free_bytes`)."""
    return [
        ReadinessCheck("metadata", partial(_metadata_answers, engine)),
        ReadinessCheck("data_dir_writable", partial(_writable, data_dir)),
        ReadinessCheck("free_space", partial(_enough_room, data_dir, min_free_bytes)),
    ]


async def _metadata_answers(engine: AsyncEngine | None) -> str | None:
    if engine is None:
        return None  # in this process's memory: it answers while the process does
    from chatkeep.repository.sql.engine import ping

    await ping(engine)
    return None


async def _writable(data_dir: Path) -> str | None:
    def first_problem() -> str | None:
        for directory in written_directories(data_dir):
            reason = unwritable(directory)
            if reason is not None:
                return f"{directory}: {reason}"
        return None

    # Blocking calls, on a filesystem that may hang (NFS): never on the event loop.
    return await anyio.to_thread.run_sync(first_problem, abandon_on_cancel=True)


async def _enough_room(data_dir: Path, min_free_bytes: int) -> str | None:
    free = await anyio.to_thread.run_sync(free_bytes, data_dir, abandon_on_cancel=True)
    if free < min_free_bytes:
        return f"{free} bytes free, under the minimum of {min_free_bytes}"
    return None
