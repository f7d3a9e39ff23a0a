"""What the access log and the metrics cost: the same wrk loads against two chatkeep
servers, one with its defaults (access log and metrics on) and one with
`--no-access-log --no-metrics`, taking turns, several rounds.

Both servers are pinned to core 0 and only one is loaded at a time; wrk and this process
run on core 1. Each round runs every route against both, in an order that alternates from
round to round, so that drift of the host hits both alike; the ratio on/off is taken
within each round, then summarised by its median.

    python -m bench.overhead [--rounds 6] [--seconds 5] [--log-format text] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import clients
from bench.docs_section import replace_section
from bench.peers import Chatkeep

QUIET_FLAGS = ("--no-access-log", "--no-metrics")
ROUTES = ("GET /v1/workspace", "POST /v1/chats/{id}/history (200 B)")


def prepare(server: Chatkeep, user: dict[str, str]) -> dict[str, tuple[str, str, str | None]]:
    """A workspace and a chat on `server`: each route's (url, method, body) for wrk."""
    with httpx.Client(base_url=server.url, headers=user, timeout=60) as api:
        api.put(
            "/v1/workspace", json={"quota_bytes": 2**50, "quota_inodes": 2**40}
        ).raise_for_status()
        chat_id = api.post("/v1/chats", json={}).json()["chat_id"]
    return {
        ROUTES[0]: (f"{server.url}/v1/workspace", "GET", None),
        ROUTES[1]: (f"{server.url}/v1/chats/{chat_id}/history", "POST", "x" * 199 + "\n"),
    }


@dataclass
class Sample:
    """One wrk run: requests per second, and the server's CPU time per request in µs."""

    rate: float
    cpu_us: float


def measure(rounds: int, seconds: int, log_format: str) -> dict[str, list[dict[str, Sample]]]:
    """Per route, per round: the sample of the server with access log and metrics ("on")
    and of the one without ("off")."""
    workdir = Path(tempfile.mkdtemp(prefix="chatkeep-overhead-", dir=os.environ.get("BENCH_TMP")))
    user = {"X-User-Id": str(uuid.uuid4())}
    servers = {
        "on": Chatkeep(workdir / "on", "--log-format", log_format, name="on"),
        "off": Chatkeep(workdir / "off", *QUIET_FLAGS, name="off"),
    }
    samples: dict[str, list[dict[str, Sample]]] = {route: [] for route in ROUTES}
    try:
        for server in servers.values():
            server.start()
        targets = {name: prepare(server, user) for name, server in servers.items()}
        for number in range(rounds):
            order = ("on", "off") if number % 2 == 0 else ("off", "on")
            for route in ROUTES:
                measured = {}
                for name in order:
                    url, method, body = targets[name][route]
                    pid = servers[name].pid
                    rate, cpu = clients.wrk_with_cpu(url, seconds, pid, user, method, body)
                    measured[name] = Sample(rate, cpu * 1e6)
                samples[route].append(measured)
                print(
                    f"round {number + 1} {route}: "
                    + ", ".join(
                        f"{name} {m.rate:.0f} req/s {m.cpu_us:.0f} µs CPU/request"
                        for name, m in measured.items()
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return samples


def markdown(samples: dict[str, list[dict[str, Sample]]], seconds: int, log_format: str) -> str:
    lines = [
        f"## What the access log and the metrics cost ({log_format} lines)",
        "",
        f"Command: `python -m bench.overhead --log-format {log_format}`. Two `chatkeep serve`"
        f" (SQLite metadata): the defaults, access log ({log_format}) and metrics on, and "
        "`--no-access-log --no-metrics`; both pinned to core 0, loaded one at a time by wrk "
        f"(64 connections, {seconds} s) on core 1, taking turns within each round in "
        "alternating order. Rates move with whatever else the host runs; the server's CPU "
        "time per request (from /proc, over the requests wrk counted) does not, and is the "
        f"steadier figure. Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Ratios: median over rounds (min–max).",
        "",
        "| route | rounds | req/s on / off | rate on ÷ off | CPU µs per request on / off "
        "| CPU off ÷ on |",
        "|---|---|---|---|---|---|",
    ]
    for route, rounds in samples.items():
        rates = [r["on"].rate / r["off"].rate for r in rounds]
        cpus = [r["off"].cpu_us / r["on"].cpu_us for r in rounds]
        on_rate = statistics.median(r["on"].rate for r in rounds)
        off_rate = statistics.median(r["off"].rate for r in rounds)
        on_cpu = statistics.median(r["on"].cpu_us for r in rounds)
        off_cpu = statistics.median(r["off"].cpu_us for r in rounds)
        lines.append(
            f"| {route} | {len(rounds)} | {on_rate:.0f} / {off_rate:.0f} | "
            f"{_ratio(rates)} | {on_cpu:.0f} / {off_cpu:.0f} | {_ratio(cpus)} |"
        )
    lines += ["", "Target: on within 10% of off (ratios ≥ 0.90).", ""]
    return "\n".join(lines)


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--log-format", default="text", choices=["text", "json"])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {1})
    samples = measure(args.rounds, args.seconds, args.log_format)
    text = markdown(samples, args.seconds, args.log_format)
    print(text)
    if args.write_docs:
        replace_section(f"overhead-{args.log_format}", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
