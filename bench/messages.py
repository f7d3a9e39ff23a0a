"""Messages at two history sizes: reading the last 20 and appending one, 10 KB vs 100 MB.

Starts `chatkeep serve` pinned to core 0 (this process to core 1) on a throwaway data
directory, makes two chats in one workspace: a small one (about 10 KB of messages) and a
large one (about 100 MB of large messages, then the same small messages as the first),
then times, taking turns between the two, `GET …/messages?limit=20` and a one-message
`POST …/messages`, and writes the figures into docs/benchmarks.md.

    python -m bench.messages [--large-mib 100] [--count 300] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.clients import interleaved_latency_ms
from bench.docs_section import replace_section
from test.e2e.server import RunningServer

SMALL_MESSAGES = 40  # 40 blocks of about 250 bytes: about 10 KB
BULK_CONTENT = "m" * (256 * 1024 - 200)


def fill(client: httpx.Client, chat_id: str, headers: dict[str, str], large_mib: int) -> None:
    """About `large_mib` MiB of 256 KiB messages, sent 4 at a time."""
    url = f"/v1/chats/{chat_id}/messages"
    batch = {"messages": [{"role": "tool", "content": BULK_CONTENT}] * 4}
    for _ in range(large_mib):
        assert client.post(url, headers=headers, json=batch).status_code == 201


def small_messages(client: httpx.Client, chat_id: str, headers: dict[str, str]) -> None:
    url = f"/v1/chats/{chat_id}/messages"
    for n in range(SMALL_MESSAGES):
        role = "user" if n % 2 == 0 else "assistant"
        body = {"role": role, "content": f"message {n}: " + "words " * 15}
        assert client.post(url, headers=headers, json=body).status_code == 201


def history_bytes(client: httpx.Client, chat_id: str, headers: dict[str, str]) -> int:
    response = client.head(f"/v1/chats/{chat_id}/history", headers=headers)
    return int(response.headers["content-length"])


def measure(large_mib: int, count: int) -> dict[str, float]:
    results: dict[str, float] = {}
    scratch_dir = tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP"))
    with scratch_dir as scratch, RunningServer(Path(scratch) / "data") as server:
        if (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(server.process.pid, {0})
            os.sched_setaffinity(0, {1})
        client = httpx.Client(base_url=server.url, timeout=600)
        user = {"X-User-Id": str(uuid.uuid4())}
        client.put("/v1/workspace", headers=user, json={"quota_bytes": 4 * large_mib * 2**20})
        small = client.post("/v1/chats", headers=user).json()["chat_id"]
        large = client.post("/v1/chats", headers=user).json()["chat_id"]
        fill(client, large, user, large_mib)
        small_messages(client, small, user)
        small_messages(client, large, user)
        results["small_bytes"] = history_bytes(client, small, user)
        results["large_bytes"] = history_bytes(client, large, user)

        def reader(chat_id: str) -> Callable[[], httpx.Response]:
            url = f"/v1/chats/{chat_id}/messages?limit=20"
            return lambda: client.get(url, headers=user)

        def appender(chat_id: str) -> Callable[[], httpx.Response]:
            url = f"/v1/chats/{chat_id}/messages"
            body = {"role": "user", "content": "one more question, please"}
            return lambda: client.post(url, headers=user, json=body)

        reads = interleaved_latency_ms({0: reader(small), 1: reader(large)}, count, 200)
        appends = interleaved_latency_ms({0: appender(small), 1: appender(large)}, count, 201)
        for key, name in ((0, "small"), (1, "large")):
            results[f"read_{name}_p50"], results[f"read_{name}_p99"] = reads[key]
            results[f"append_{name}_p50"], results[f"append_{name}_p99"] = appends[key]
        client.close()
    return results


def _pair(results: dict[str, float], name: str, size: str) -> str:
    return f"{results[f'{name}_{size}_p50']:.2f} / {results[f'{name}_{size}_p99']:.2f}"


def report(large_mib: int, count: int, results: dict[str, float]) -> str:
    read_ratio = results["read_large_p50"] / results["read_small_p50"]
    append_ratio = results["append_large_p50"] / results["append_small_p50"]
    command = f"python -m bench.messages --large-mib {large_mib} --count {count} --write-docs"
    read_met = "met" if read_ratio <= 2 else "**missed**"
    rows = [
        "| measure | small history | large history | large / small |",
        "|---|---|---|---|",
        f"| history size | {results['small_bytes']:,.0f} bytes "
        f"| {results['large_bytes']:,.0f} bytes | |",
        f"| `GET …/messages?limit=20`, median / p99 ms | {_pair(results, 'read', 'small')} "
        f"| {_pair(results, 'read', 'large')} | {read_ratio:.2f}× |",
        f"| `POST …/messages` (one), median / p99 ms | {_pair(results, 'append', 'small')} "
        f"| {_pair(results, 'append', 'large')} | {append_ratio:.2f}× |",
    ]
    table = "\n".join(rows)
    return f"""## Messages: the last 20 and one more, at 10 KB and at 100 MB of history

Command: `make bench-messages` (`{command}`).
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
server pinned to core 0, this client to core 1, the two chats taking turns, {count}
sequential requests each. The large history is {large_mib} batches of four 256 KiB
messages followed by the same {SMALL_MESSAGES} short messages the small history holds.

{table}

Targets: reading the last 20 within 2× ({read_ratio:.2f}×, {read_met});
appending costs the same ({append_ratio:.2f}×).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large-mib", type=int, default=100)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    results = measure(args.large_mib, args.count)
    section = report(args.large_mib, args.count, results)
    print(section)
    if args.write_docs:
        replace_section("messages", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
