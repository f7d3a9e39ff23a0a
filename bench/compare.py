"""Two versions of chatkeep side by side: the same wrk loads on a server running the source
tree given (`--before`, e.g. a `git worktree` of an earlier commit) and on this one,
taking turns within each round, with each server's CPU time per request. For a change
that must not change speed (a refactoring): the ratios should sit within the noise.

    python -m bench.compare --before /path/to/old/checkout [--rounds 6] [--seconds 4]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from bench import clients
from bench.overhead import ROUTES, prepare
from bench.peers import Chatkeep


class Before(Chatkeep):
    """`chatkeep serve` from another source tree (found first on PYTHONPATH)."""

    def __init__(self, workdir: Path, source: Path) -> None:
        super().__init__(workdir, name="before")
        self.source = source

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "PYTHONPATH": str(self.source)}


def measure(source: Path, rounds: int, seconds: int) -> dict[str, dict[str, list[float]]]:
    """Per route: the rate ratios after/before and the CPU-per-request ratios, per round."""
    workdir = Path(tempfile.mkdtemp(prefix="chatkeep-compare-"))
    user = {"X-User-Id": str(uuid.uuid4())}
    servers = {"before": Before(workdir / "b", source), "after": Chatkeep(workdir / "a")}
    found: dict[str, dict[str, list[float]]] = {r: {"rate": [], "cpu": []} for r in ROUTES}
    try:
        for server in servers.values():
            server.start()
        targets = {name: prepare(server, user) for name, server in servers.items()}
        for number in range(rounds):
            order = ("before", "after") if number % 2 == 0 else ("after", "before")
            for route in ROUTES:
                sample = {}
                for name in order:
                    url, method, body = targets[name][route]
                    pid = servers[name].pid
                    sample[name] = clients.wrk_with_cpu(url, seconds, pid, user, method, body)
                found[route]["rate"].append(sample["after"][0] / sample["before"][0])
                found[route]["cpu"].append(sample["after"][1] / sample["before"][1])
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args(argv)
    for route, ratios in measure(args.before, args.rounds, args.seconds).items():
        rate, cpu = ratios["rate"], ratios["cpu"]
        print(
            f"{route}: rate after/before {statistics.median(rate):.3f} "
            f"({min(rate):.3f}-{max(rate):.3f}), CPU per request after/before "
            f"{statistics.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f})",
            file=sys.stdout,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
