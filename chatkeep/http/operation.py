"""An API operation: its handler and what the OpenAPI document says of it, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatkeep.usecase.interface import Ports

Handler = Callable[[Request, Ports], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Body:
    """A body that is not JSON: its media type and a description."""

    media_type: str
    description: str
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    responses: dict[int, type[BaseModel] | Body | None]
    request: type[BaseModel] | Body | tuple[Body, ...] | None = None
    body_required: bool = False
    errors: tuple[str, ...] = ()
    request_headers: tuple[str, ...] = ()
    query: tuple[str, ...] = ()


def json_response(model: BaseModel, status_code: int = 200, **headers: str) -> Response:
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")


def routes_of(operations: Sequence[Operation], ports: Ports) -> list[Route]:
    """One route per path dispatching on the method, so a 405 lists every allowed method."""
    by_path: dict[str, dict[str, Handler]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.method] = operation.handler
    routes = []
    for path, handlers in by_path.items():
        endpoint = partial(_dispatch, handlers, ports)
        routes.append(Route(path, endpoint, methods=list(handlers)))
    return routes


async def _dispatch(handlers: dict[str, Handler], ports: Ports, request: Request) -> Response:
    method = "GET" if request.method == "HEAD" else request.method
    return await handlers[method](request, ports)
