from __future__ import annotations

from bench import routing


def test_routing_benchmark_runs_both_variants_on_every_request() -> None:
    """A small run answers each request alike on both routers (the benchmark checks the
    statuses) and reports a positive time and a ratio for each."""
    results = routing.asyncio.run(routing.measure(requests=20, rounds=1))
    assert set(results) == {
        "GET /v1/workspace",
        "GET /v1/chats/{chat_id}/files/{file_id}",
        "GET /v1/nowhere",
    }
    for by_variant in results.values():
        assert set(by_variant) == {"dispatch table", "Starlette Router"}
        assert all(len(times) == 1 and times[0] > 0 for times in by_variant.values())
    table = routing.markdown(results, 20, 1)
    assert table.count("\n| `GET") == 3
