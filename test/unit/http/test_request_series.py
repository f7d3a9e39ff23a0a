from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from chatkeep.http.request_series import RequestSeries


def samples(series: RequestSeries) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(series)
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_counts_and_buckets_are_prometheus_ones() -> None:
    """Counts per (method, route, status); histogram buckets are cumulative and "less or
    equal": a duration on a bound counts in that bound's bucket; +Inf counts all."""
    series = RequestSeries([0.1, 1.0])
    for seconds, status in ((0.05, 200), (0.1, 200), (0.5, 404), (3.0, 200)):
        series.observe("GET", "/v1/workspace", status, seconds)
    found = samples(series)
    route = (("method", "GET"), ("route", "/v1/workspace"))
    assert found[("chatkeep_http_requests_total", (*route, ("status", "200")))] == 3
    assert found[("chatkeep_http_requests_total", (*route, ("status", "404")))] == 1
    bucket = "chatkeep_http_request_duration_seconds_bucket"
    assert found[(bucket, (("le", "0.1"), *route))] == 2
    assert found[(bucket, (("le", "1.0"), *route))] == 3
    assert found[(bucket, (("le", "+Inf"), *route))] == 4
    assert found[("chatkeep_http_request_duration_seconds_count", route)] == 4
    assert found[("chatkeep_http_request_duration_seconds_sum", route)] == 3.65
