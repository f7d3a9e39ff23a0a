from __future__ import annotations

import os

from bench.messages import measure, report


def test_messages_benchmark_runs_on_a_small_history() -> None:
    """The messages benchmark still runs end to end (2 MiB instead of 100 MB, 10 requests)."""
    affinity = os.sched_getaffinity(0)
    try:
        results = measure(2, 10)
    finally:
        os.sched_setaffinity(0, affinity)
    assert results["large_bytes"] > 2 * 1024 * 1024 > results["small_bytes"] > 5000
    assert results["read_small_p50"] > 0
    assert results["append_large_p50"] > 0
    assert "| `GET …/messages?limit=20`" in report(2, 10, results)
