"""The Prometheus metrics of `GET /metrics` (contract 1.1, "Operations"), in a registry of
their own, so that several apps in one process (tests) never share a series.

Requests are counted at the HTTP edge from each exchange; the inside reports through plain
callables (`observe_fsync`, given to the storage by the composition root), and the gauges
of state (free bytes, active sandbox sessions) are read when scraped. Labels are bounded:
routes are templates or "unmatched", methods the standard ones or "other"."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from operator import itemgetter

import anyio.to_thread
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.exposition import choose_encoder

from chatkeep.http.observe import ExchangeFields
from chatkeep.http.request_series import RequestSeries

log = logging.getLogger("chatkeep.metrics")

UPLOAD_ROUTE = "/v1/chats/{chat_id}/files"
DOWNLOAD_ROUTE = "/v1/chats/{chat_id}/files/{file_id}/content"
QUOTA_REFUSAL = "workspace_quota_exceeded"
# Small API requests take well under a millisecond; 1 GiB transfers take seconds.
REQUEST_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
)
FSYNC_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
_ROUTE = itemgetter(2)
_ERROR_CODE = itemgetter(9)
# A scrape is answered even when the metadata store does not answer: that gauge is NaN then.
GAUGE_READ_SECONDS = 2.0


class Metrics:
    """The metrics of one app: a recorder of exchanges for ObservedApp, an fsync observer
    for the storage, and the gauges of state it is told how to read (`watch_...`)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(collector)
        self._requests = RequestSeries(REQUEST_BUCKETS)
        registry.register(self._requests)
        self._in_flight = Gauge(
            "chatkeep_http_requests_in_flight",
            "HTTP requests being served.",
            registry=registry,
        )
        self._uploaded = Counter(
            "chatkeep_upload_bytes",
            f"Request body bytes received by attachment uploads (POST {UPLOAD_ROUTE}).",
            registry=registry,
        )
        self._downloaded = Counter(
            "chatkeep_download_bytes",
            f"File bytes sent by attachment downloads (GET {DOWNLOAD_ROUTE}, 2xx answers).",
            registry=registry,
        )
        self._quota_refusals = Counter(
            "chatkeep_quota_refusals",
            f"Requests refused with 413 {QUOTA_REFUSAL}.",
            registry=registry,
        )
        self._sessions = Gauge(
            "chatkeep_sandbox_sessions_active",
            "Sandbox sessions active now, in the whole metadata store (shared by replicas).",
            registry=registry,
        )
        self._fsyncs = Histogram(
            "chatkeep_fsync_duration_seconds",
            "Duration of each fsync(2) of the storage (files and directories).",
            buckets=FSYNC_BUCKETS,
            registry=registry,
        )
        self._free = Gauge(
            "chatkeep_data_dir_free_bytes",
            "Bytes available to the server on the data directory's filesystem.",
            registry=registry,
        )
        self._flush: Callable[[], None] = _nothing
        self._free_bytes: Callable[[], int] | None = None
        self._active_sessions: Callable[[], Awaitable[int]] | None = None

    def watch_requests(self, in_flight: Callable[[], float], flush: Callable[[], None]) -> None:
        """Makes the in-flight gauge read `in_flight()` at each scrape, and each scrape
        call `flush()` first, so that it counts every request ended before it (the
        exchanges of a loop turn are recorded at its end: ObservedApp)."""
        self._in_flight.set_function(in_flight)
        self._flush = flush

    def watch_state(
        self, *, free_bytes: Callable[[], int], active_sessions: Callable[[], Awaitable[int]]
    ) -> None:
        """At each scrape, `free_bytes()` (blocking: run in a thread) gives the data
        directory's free bytes and `active_sessions()` the sandbox sessions active now."""
        self._free_bytes, self._active_sessions = free_bytes, active_sessions

    def __call__(self, exchanges: Sequence[ExchangeFields]) -> None:
        """Counts `exchanges` (a recorder for ObservedApp)."""
        self._requests.observe(exchanges)
        # Transfers and refusals are rare among requests: looked for in C, counted in Python.
        routes = set(map(_ROUTE, exchanges))
        if UPLOAD_ROUTE in routes or DOWNLOAD_ROUTE in routes:
            for method, _, route, status, _, bytes_in, bytes_out, _, _, _ in exchanges:
                if route == UPLOAD_ROUTE and method == "POST":
                    self._uploaded.inc(bytes_in)
                elif route == DOWNLOAD_ROUTE and method == "GET" and 200 <= status < 300:
                    self._downloaded.inc(bytes_out)  # the file's bytes, not an error's body
        refusals = list(map(_ERROR_CODE, exchanges)).count(QUOTA_REFUSAL)
        if refusals:
            self._quota_refusals.inc(refusals)

    def observe_fsync(self, seconds: float) -> None:
        """Records one fsync's duration in seconds; thread-safe (called from the storage's
        worker threads)."""
        self._fsyncs.observe(seconds)

    async def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The registry in the text format `accept` asks for (Prometheus text by default,
        OpenMetrics when asked), and its media type; the gauges of state read first."""
        self._flush()
        if self._free_bytes is not None:
            free = anyio.to_thread.run_sync(self._free_bytes, abandon_on_cancel=True)
            self._free.set(await self._read(free))
        if self._active_sessions is not None:
            self._sessions.set(await self._read(self._active_sessions()))
        encode, media_type = choose_encoder(accept or "")
        return encode(self.registry), media_type

    async def _read(self, value: Awaitable[int]) -> float:
        try:
            return float(await asyncio.wait_for(value, GAUGE_READ_SECONDS))
        except Exception as error:
            log.warning("a metric could not be read: %s", error or type(error).__name__)
            return math.nan


def _nothing() -> None:
    """No exchanges wait to be recorded (no app watched)."""
