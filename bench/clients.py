"""Load generators: curl for big transfers, wrk for small requests, httpx for latency loops.

They run on the bench process's core (1), the servers on core 0.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

MIB = 1024 * 1024


def _curl(args: list[str]) -> tuple[int, float]:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-H",
            "Expect:",
            "-w",
            "%{http_code} %{time_total}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def _headers(headers: Mapping[str, str]) -> list[str]:
    return [arg for key, value in headers.items() for arg in ("-H", f"{key}: {value}")]


def download_mib_s(url: str, size: int, headers: Mapping[str, str] = {}) -> float:
    status, seconds = _curl([*_headers(headers), url])
    assert status == 200, (url, status)
    return size / MIB / seconds


def upload_mib_s(
    url: str, source: Path, method: str, expected: int, headers: Mapping[str, str] = {}
) -> float:
    extra = ["-H", "Content-Type: application/octet-stream"]
    status, seconds = _curl(["-X", method, "-T", str(source), *extra, *_headers(headers), url])
    assert status == expected, (url, status)
    return source.stat().st_size / MIB / seconds


def multipart_mib_s(
    url: str, source: Path, headers: Mapping[str, str] = {}, filename: str = "multipart.bin"
) -> float:
    status, seconds = _curl(["-F", f"file=@{source};filename={filename}", *_headers(headers), url])
    assert status == 201, (url, status)
    return source.stat().st_size / MIB / seconds


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int = 0  # answered in the whole run


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {label} latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str,
    seconds: int,
    headers: Mapping[str, str] = {},
    method: str = "GET",
    body: str | None = None,
    connections: int = 64,
) -> WrkResult:
    script = f'wrk.method = "{method}"\n'
    if body is not None:
        script += f"wrk.body = {body!r}\n".replace("'", '"')
    for key, value in headers.items():
        script += f'wrk.headers["{key}"] = "{value}"\n'
    script += (
        "non2xx = 0\n"
        "response = function(status, headers, body)\n"
        "  if status >= 300 then non2xx = non2xx + 1 end\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    threads = "1"
    out = subprocess.run(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", lua.name, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    Path(lua.name).unlink()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert rate is not None, out
    assert total is not None, out
    return WrkResult(
        float(rate.group(1)),
        _latency_ms(out, "50%"),
        _latency_ms(out, "99%"),
        int(errors.group(1)) if errors else 0,
        int(total.group(1)),
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process `pid` has used so far, in seconds: divided by
    the requests served in between, the cost of a request, whatever else runs on the host."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency_ms(
    call: Callable[[], httpx.Response], count: int, expected: int
) -> tuple[float, float]:
    """Median and p99 latency of `count` sequential calls."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expected, response.text
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def interleaved_latency_ms(
    calls: Mapping[int, Callable[[], httpx.Response]], count: int, expected: int
) -> dict[int, tuple[float, float]]:
    """Median and p99 latency of each call, taking turns: A, B, C, A, B, C ..."""
    samples: dict[int, list[float]] = {key: [] for key in calls}
    for _ in range(count):
        for key, call in calls.items():
            started = time.perf_counter()
            response = call()
            samples[key].append((time.perf_counter() - started) * 1000)
            assert response.status_code == expected, response.text
    return {
        key: (
            statistics.median(values),
            sorted(values)[min(len(values) - 1, int(len(values) * 0.99))],
        )
        for key, values in samples.items()
    }


def wrk_with_cpu(
    url: str, seconds: int, pid: int, headers: Mapping[str, str], method: str, body: str | None
) -> tuple[float, float]:
    """One wrk run against the server `pid`: its rate (requests per second) and the
    server's CPU time per request (seconds). Raises AssertionError on a non-2xx answer."""
    before = cpu_seconds(pid)
    result = wrk(url, seconds, headers, method, body)
    used = cpu_seconds(pid) - before
    assert result.non_2xx == 0, (url, result)
    return result.requests_per_s, used / result.requests
