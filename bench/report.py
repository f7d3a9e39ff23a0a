"""Turning the suite's figures into docs/benchmarks.md and docs/benchmarks.png."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from bench.docs_section import DOCS, replace_section

if TYPE_CHECKING:
    from bench.suite import Plan, Results

SYSTEMS = ("nginx", "naive", "chatkeep")
# Two more chatkeep servers that serve only these routes, back to back in each round: with
# the access log and metrics (the defaults), and with --no-access-log --no-metrics.
LOUD = "chatkeep_loud"
QUIET = "chatkeep_quiet"
QUIET_ROUTES = {
    "get_workspace": "GET /v1/workspace",
    "append_history": "POST /v1/chats/{id}/history (200 B)",
}

ROWS = [
    ("download", "1 GiB download, MiB/s", "higher"),
    ("upload", "1 GiB raw upload, MiB/s", "higher"),
    ("multipart", "1 GiB multipart upload, MiB/s", "higher"),
    ("rss_upload", "peak RSS during raw upload, MiB", "lower"),
    ("rss_multipart", "peak RSS during multipart upload, MiB", "lower"),
    ("small_json:rate", "small JSON (peer baseline), req/s", "higher"),
    ("small_json:p99", "small JSON p99, ms", "lower"),
]
ROUTES = [
    ("get_workspace", "GET /v1/workspace"),
    ("get_file", "GET /v1/chats/{id}/files/{file_id}"),
    ("append_history", "POST /v1/chats/{id}/history (200 B)"),
    ("create_chat", "POST /v1/chats"),
]


def summary(values: list[float]) -> str:
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.1f}"
    return f"{median:.1f} ({min(values):.1f}–{max(values):.1f})"


def paired_ratio(numerator: list[float], denominator: list[float]) -> float | None:
    """Median of the per-round ratios (rounds are paired by position)."""
    pairs = [a / b for a, b in zip(numerator, denominator, strict=False) if b]
    return statistics.median(pairs) if pairs else None


def fmt(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def targets(results: Results) -> list[tuple[str, float | None, float, bool]]:
    """(target, measured ratio, bound, met) for every target of the issue."""
    v = results.values
    rows: list[tuple[str, float | None, float, bool]] = []

    def at_least(name: str, ratio: float | None, bound: float) -> None:
        rows.append((name, ratio, bound, ratio is not None and ratio >= bound))

    def at_most(name: str, ratio: float | None, bound: float) -> None:
        rows.append((name, ratio, bound, ratio is not None and ratio <= bound))

    at_least(
        "download ≥ 0.7× nginx",
        paired_ratio(v["download"]["chatkeep"], v["download"]["nginx"]),
        0.7,
    )
    at_least(
        "raw upload ≥ 0.7× nginx", paired_ratio(v["upload"]["chatkeep"], v["upload"]["nginx"]), 0.7
    )
    at_least(
        "multipart ≥ 0.5× nginx raw upload",
        paired_ratio(v["multipart"]["chatkeep"], v["upload"]["nginx"]),
        0.5,
    )
    for metric, label in ROUTES:
        at_least(
            f"{label} rate ≥ 0.9× naive small JSON",
            paired_ratio(v[f"{metric}:rate"]["chatkeep"], v["small_json:rate"]["naive"]),
            0.9,
        )
        at_most(
            f"{label} p99 ≤ 1.2× naive small JSON",
            paired_ratio(v[f"{metric}:p99"]["chatkeep"], v["small_json:p99"]["naive"]),
            1.2,
        )
    for metric, label in QUIET_ROUTES.items():
        at_least(
            f"{label} rate, access log and metrics on ≥ 0.9× both off",
            paired_ratio(v[f"{metric}:rate"][LOUD], v[f"{metric}:rate"][QUIET]),
            0.9,
        )
    for metric in ("rss_upload", "rss_multipart"):
        peak = max(v[metric]["chatkeep"], default=None)
        rows.append((f"{metric} < 100 MiB", peak, 100.0, peak is not None and peak < 100))
    for key, label in (
        ("upload_64k_by_files", "64 KiB upload"),
        ("append_by_history_bytes", "append"),
    ):
        curve = results.scaling.get(key, {})
        if len(curve) >= 2:
            first, last = min(curve), max(curve)
            ratio = curve[last][0] / curve[first][0]
            at_most(f"{label} latency at {last:,} ≤ 1.2× at {first:,}", ratio, 1.2)
    return rows


def markdown(results: Results, plan: Plan, *, smoke: bool) -> str:
    v = results.values
    lines = [
        "## Side by side: nginx, a naive Starlette service, chatkeep",
        "",
        f"Command: `{'make bench-smoke' if smoke else 'make bench'}` (`python -m bench.suite"
        f"{' --smoke' if smoke else ''}`). {plan.rounds} round(s), transfers of "
        f"{plan.big_mib} MiB, wrk 64 connections for {plan.wrk_seconds} s per route.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Linux {platform.release()}. Servers pinned to core 0 "
        "(`taskset -c 0`), curl / wrk / the bench process to core 1; systems interleaved "
        "within each round. Figures: median (min–max) over rounds; ratios: median of the "
        "per-round ratios.",
        "",
        "| metric | nginx | naive Starlette | chatkeep | chatkeep / nginx | chatkeep / naive |",
        "|---|---|---|---|---|---|",
    ]
    for metric, label, _ in ROWS:
        cells = [summary(v[metric][system]) for system in SYSTEMS]
        lines.append(
            f"| {label} | {' | '.join(cells)} | "
            f"{fmt(paired_ratio(v[metric]['chatkeep'], v[metric]['nginx']))} | "
            f"{fmt(paired_ratio(v[metric]['chatkeep'], v[metric]['naive']))} |"
        )
    for metric, label in ROUTES:
        rate, p50, p99 = (v[f"{metric}:{kind}"]["chatkeep"] for kind in ("rate", "p50", "p99"))
        base_rate, base_p99 = v["small_json:rate"]["naive"], v["small_json:p99"]["naive"]
        lines.append(
            f"| {label}: req/s · p50 / p99 ms | – | – | {summary(rate)} · "
            f"{summary(p50)} / {summary(p99)} | – | {fmt(paired_ratio(rate, base_rate))} rate, "
            f"{fmt(paired_ratio(p99, base_p99))} p99 |"
        )
    lines += [
        "",
        "Access log and metrics (chatkeep's defaults) against both off (`--no-access-log "
        "--no-metrics`): two more servers that serve only these loads, the two runs of a "
        "route back to back within each round:",
        "",
        "| route | on, req/s | off, req/s | on / off |",
        "|---|---|---|---|",
    ]
    for metric, label in QUIET_ROUTES.items():
        on, off = v[f"{metric}:rate"][LOUD], v[f"{metric}:rate"][QUIET]
        lines.append(f"| {label} | {summary(on)} | {summary(off)} | {fmt(paired_ratio(on, off))} |")
    lines += ["", "Scaling (chatkeep, sequential requests, median / p99 ms):", ""]
    lines += ["| 64 KiB upload, files in the workspace | median ms | p99 ms |", "|---|---|---|"]
    for count, (median, p99) in sorted(results.scaling.get("upload_64k_by_files", {}).items()):
        lines.append(f"| {count:,} | {median:.2f} | {p99:.2f} |")
    lines += ["", "| 200-byte append, history size | median ms | p99 ms |", "|---|---|---|"]
    for size, (median, p99) in sorted(results.scaling.get("append_by_history_bytes", {}).items()):
        lines.append(f"| {size:,} bytes | {median:.2f} | {p99:.2f} |")
    lines += ["", "Targets:", "", "| target | measured | met |", "|---|---|---|"]
    for name, measured, _bound, met in targets(results):
        shown = "–" if measured is None else f"{measured:.2f}"
        lines.append(f"| {name} | {shown} | {'yes' if met else '**no**'} |")
    lines += ["", "![throughput and scaling](benchmarks.png)", ""]
    return "\n".join(lines)


def write(text: str, results: Results, *, smoke: bool) -> None:
    """Rewrite the suite's section of docs/benchmarks.md and the plot (not for smoke runs)."""
    if smoke:
        return
    replace_section("suite", text)
    plot(results, DOCS / "benchmarks.png")


