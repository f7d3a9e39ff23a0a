"""The uvicorn internals the server layer relies on (chatkeep/http/server/uvicorn_internals.py)
are all there, in the installed uvicorn: an upgrade that renames, drops or rewrites one
fails here, naming it, rather than in production."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from typing import Any

import pytest
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from chatkeep.http.server.uvicorn_internals import (
    CYCLE_ATTRIBUTES,
    CYCLE_METHODS,
    PINNED_SOURCES,
    PROTOCOL_ATTRIBUTES,
    PROTOCOL_METHODS,
)

OWNERS = {"HttpToolsProtocol": HttpToolsProtocol, "RequestResponseCycle": RequestResponseCycle}


class FakeTransport(asyncio.Transport):
    """Enough of a socket's transport for uvicorn to parse one request head."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 5000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def waits_for_ever(scope: Any, receive: Any, send: Any) -> None:
    await asyncio.Event().wait()


@pytest.fixture
async def parsed() -> Any:
    """A plain HttpToolsProtocol that has read the head of a request with a body."""
    config = Config(waits_for_ever, lifespan="off", ws="none", log_level="critical")
    config.load()
    state = ServerState()
    protocol = HttpToolsProtocol(config, state, {}, asyncio.get_running_loop())
    protocol.connection_made(FakeTransport())
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
    yield protocol
    for task in state.tasks:
        task.cancel()
    await asyncio.gather(*state.tasks, return_exceptions=True)


def test_uvicorn_is_the_pinned_minor_version() -> None:
    """The list was made against uvicorn 0.54; pyproject.toml pins below 0.55."""
    assert uvicorn.__version__.startswith("0.54."), uvicorn.__version__


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_each_protocol_method_relied_on_exists(name: str) -> None:
    """Every HttpToolsProtocol method overridden or called is still a method of it."""
    assert callable(getattr(HttpToolsProtocol, name, None)), PROTOCOL_METHODS[name]


@pytest.mark.parametrize("name", CYCLE_METHODS)
def test_each_cycle_method_relied_on_exists(name: str) -> None:
    """Every RequestResponseCycle method used is still a method of it."""
    assert callable(getattr(RequestResponseCycle, name, None)), CYCLE_METHODS[name]


async def test_each_attribute_relied_on_is_set_by_uvicorn(parsed: HttpToolsProtocol) -> None:
    """After a request head is parsed, the protocol and its cycle have every attribute the
    server layer reads or writes (none is missing)."""
    missing = [name for name in PROTOCOL_ATTRIBUTES if not hasattr(parsed, name)]
    missing += [f"cycle.{name}" for name in CYCLE_ATTRIBUTES if not hasattr(parsed.cycle, name)]
    assert missing == []
    assert isinstance(parsed.cycle, RequestResponseCycle)
    assert parsed.cycle.more_body
    assert not parsed.cycle.response_started


@pytest.mark.parametrize("qualified", PINNED_SOURCES)
def test_each_pinned_source_is_unchanged(qualified: str) -> None:
    """The functions whose code the server layer reproduces or depends on line by line have
    the source they had when it was written (read the change before upgrading)."""
    owner, _, name = qualified.partition(".")
    source = inspect.getsource(getattr(OWNERS[owner], name))
    digest, why = PINNED_SOURCES[qualified]
    assert hashlib.sha256(source.encode()).hexdigest() == digest, f"{qualified}: {why}"
