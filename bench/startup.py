"""Time of the start-up reconciliation over a store of many chats (SQLite metadata).

Builds N chats, each with a one-file attachment, through the use cases on a throwaway
data directory, then reopens the store as a restarted server does and times
`reconcile_store` over it (nothing to repair: the common case).

    python -m bench.startup [--chats 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from chatkeep.bootstrap.metadata import open_metadata
from chatkeep.bootstrap.ports import build_ports
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.files.upload import IncomingFile, upload_files
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.store.startup import reconcile_store
from chatkeep.usecase.workspace.ensure import ensure_workspace


async def one_file() -> AsyncIterator[IncomingFile]:
    async def body() -> AsyncIterator[bytes]:
        yield b"x" * 100

    yield IncomingFile("notes.txt", "text/plain", body())


async def fill(ports: Ports, chats: int) -> None:
    await ports.storage.start()
    users = [uuid.uuid4() for _ in range(10)]
    for user in users:
        await ensure_workspace(ports, user, 2**40)
    for index in range(chats):
        user = users[index % len(users)]
        chat = await create_chat(ports, user, None)
        await upload_files(ports, user, chat.chat_id, one_file())
    await ports.storage.close()


async def timed(ports: Ports) -> float:
    await ports.storage.start()
    started = time.perf_counter()
    repairs = await reconcile_store(ports, ports.clock.now())
    elapsed = time.perf_counter() - started
    assert not repairs, repairs
    await ports.storage.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=10_000)
    chats = parser.parse_args().chats
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        filled = build_ports(
            data, default_quota_bytes=2**40, repositories=open_metadata("sqlite", data)
        )
        asyncio.run(fill(filled, chats))
        # A new process would take the lock again; this one holds it already.
        from chatkeep.bootstrap.metadata import mirror_of
        from chatkeep.repository.sql.engine import open_database, sqlite_url

        async def reopen() -> float:
            engine = await open_database(sqlite_url(data / "metadata.sqlite3"))
            ports = build_ports(
                data, default_quota_bytes=2**40, repositories=await mirror_of(engine)
            )
            try:
                return await timed(ports)
            finally:
                await engine.dispose()

        elapsed = asyncio.run(reopen())
    print(
        f"{chats} chats, 1 attachment each: start-up reconciliation {elapsed:.2f} s "
        f"({elapsed / chats * 1e6:.0f} us per chat)"
    )


if __name__ == "__main__":
    main()