def plot(results: Results, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = results.values
    figure, (bars, uploads, appends) = plt.subplots(1, 3, figsize=(15, 4.5))
    metrics = ["download", "upload", "multipart"]
    width = 0.27
    for offset, system in enumerate(SYSTEMS):
        heights = [statistics.median(v[m][system]) if v[m][system] else 0 for m in metrics]
        positions = [index + (offset - 1) * width for index in range(len(metrics))]
        bars.bar(positions, heights, width, label=system)
    bars.set_xticks(range(len(metrics)), ["download", "raw upload", "multipart"])
    bars.set_ylabel("MiB/s (median)")
    bars.set_title("1 GiB transfers")
    bars.legend()
    for axis, key, xlabel in (
        (uploads, "upload_64k_by_files", "files in the workspace"),
        (appends, "append_by_history_bytes", "history size (bytes)"),
    ):
        curve = sorted(results.scaling.get(key, {}).items())
        axis.plot([x for x, _ in curve], [m for _, (m, _) in curve], marker="o", label="median")
        axis.plot([x for x, _ in curve], [p for _, (_, p) in curve], marker="x", label="p99")
        axis.set_xscale("log")
        axis.set_xlabel(xlabel)
        axis.set_ylabel("latency (ms)")
        axis.set_ylim(bottom=0)
        axis.legend()
    uploads.set_title("64 KiB upload latency")
    appends.set_title("200-byte append latency")
    figure.tight_layout()
    figure.savefig(target, dpi=90)
    plt.close(figure)
