"""Routing /v1: chatkeep's dispatch table against Starlette's `Router` with flat routes (no
middleware stack), on the same operations, handlers, identity check and error table.

    python -m bench.routing [--requests 20000] [--rounds 5] [--write-docs]

Each request is an ASGI call in this process (no socket, no server protocol), so the
figures are the routing layer's own cost plus the handler's, per request, in CPU
microseconds (`time.process_time`); the two variants take turns within each round.
Requests: `GET /v1/workspace` (an exact path), `GET /v1/chats/{chat_id}/files/{file_id}`
(the deepest template), `GET /v1/nowhere` (a 404 after every pattern is tried)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.docs_section import replace_section
from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import OPERATIONS
from chatkeep.http.dispatch import ROUTE_KEY, Dispatch
from chatkeep.http.errors import EXCEPTION_HANDLERS
from chatkeep.http.identity import Identity, is_api
from chatkeep.http.operation import Handler
from chatkeep.usecase.ports import Ports

USER = str(uuid.uuid4())


async def _error_response(request: Request, error: Exception) -> Response:
    for kind in type(error).__mro__:
        handler = EXCEPTION_HANDLERS.get(kind)
        if handler is not None:
            return await handler(request, error)
    raise error


def starlette_router(ports: Ports, fallback: ASGIApp) -> ASGIApp:
    """The /v1 API on Starlette's Router: one Route per path, its methods' handlers behind
    it; identity first, as in the dispatch table; errors through the same table."""
    identity = Identity(None)
    by_path: dict[str, dict[str, Handler]] = {}
    for operation in OPERATIONS:
        by_path.setdefault(operation.path, {})[operation.method] = operation.handler

    class Endpoint:
        """One path's handlers, as an ASGI app (a class instance: Starlette would call a
        plain function with a request)."""

        def __init__(self, path: str, handlers: dict[str, Handler]) -> None:
            self.path, self.handlers = path, handlers

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            scope[ROUTE_KEY] = self.path
            request = Request(scope, receive)
            method = "GET" if scope["method"] == "HEAD" else scope["method"]
            try:
                response = await self.handlers[method](request, ports)
            except Exception as error:
                response = await _error_response(request, error)
            await response(scope, receive, send)

    router = Router(
        routes=[
            Route(path, Endpoint(path, handlers), methods=list(handlers))
            for path, handlers in by_path.items()
        ],
        redirect_slashes=False,
    )

    async def api(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api(scope["path"]):
            await fallback(scope, receive, send)
            return
        scope["app"] = api  # Starlette's Route raises HTTPException(405) inside an app
        try:
            identity.identify(scope)
            await router(scope, receive, send)
        except HTTPException as error:
            request = Request(scope, receive)
            await (await _error_response(request, error))(scope, receive, send)

    return api


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("only /v1 is measured")


def _scope(method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"x-user-id", USER.encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"2")]
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 1),
        "headers": headers,
    }


async def _call(app: ASGIApp, scope: dict[str, Any], body: bytes = b"") -> tuple[int, bytes]:
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(dict(scope), receive, send)
    return answer["status"], answer["body"]


async def _per_request_us(app: ASGIApp, scope: dict[str, Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        await _call(app, scope)
    return (time.process_time() - started) / count * 1e6


async def measure(requests: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per request CPU microseconds, by request and variant, one figure per round."""
    with tempfile.TemporaryDirectory() as data_dir:
        ports = build_ports(Path(data_dir), default_quota_bytes=1 << 30)
        await ports.storage.start()
        variants: dict[str, ASGIApp] = {
            "dispatch table": Dispatch(OPERATIONS, [], ports, _not_found, None),
            "Starlette Router": starlette_router(ports, _not_found),
        }
        table = variants["dispatch table"]
        assert (await _call(table, _scope("PUT", "/v1/workspace", b"{}"), b"{}"))[0] == 201
        status, body = await _call(table, _scope("POST", "/v1/chats", b"{}"), b"{}")
        chat_id = body.split(b'"chat_id":"')[1].split(b'"')[0].decode()
        files = f"/v1/chats/{chat_id}/files/{uuid.uuid4()}"
        requests_by_name = {
            "GET /v1/workspace": (_scope("GET", "/v1/workspace"), 200),
            "GET /v1/chats/{chat_id}/files/{file_id}": (_scope("GET", files), 404),
            "GET /v1/nowhere": (_scope("GET", "/v1/nowhere"), 404),
        }
        results: dict[str, dict[str, list[float]]] = {
            name: {variant: [] for variant in variants} for name in requests_by_name
        }
        for name, (scope, expected) in requests_by_name.items():
            for variant, app in variants.items():
                status, body = await _call(app, scope)
                assert status == expected, (variant, name, status, body)
        for round_number in range(rounds):
            order = list(variants.items())
            if round_number % 2:
                order.reverse()
            for name, (scope, _) in requests_by_name.items():
                for variant, app in order:
                    results[name][variant].append(await _per_request_us(app, scope, requests))
        await ports.storage.close()
        return results


def markdown(results: dict[str, dict[str, list[float]]], requests: int, rounds: int) -> str:
    """The results as a Markdown table: median (min-max) µs per request and the ratio."""
    lines = [
        f"Command: `python -m bench.routing --requests {requests} --rounds {rounds}`; "
        "in-process ASGI calls, CPU µs per request, median (min-max) over rounds.",
        "",
        "| request | dispatch table | Starlette Router | Router / table |",
        "|---|---|---|---|",
    ]
    fmt: Callable[[list[float]], str] = lambda v: (  # noqa: E731
        f"{statistics.median(v):.1f} ({min(v):.1f}-{max(v):.1f})"
    )
    for name, by_variant in results.items():
        table, router = by_variant["dispatch table"], by_variant["Starlette Router"]
        ratio = statistics.median(r / t for r, t in zip(router, table, strict=True))
        lines.append(f"| `{name}` | {fmt(table)} | {fmt(router)} | {ratio:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.requests, args.rounds))
    text = markdown(results, args.requests, args.rounds)
    print(text)
    if args.write_docs:
        replace_section(
            "routing", "## Routing /v1: the dispatch table and Starlette's Router\n\n" + text + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
