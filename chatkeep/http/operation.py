"""An API operation: its handler and what the OpenAPI document says of it, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from chatkeep.usecase.ports import Ports

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
    required_query: tuple[str, ...] = ()
    # JSON Schemas of query parameters that are not free strings.
    query_schemas: Mapping[str, Mapping[str, Any]] | None = None


def json_response(model: BaseModel, status_code: int = 200, **headers: str) -> Response:
    """`model` as an application/json response of `status_code`, with `headers`."""
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")
