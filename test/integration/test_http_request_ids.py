"""Request ids (contract 1.1, "Operations"): on every answer, in every error body, in every
log line of the request."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from chatkeep.bootstrap.logs import configure_logging
from chatkeep.http.app import build_app
from chatkeep.usecase.ports import Ports

NEW_ID = re.compile(r"[0-9a-f]{32}")


async def test_the_callers_id_is_echoed(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """A caller's X-Request-Id of visible ASCII comes back as is, on a success and on an
    error, in the header and in the error body."""
    given = "abc-123_~!#$%&'*+.^`|:/?=@[]{}\"\\"
    ok = await client.put("/v1/workspace", headers={**user, "X-Request-Id": given})
    assert ok.status_code == 201
    assert ok.headers["x-request-id"] == given
    missing = await client.get("/v1/nothing", headers={**user, "X-Request-Id": "trace-7"})
    assert missing.headers["x-request-id"] == "trace-7"
    assert missing.json()["error"]["request_id"] == "trace-7"


async def test_an_id_is_made_when_none_is_given(client: httpx.AsyncClient) -> None:
    """Without X-Request-Id, the answer carries a new id: 32 lowercase hex digits."""
    response = await client.get("/healthz")
    assert NEW_ID.fullmatch(response.headers["x-request-id"])


async def test_made_ids_are_unique(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """500 answers, to the API, health and unknown paths, carry 500 different ids."""
    ids = set()
    for number in range(500):
        path = ("/v1/workspace", "/healthz", "/nowhere")[number % 3]
        ids.add((await client.get(path, headers=user)).headers["x-request-id"])
    assert len(ids) == 500


@pytest.mark.parametrize(
    "given",
    [
        "x" * 201,  # longer than 200
        "has space",
        "tab\there",
        "",
        "é-latin-1",
    ],
)
async def test_a_bad_callers_id_is_replaced(
    client: httpx.AsyncClient, user: dict[str, str], given: str
) -> None:
    """An X-Request-Id that is not 1-200 visible ASCII characters is replaced by a new id,
    in the header and in the error body."""
    headers = [*user.items(), ("X-Request-Id", given.encode("latin-1"))]
    response = await client.get("/v1/nothing", headers=headers)
    assert NEW_ID.fullmatch(response.headers["x-request-id"])
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


async def test_two_caller_ids_are_replaced(client: httpx.AsyncClient) -> None:
    """Two X-Request-Id headers name no one request: a new id answers."""
    headers = [("X-Request-Id", "one"), ("X-Request-Id", "two")]
    response = await client.get("/healthz", headers=headers)
    assert NEW_ID.fullmatch(response.headers["x-request-id"])


async def test_the_longest_callers_id_is_kept(client: httpx.AsyncClient) -> None:
    """200 visible characters is within the bound: echoed as is."""
    given = "r" * 200
    response = await client.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/v1/workspace", {}, 401),
        ("GET", "/v1/workspace", {"X-User-Id": "not-a-uuid"}, 400),
        ("GET", "/v1/workspace", "user", 404),
        ("PATCH", "/v1/workspace", "user", 405),
        ("GET", "/favicon.ico", {}, 404),
        ("POST", "/v1/chats", "user-json-too-large", 413),
    ],
)
async def test_every_error_body_carries_the_request_id(
    client: httpx.AsyncClient,
    user: dict[str, str],
    method: str,
    path: str,
    headers: object,
    status: int,
) -> None:
    """Error bodies are {"error": {"code", "message", "request_id"}}, the id the header
    carries."""
    content = None
    if headers == "user-json-too-large":
        await client.put("/v1/workspace", headers=user)
        headers, content = user, b"{" + b" " * (2 * 1024 * 1024) + b"}"
    elif headers == "user":
        headers = user
    assert isinstance(headers, dict)
    response = await client.request(method, path, headers=headers, content=content)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "request_id"}
    assert error["request_id"] == response.headers["x-request-id"]


class BrokenClock:
    def now(self) -> object:
        raise RuntimeError("the clock broke")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The process's log lines, in JSON, while the test runs."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("json", "info", stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


async def test_a_500_is_logged_with_its_request_id(
    ports: Ports, user: dict[str, str], log_lines: io.StringIO
) -> None:
    """An unexpected failure's traceback is logged on a line that names the request id
    the 500 answer gives: what the answer's "it has been logged" refers to."""
    broken = build_app(dataclasses.replace(ports, clock=BrokenClock()))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=broken, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.put("/v1/workspace", headers={**user, "X-Request-Id": "r-500"})
    assert response.status_code == 500
    assert response.json()["error"]["request_id"] == "r-500"
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    [failure] = [line for line in lines if line["level"] == "error"]
    assert failure["request_id"] == "r-500"
    assert "the clock broke" in failure["exception"]
    assert {"ts", "level", "event", "logger"} <= set(failure)
