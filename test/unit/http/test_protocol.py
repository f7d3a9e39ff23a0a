from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from chatkeep.http.server.connection_limits import ConnectionLimits
from chatkeep.http.server.protocol import GuardedHttpToolsProtocol


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.fixture
async def served() -> AsyncIterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections wait in the backlog until the server accepts them
    app = Starlette(routes=[Route("/", hello)])
    protocol = GuardedHttpToolsProtocol.with_limits(ConnectionLimits())
    config = uvicorn.Config(app, http=protocol, lifespan="off", ws="none", log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    await task


def cycles_alive() -> int:
    return sum(isinstance(o, RequestResponseCycle) for o in gc.get_objects())


async def test_a_finished_request_is_freed_without_the_collector(
    collector_off: None, served: str
) -> None:
    """Each request's state goes with its last reference, not at the next garbage
    collection: under load, cycles waiting for the collector grew the server by MBs."""
    async with httpx.AsyncClient(base_url=served) as client:
        for _ in range(20):
            assert (await client.get("/")).json() == {"hello": "world"}
        # The connection keeps its latest request's state, and nothing older.
        assert cycles_alive() <= 1


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    protocol = GuardedHttpToolsProtocol.with_limits(ConnectionLimits())
    config = uvicorn.Config(app, http=protocol, lifespan="off", ws="none", log_level="critical")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def raises(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("boom")


async def answers_nothing(scope: Scope, receive: Receive, send: Send) -> None:
    return None


@pytest.mark.parametrize("app", [raises, answers_nothing], ids=["raises", "answers-nothing"])
async def test_the_servers_own_500_is_json(app: ASGIApp) -> None:
    """An application that raises before answering, or returns without an answer, gets
    uvicorn's 500, now JSON internal_error (it was text/plain "Internal Server Error"),
    with a request id in the body and in X-Request-Id."""
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert len(error["request_id"]) == 32
    assert response.headers["x-request-id"] == error["request_id"]
