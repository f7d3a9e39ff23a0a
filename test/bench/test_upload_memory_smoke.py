from __future__ import annotations

from bench.upload_memory import measure, report


def test_memory_benchmark_runs_on_small_uploads() -> None:
    """The upload-memory benchmark still runs end to end (4 MiB instead of 1 GiB)."""
    results = measure(4)
    assert 0 < results["idle_rss_mib"] <= results["raw_peak_rss_mib"]
    assert results["raw_peak_rss_mib"] <= results["multipart_peak_rss_mib"]
    assert "| peak RSS after a 4 MiB raw upload" in report(4, results)
