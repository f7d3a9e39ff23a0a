"""Peak RSS of a chatkeep server while it receives 1 GiB uploads (raw and multipart).

Starts `chatkeep serve` on a free loopback port with a throwaway data directory,
streams each upload from this process, reads the server's VmHWM (peak resident
set) from /proc after each, and writes the figures into docs/benchmarks.md.

    python -m bench.upload_memory [--size-mib 1024] [--write-docs]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.docs_section import replace_section
from bench.peers import peak_rss_mib
from test.e2e.server import RunningServer

BLOCK = os.urandom(1024 * 1024)
BOUNDARY = "bench-boundary-4c1d"


def current_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def blocks(mib: int) -> Iterator[bytes]:
    for _ in range(mib):
        yield BLOCK


def multipart(mib: int) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield from blocks(mib)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def expected_sha256(mib: int) -> str:
    digest = hashlib.sha256()
    for block in blocks(mib):
        digest.update(block)
    return digest.hexdigest()


def measure(mib: int) -> dict[str, float]:
    results: dict[str, float] = {}
    scratch_dir = tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP"))
    with scratch_dir as scratch, RunningServer(Path(scratch) / "data") as server:
        pid = server.process.pid
        client = httpx.Client(base_url=server.url, timeout=600)
        user = {"X-User-Id": str(uuid.uuid4())}
        client.put("/v1/workspace", headers=user, json={"quota_bytes": 4 * mib * 2**20})
        chat_id = client.post("/v1/chats", headers=user).json()["chat_id"]
        results["idle_rss_mib"] = current_rss_mib(pid)
        sha = expected_sha256(mib)

        started = time.perf_counter()
        raw = client.post(
            f"/v1/chats/{chat_id}/files?name=raw.bin",
            headers={**user, "Content-Length": str(mib * 2**20)},
            content=blocks(mib),
        )
        results["raw_seconds"] = time.perf_counter() - started
        assert raw.status_code == 201, raw.text
        assert raw.json()["files"][0]["sha256"] == sha
        results["raw_peak_rss_mib"] = peak_rss_mib(pid)

        started = time.perf_counter()
        multi = client.post(
            f"/v1/chats/{chat_id}/files",
            headers={**user, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            content=multipart(mib),
        )
        results["multipart_seconds"] = time.perf_counter() - started
        assert multi.status_code == 201, multi.text
        assert multi.json()["files"][0]["sha256"] == sha
        results["multipart_peak_rss_mib"] = peak_rss_mib(pid)
        client.close()
    return results


def report(mib: int, results: dict[str, float]) -> str:
    size = f"{mib} MiB"
    raw = f"{results['raw_seconds']:.1f} s ({mib / results['raw_seconds']:.0f} MiB/s)"
    multi = f"{results['multipart_seconds']:.1f} s ({mib / results['multipart_seconds']:.0f} MiB/s)"
    return f"""## Memory while receiving uploads

Command: `make bench-memory` (`python -m bench.upload_memory --size-mib {mib} --write-docs`).
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},
client and server on the same host over loopback, server unpinned. Peak RSS is the
server process's `VmHWM` (high-water mark since start, so it includes start-up).

| measure | value |
|---|---|
| server RSS at rest, after start-up | {results["idle_rss_mib"]:.1f} MiB |
| peak RSS after a {size} raw upload (sha256 checked) | {results["raw_peak_rss_mib"]:.1f} MiB |
| peak RSS after a further {size} multipart upload | {results["multipart_peak_rss_mib"]:.1f} MiB |
| raw upload time (throughput) | {raw} |
| multipart upload time (throughput) | {multi} |

Target: peak RSS under 100 MiB during any 1 GiB upload.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    results = measure(args.size_mib)
    section = report(args.size_mib, results)
    print(section)
    if args.write_docs:
        replace_section("upload-memory", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
