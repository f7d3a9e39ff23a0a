"""ObservedApp hands the recorders the exchanges that ended in one turn of the event loop,
together, once that turn is over (docs/021-operations.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from starlette.types import Message, Receive, Scope, Send

from chatkeep.http.metrics import Metrics
from chatkeep.http.observe import Exchange, ExchangeFields, ObservedApp


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare app: reads the body, answers 200 with its own path."""
    if scope["type"] == "lifespan":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


class Heard:
    """A recorder that keeps each sequence it is handed, as named tuples."""

    def __init__(self) -> None:
        self.calls: list[list[Exchange]] = []

    def __call__(self, exchanges: Sequence[ExchangeFields]) -> None:
        self.calls.append([Exchange._make(fields) for fields in exchanges])


async def request(app: ObservedApp, path: str, body: bytes = b"") -> list[Message]:
    scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def exchange(path: str) -> Exchange:
    return Exchange("GET", path, "unmatched", 400, 0.0, 0, 0, "r", None, None)


async def test_the_exchanges_of_one_loop_turn_reach_each_recorder_together() -> None:
    """Requests that end in the same turn are heard in one call per recorder, in the order
    they ended, once the turn is over; none before."""
    first, second = Heard(), Heard()
    app = ObservedApp(answer, [first, second])
    for n in range(3):  # none of them waits: all three end in this turn
        await request(app, f"/{n}", b"x" * n)
    assert first.calls == []
    await asyncio.sleep(0)
    [heard] = first.calls
    assert [(e.path, e.status, e.bytes_in, e.bytes_out) for e in heard] == [
        ("/0", 200, 0, 2),
        ("/1", 200, 1, 2),
        ("/2", 200, 2, 2),
    ]
    assert second.calls == first.calls
    await request(app, "/later")
    await asyncio.sleep(0)
    assert [[e.path for e in call] for call in first.calls] == [["/0", "/1", "/2"], ["/later"]]


async def test_the_answers_the_protocol_gives_itself_are_batched_too() -> None:
    """An exchange noted by the server protocol goes with the requests of its turn."""
    heard = Heard()
    app = ObservedApp(answer, [heard])
    app.record(exchange("/refused"))
    await request(app, "/served")
    await asyncio.sleep(0)
    assert [[e.path for e in call] for call in heard.calls] == [["/refused", "/served"]]


def test_outside_a_running_loop_an_exchange_is_heard_at_once() -> None:
    """With no event loop to end a turn, record() hands the exchange over at once."""
    heard = Heard()
    ObservedApp(answer, [heard]).record(exchange("/now"))
    assert [[e.path for e in call] for call in heard.calls] == [["/now"]]


async def test_a_failing_recorder_stops_neither_the_others_nor_later_turns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A recorder that raises (a closed stderr) is logged; the other recorders hear the
    same exchanges, and the next turn's exchanges are handed over as usual."""

    def broken(exchanges: Sequence[ExchangeFields]) -> None:
        raise OSError("stderr is gone")

    heard = Heard()
    app = ObservedApp(answer, [broken, heard])
    await request(app, "/one")
    await asyncio.sleep(0)
    await request(app, "/two")
    await asyncio.sleep(0)
    assert [[e.path for e in call] for call in heard.calls] == [["/one"], ["/two"]]
    assert "recording 1 requests failed" in caplog.text


async def test_the_end_of_the_lifespan_hands_over_what_is_left() -> None:
    """Exchanges noted just before shutdown are heard when the lifespan ends, without
    waiting for another turn of the loop."""
    heard = Heard()
    app = ObservedApp(answer, [heard])
    await request(app, "/last")

    async def receive() -> Message:
        return {"type": "lifespan.shutdown"}

    async def send(message: Message) -> None:
        pass

    await app({"type": "lifespan"}, receive, send)
    assert [[e.path for e in call] for call in heard.calls] == [["/last"]]


async def test_a_scrape_counts_every_request_that_has_ended() -> None:
    """/metrics hands over the exchanges of its own turn before counting: a request that
    ended just before the scrape is in it."""
    metrics = Metrics()
    app = ObservedApp(answer, [metrics])
    metrics.watch_requests(lambda: app.in_flight, app.flush)
    await request(app, "/counted")
    text, _ = await metrics.exposition(None)
    counted = 'chatkeep_http_requests_total{method="POST",route="unmatched",status="200"} 1.0'
    assert counted in text.decode()
