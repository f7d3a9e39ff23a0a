"""An attachment's bytes: streamed, with ranges and conditional requests (RFC 9110 §13, §14)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.http.conditions import CONDITION_HEADERS, preconditions_of, validator_headers
from chatkeep.http.disposition import attachment_disposition
from chatkeep.http.identity import user_id_of
from chatkeep.http.limits import bounded_integers
from chatkeep.http.operation import Body, Operation
from chatkeep.http.ranges import byte_range
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.routes.files import OCTET_STREAM, file_id_of
from chatkeep.http.streaming import ReaderResponse
from chatkeep.usecase.files.content import open_file_content
from chatkeep.usecase.ports import Ports

_CONTENT = Body(OCTET_STREAM, "The attachment's bytes, with its stored Content-Type.")


async def show_file_content(request: Request, ports: Ports) -> Response:
    """GET and HEAD: 200 with the bytes, 206 with one range, 304 when the client's copy is
    current, 412 when If-Match or If-Unmodified-Since fails, 416 for a range past the end."""
    chat_file, read = await open_file_content(
        ports,
        user_id_of(request),
        chat_id_of(request),
        file_id_of(request),
        preconditions_of(request.headers),
    )
    reader = read.reader
    headers = {
        **validator_headers(reader),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": attachment_disposition(chat_file.name.value),
    }
    if not read.send:
        return Response(status_code=304, headers=headers)
    try:
        asked = request.headers.get("range") if read.range_applies else None
        asked = bounded_integers(asked, "Range")
        selected = byte_range(asked, reader.size_bytes)
    except BaseException:
        await reader.aclose()
        raise
    content_type = chat_file.content_type or OCTET_STREAM
    if selected is None:
        return ReaderResponse(reader, content_type, headers)
    offset, length = selected
    headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{reader.size_bytes}"
    return ReaderResponse(
        reader, content_type, headers, status_code=206, offset=offset, length=length
    )


OPERATIONS = [
    Operation(
        "GET",
        "/v1/chats/{chat_id}/files/{file_id}/content",
        show_file_content,
        "The attachment's bytes: streamed, with Range, ETag, Last-Modified and conditions",
        {200: _CONTENT, 206: _CONTENT, 304: None},
        errors=(
            "chat_not_found",
            "chat_file_not_found",
            "invalid_request",
            "precondition_failed",
            "range_not_satisfiable",
        ),
        request_headers=("Range", "If-Range", *CONDITION_HEADERS),
    ),
]
