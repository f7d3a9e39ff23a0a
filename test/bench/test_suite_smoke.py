from __future__ import annotations

import shutil

import pytest

from bench import suite

MISSING = [tool for tool in ("nginx", "wrk", "curl", "taskset") if shutil.which(tool) is None]


@pytest.mark.skipif(
    bool(MISSING),
    reason=f"the benchmark needs {', '.join(MISSING)}; `make bench-tools` installs them as root",
)
def test_benchmark_suite_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    """`make bench-smoke` (one round, small sizes) runs end to end and reports every target."""
    assert suite.main(["--smoke", "--no-docs"]) == 0
    report = capsys.readouterr().out
    assert "| download ≥ 0.7" in report
    assert "| rss_upload < 100 MiB |" in report
    assert "64 KiB upload latency at 100 ≤ 1.2" in report
