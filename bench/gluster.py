"""Uploads and appends per second with the data directory on a GlusterFS mount and on a
local directory: one replica on one throwaway PostgreSQL, the same run, alternating.

Sets up a one-brick GlusterFS volume mounted as docs/deployment.md says (test/gluster.py;
needs root, /dev/fuse and glusterfs-server) and a throwaway PostgreSQL (test/postgres.py).
Each round runs one `chatkeep serve` per place, in turn: WORKERS clients, each on a chat
of its own, make OPS raw uploads of 10 KiB (a new name each), then OPS appends of 200
bytes to their chat's history. Prints one line per place and round.

    python -m bench.gluster [--ops 400] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from test.e2e.server import RunningServer
from test.gluster import ThrowawayVolume, unavailable
from test.postgres import ThrowawayPostgres, server_binaries

WORKERS = 16
UPLOAD = b"u" * 10 * 1024
APPEND = b"a" * 199 + b"\n"


def rates(server: RunningServer, ops: int) -> tuple[float, float]:
    """Uploads per second and appends per second through `server`."""
    user = {"X-User-Id": str(uuid.uuid4())}
    client = httpx.Client(base_url=server.url, headers=user, timeout=60)
    client.put(
        "/v1/workspace", json={"quota_bytes": 2**40, "quota_inodes": 2**40}
    ).raise_for_status()
    chats = [client.post("/v1/chats", json={}).json()["chat_id"] for _ in range(WORKERS)]
    share = ops // WORKERS

    def uploads(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers=user, timeout=60) as own:
            for index in range(share):
                url = f"/v1/chats/{chats[worker]}/files?name=f{index}.bin"
                own.post(url, content=UPLOAD).raise_for_status()

    def appends(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers=user, timeout=60) as own:
            for _ in range(share):
                own.post(f"/v1/chats/{chats[worker]}/history", content=APPEND).raise_for_status()

    measured = []
    for work in (uploads, appends):
        started = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(work, range(WORKERS)))
        measured.append(share * WORKERS / (time.perf_counter() - started))
    return measured[0], measured[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    reason = unavailable()
    binaries = server_binaries()
    if reason is not None or binaries is None:
        raise SystemExit(reason or "PostgreSQL's server binaries are not installed")
    postgres, volume = ThrowawayPostgres(binaries), ThrowawayVolume()
    local = Path(tempfile.mkdtemp(prefix="chatkeep-bench-local-"))
    try:
        postgres.start()
        volume.start()
        for round_number in range(1, options.rounds + 1):
            for place, root in (("local", local), ("glusterfs", volume.mounts[0])):
                url = asyncio.run(postgres.new_database())
                data_dir = root / uuid.uuid4().hex
                with RunningServer(data_dir, "--metadata", url) as server:
                    uploads, appends = rates(server, options.ops)
                print(
                    f"round {round_number} {place:9}: {uploads:7.1f} uploads/s (10 KiB), "
                    f"{appends:7.1f} appends/s (200 B), {WORKERS} clients"
                )
    finally:
        volume.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
