"""Reading request bodies: JSON bodies with their limits, raw bodies as a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from chatkeep.http.errors import BODY_READ, RequestError
from chatkeep.http.limits import header_integer, media_type

MAX_JSON_BYTES = 1024 * 1024
M = TypeVar("M", bound=BaseModel)


def declared_length(request: Request) -> int | None:
    """Content-Length in bytes, None without one; limits.header_integer says what it
    refuses."""
    value = request.headers.get("content-length")
    return None if value is None else header_integer(value, "Content-Length")


async def read_json(request: Request, model: type[M], max_bytes: int = MAX_JSON_BYTES) -> M:
    """The body as `model`; an empty body means every field at its default."""
    body = await read_json_bytes(request, max_bytes)
    try:
        return model.model_validate_json(body if body.strip() else b"{}")
    except ValidationError as error:
        raise RequestError("invalid_request", describe(error)) from None


async def read_json_bytes(request: Request, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The raw JSON body; media type and declared size are judged from the headers before
    any byte is read."""
    length = declared_length(request)
    has_body = (length or 0) > 0 or "transfer-encoding" in request.headers
    content_type = request.headers.get("content-type")
    if has_body and content_type and media_type(content_type)[0] != b"application/json":
        raise RequestError("unsupported_media_type", "the body must be application/json")
    too_large = RequestError("request_too_large", f"a JSON body is at most {max_bytes} bytes")
    if length is not None and length > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in body_chunks(request):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def read_query(request: Request, model: type[M]) -> M:
    """The query parameters as `model` (the last value of a repeated one)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as error:
        raise RequestError("invalid_request", describe(error)) from None


def describe(error: ValidationError) -> str:
    """The first problem pydantic found, as "field.path: message", for a 400's message."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """The raw body, chunk by chunk; a client that goes away mid-body is a bad request.

    Its Content-Length is judged before the first byte is read (contract, "Limits of
    values"): one the stores cannot hold raises RequestError 413, one that is not digits
    400, whatever route reads the body.
    """
    declared_length(request)
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
        request.scope[BODY_READ] = True
    except ClientDisconnect:
        raise RequestError("invalid_request", "the client closed the request mid-body") from None
