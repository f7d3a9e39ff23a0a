from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from chatkeep.http.observe import Exchange
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
    series.observe(
        [
            Exchange(
                "GET", "/v1/workspace", "/v1/workspace", status, seconds, 0, 0, "r", None, None
            )
            for seconds, status in ((0.05, 200), (0.1, 200), (0.5, 404), (3.0, 200))
        ]
    )
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


def test_methods_outside_the_standard_ones_are_one_label() -> None:
    """A method no route could know (any token a 405 answers) is counted as "other", so
    that callers cannot grow the label set."""
    series = RequestSeries([1.0])
    series.observe(
        [Exchange(m, "/x", "unmatched", 405, 0.01, 0, 0, "r", None, None) for m in ("BREW", "X1")]
    )
    found = samples(series)
    other = (("method", "other"), ("route", "unmatched"), ("status", "405"))
    assert found[("chatkeep_http_requests_total", other)] == 2
    assert not any(("method", "BREW") in labels for _, labels in found)
