"""The two per-request metrics, `chatkeep_http_requests_total{method,route,status}` and
`chatkeep_http_request_duration_seconds{method,route}`, counted in plain Python on the event
loop and handed to prometheus_client as a custom collector when scraped.

prometheus_client's own Counter and Histogram take a lock, check and look up their labels on
every update, which they need from threads; these two are only ever updated and read on
the event loop's thread, where that was most of the metrics' cost on a small request
(docs/021-operations.md). The exposition is prometheus_client's, unchanged."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

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

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts one request answered `status` in `seconds`. Event loop only."""
        series = self.series.get((method, route))
        if series is None:
            series = self.series[(method, route)] = Series(len(self.bounds) + 1)
        series.by_status[status] = series.by_status.get(status, 0) + 1
        # The first bound at or above `seconds`: Prometheus buckets are "less or equal".
        series.buckets[bisect_left(self.bounds, seconds)] += 1
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
