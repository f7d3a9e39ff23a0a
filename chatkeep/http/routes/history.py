from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.history import HistoryVersion, IfMatch
from chatkeep.http.bodies import body_chunks
from chatkeep.http.conditions import none_match, parse_if_match
from chatkeep.http.identity import user_id_of
from chatkeep.http.operation import Body, Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.schemas import HistoryWritten
from chatkeep.http.streaming import ReaderResponse
from chatkeep.usecase.interface import Ports
from chatkeep.usecase.read_history import read_history
from chatkeep.usecase.write_history import append_history, replace_history

MARKDOWN = "text/markdown; charset=utf-8"
_HISTORY = Body(MARKDOWN, "The chat's history.md, byte for byte.")
_WRITTEN = Body(MARKDOWN, "UTF-8 text.")
_WRITE_ERRORS = (
    "chat_not_found",
    "invalid_history",
    "invalid_request",
    "precondition_failed",
    "workspace_quota_exceeded",
    "insufficient_storage",
)


async def get_history(request: Request, ports: Ports) -> Response:
    reader = await read_history(ports, user_id_of(request), chat_id_of(request))
    etag = reader.etag
    if none_match(request.headers.get("if-none-match"), etag):
        await reader.aclose()
        return Response(status_code=304, headers={"ETag": etag})
    return ReaderResponse(reader, MARKDOWN, {"ETag": etag})


async def put_history(request: Request, ports: Ports) -> Response:
    return await _write(request, ports, replace_history)


async def post_history(request: Request, ports: Ports) -> Response:
    return await _write(request, ports, append_history)


WriteHistory = Callable[
    [Ports, UUID, UUID, AsyncIterator[bytes], IfMatch | None], Awaitable[HistoryVersion]
]


async def _write(request: Request, ports: Ports, write: WriteHistory) -> Response:
    if_match = parse_if_match(request.headers.get("if-match"))
    chat_id = chat_id_of(request)
    version = await write(ports, user_id_of(request), chat_id, body_chunks(request), if_match)
    written = HistoryWritten(size_bytes=version.size_bytes, etag=version.etag)
    return json_response(written, ETag=version.etag)


OPERATIONS = [
    Operation(
        "GET",
        "/v1/chats/{chat_id}/history",
        get_history,
        "The chat's history.md, with its ETag",
        {200: _HISTORY, 304: None},
        errors=("chat_not_found",),
        request_headers=("If-None-Match",),
    ),
    Operation(
        "PUT",
        "/v1/chats/{chat_id}/history",
        put_history,
        "Replace the whole history",
        {200: HistoryWritten},
        request=_WRITTEN,
        errors=_WRITE_ERRORS,
        request_headers=("If-Match",),
    ),
    Operation(
        "POST",
        "/v1/chats/{chat_id}/history",
        post_history,
        "Append to the history, as one whole",
        {200: HistoryWritten},
        request=_WRITTEN,
        errors=_WRITE_ERRORS,
        request_headers=("If-Match",),
    ),
]
