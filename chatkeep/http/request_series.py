"""The two per-request metrics, `chatkeep_http_requests_total{method,route,status}` and
`chatkeep_http_request_duration_seconds{method,route}`, counted in plain Python on the event
loop and handed to prometheus_client as a custom collector when scraped.

prometheus_client's own Counter and Histogram take a lock, check and look up their labels on
every update, which they need from threads; these two are only ever updated and read on
the event loop's thread, where that was most of the metrics' cost on a small request
(docs/021-operations.md). The exposition is prometheus_client's, unchanged."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from chatkeep.http.observe import KNOWN_METHODS, OTHER_METHOD, ExchangeFields

REQUESTS = "chatkeep_http_requests"
DURATIONS = "chatkeep_http_request_duration_seconds"


class Series:
    """The requests of one (method, route): how many per status, and their durations."""

    __slots__ = ("buckets", "by_status", "sum")

    def __init__(self, buckets: int) -> None:
        self.by_status: dict[int, int] = {}
        self.buckets = [0] * buckets  # per bucket, not cumulative; the last is +Inf
        self.sum = 0.0


class RequestSeries(Collector):
    """Requests by (method, route, status) and their durations by (method, route), in the
    histogram `buckets` (upper bounds in seconds, increasing; +Inf is added)."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.bounds = tuple(buckets)
        self.series: dict[tuple[str, str], Series] = {}

    def observe(self, exchanges: Iterable[ExchangeFields]) -> None:
        """Counts each exchange: one request of its method (or "other"), route and status,
        that took its duration. Event loop only."""
        bounds, all_series = self.bounds, self.series
        for method, _, route, status, seconds, _, _, _, _, _ in exchanges:
            if method not in KNOWN_METHODS:
                method = OTHER_METHOD
            series = all_series.get((method, route))
            if series is None:
                series = all_series[(method, route)] = Series(len(bounds) + 1)
            by_status = series.by_status
            by_status[status] = by_status.get(status, 0) + 1
            # The first bound at or above `seconds`: Prometheus buckets are "less or equal".
            series.buckets[bisect_left(bounds, seconds)] += 1
            series.sum += seconds

    def collect(self) -> Iterator[Metric]:
        """The two metric families, as prometheus_client's registry asks at a scrape."""
        requests = CounterMetricFamily(
            REQUESTS,
            "HTTP requests answered, by method, route template and status.",
            labels=["method", "route", "status"],
        )
        durations = HistogramMetricFamily(
            DURATIONS,
            "Time from a request's start to the end of its answer, by method and route.",
            labels=["method", "route"],
        )
        bounds = (*map(floatToGoString, self.bounds), "+Inf")
        for (method, route), series in self.series.items():
            for status, count in series.by_status.items():
                requests.add_metric([method, route, str(status)], count)
            cumulative, total = [], 0
            for bound, count in zip(bounds, series.buckets, strict=True):
                total += count
                cumulative.append((bound, total))
            durations.add_metric([method, route], cumulative, series.sum)
        yield requests
        yield durations
