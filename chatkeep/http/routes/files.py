from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import unquote_to_bytes
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.errors import ChatFileNotFoundError, InvalidAttachmentNameError
from chatkeep.http.bodies import body_chunks, declared_length, read_query
from chatkeep.http.conditions import preconditions_of
from chatkeep.http.disposition import part_filename
from chatkeep.http.errors import RequestError
from chatkeep.http.file_schemas import ChatFilePage, FilesQuery
from chatkeep.http.identity import user_id_of
from chatkeep.http.ids import path_id
from chatkeep.http.limits import MAX_MEDIA_TYPE_CHARS, media_type
from chatkeep.http.multipart import MultipartReader
from chatkeep.http.operation import Body, Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.schemas import ChatFileList, ChatFileOut
from chatkeep.usecase.files.delete import clear_files, delete_file
from chatkeep.usecase.files.get import get_file
from chatkeep.usecase.files.listing import list_files
from chatkeep.usecase.files.pages import PageRequest
from chatkeep.usecase.files.upload import IncomingFile, upload_files
from chatkeep.usecase.ports import Ports

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_CONTENT_TYPE = re.compile(rf"[\x21-\x7e][\x20-\x7e]{{0,{MAX_MEDIA_TYPE_CHARS - 1}}}")
OCTET_STREAM = "application/octet-stream"
# If-Modified-Since is for GET and HEAD only (RFC 9110 §13.1.3).
UPLOAD_CONDITIONS = ("If-Match", "If-None-Match", "If-Unmodified-Since")


def file_id_of(request: Request) -> UUID:
    """The path's {file_id}; raises ChatFileNotFoundError (404) when it is no UUID."""
    return path_id(request, "file_id", ChatFileNotFoundError)


def query_values(request: Request, key: str) -> list[str]:
    """Values of `key` in the raw query string, decoded as strict UTF-8.

    Starlette's parsed query replaces undecodable bytes; a name must not be
    silently changed, so it is decoded here.
    """
    values = []
    for pair in request.scope["query_string"].split(b"&"):
        raw_key, _, raw_value = pair.partition(b"=")
        if unquote_to_bytes(raw_key.replace(b"+", b" ")) == key.encode():
            try:
                values.append(unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8"))
            except UnicodeDecodeError:
                raise InvalidAttachmentNameError(f"?{key}= is not valid UTF-8") from None
    return values


def content_type_of(value: str | None) -> str | None:
    """A part's or a raw upload's Content-Type as stored, None when absent or empty. Raises
    RequestError (400 invalid_request) unless printable ASCII of MAX_MEDIA_TYPE_CHARS at most."""
    if not value:
        return None
    if not _CONTENT_TYPE.fullmatch(value):
        raise RequestError(
            "invalid_request", f"Content-Type must be printable ASCII, <= {MAX_MEDIA_TYPE_CHARS}"
        )
    return value


async def post_files(request: Request, ports: Ports) -> Response:
    """201 with the stored files; the request's preconditions hold for every file or
    none is stored (412, decision record 019)."""
    kind, parameters = media_type(request.headers.get("content-type"))
    if kind == b"multipart/form-data":
        incoming = _multipart_files(request, parameters.get(b"boundary", b""))
    else:
        incoming = _raw_file(request)
    conditions = preconditions_of(request.headers)
    files = await upload_files(
        ports, user_id_of(request), chat_id_of(request), incoming, conditions
    )
    return json_response(ChatFileList.of(files), 201)


async def _raw_file(request: Request) -> AsyncIterator[IncomingFile]:
    names = query_values(request, "name")
    if len(names) != 1:
        raise InvalidAttachmentNameError("a raw upload names its file with one ?name=")
    checksum = request.headers.get("x-checksum-sha256")
    if checksum is not None and not _SHA256.fullmatch(checksum.strip()):
        raise RequestError("invalid_request", "X-Checksum-Sha256 must be 64 hex digits")
    yield IncomingFile(
        names[0],
        content_type_of(request.headers.get("content-type")),
        body_chunks(request),
        declared_size=declared_length(request),
        expected_sha256=None if checksum is None else checksum.strip().lower(),
    )


async def _multipart_files(request: Request, boundary: bytes) -> AsyncIterator[IncomingFile]:
    reader = MultipartReader(body_chunks(request), boundary)
    async for part in reader.parts():
        disposition = part.disposition
        if disposition.get("name") != "file":
            continue
        filename = part_filename(disposition)
        if filename is None:
            raise InvalidAttachmentNameError("a 'file' part needs a filename")
        content_type = content_type_of(part.headers.get("content-type"))
        yield IncomingFile(filename, content_type, part.data)


def page_request(request: Request, *, with_name: bool) -> PageRequest:
    """The page a listing asks for: ?limit= (1 to 10000, default 1000), ?cursor= and, if
    `with_name`, ?name= (strict UTF-8; the first one). Raises RequestError or
    InvalidRequestError (400 invalid_request), InvalidAttachmentNameError (400)."""
    query = read_query(request, FilesQuery)
    names = query_values(request, "name") if with_name else []
    return PageRequest.of(query.limit, query.cursor, names[0] if names else None)


async def get_files(request: Request, ports: Ports) -> Response:
    """200 with a page of the chat's attachments, oldest first, and next_cursor."""
    asked = page_request(request, with_name=True)
    page = await list_files(ports, user_id_of(request), chat_id_of(request), asked)
    return json_response(ChatFilePage.of(page))


async def remove_files(request: Request, ports: Ports) -> Response:
    """DELETE /v1/chats/{chat_id}/files: clear_files; 204; chat_not_found."""
    await clear_files(ports, user_id_of(request), chat_id_of(request))
    return Response(status_code=204)


async def show_file(request: Request, ports: Ports) -> Response:
    """GET /v1/chats/{chat_id}/files/{file_id}: get_file; 200; chat_not_found,
    chat_file_not_found."""
    chat_file = await get_file(ports, user_id_of(request), chat_id_of(request), file_id_of(request))
    return json_response(ChatFileOut.of(chat_file))


async def remove_file(request: Request, ports: Ports) -> Response:
    """DELETE /v1/chats/{chat_id}/files/{file_id}: delete_file; 204; chat_not_found,
    chat_file_not_found."""
    await delete_file(ports, user_id_of(request), chat_id_of(request), file_id_of(request))
    return Response(status_code=204)


_FILES = "/v1/chats/{chat_id}/files"
_FILE = "/v1/chats/{chat_id}/files/{file_id}"
_UPLOAD = (
    Body(
        "multipart/form-data",
        "Parts named 'file', each with a distinct filename, become attachments.",
        schema={
            "type": "object",
            "properties": {
                "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
            },
            "required": ["file"],
        },
    ),
    Body(
        "application/octet-stream",
        "With ?name=<name>, the raw body is the file; any other media type works alike and "
        "is stored as the file's Content-Type.",
        schema={"format": "binary"},
    ),
)

OPERATIONS = [
    Operation(
        "POST",
        _FILES,
        post_files,
        "Upload attachments (multipart, or a raw body with ?name=), all or nothing; "
        "If-None-Match: * creates only, If-Match replaces only that version",
        {201: ChatFileList},
        request=_UPLOAD,
        body_required=True,
        errors=(
            "chat_not_found",
            "invalid_attachment_name",
            "invalid_request",
            "checksum_mismatch",
            "name_conflict",
            "workspace_quota_exceeded",
            "request_too_large",
            "insufficient_storage",
            "precondition_failed",
        ),
        request_headers=("X-Checksum-Sha256", *UPLOAD_CONDITIONS),
        query=("name",),
    ),
    Operation(
        "GET",
        _FILES,
        get_files,
        "A page of the chat's attachments, oldest first; next_cursor asks for the next",
        {200: ChatFilePage},
        errors=("chat_not_found", "invalid_request", "invalid_attachment_name"),
        query=("name", "limit", "cursor"),
        query_schemas=FilesQuery.parameter_schemas(),
    ),
    Operation(
        "DELETE",
        _FILES,
        remove_files,
        "Remove every attachment (the history stays)",
        {204: None},
        errors=("chat_not_found",),
    ),
    Operation(
        "GET",
        _FILE,
        show_file,
        "One attachment's metadata",
        {200: ChatFileOut},
        errors=("chat_not_found", "chat_file_not_found"),
    ),
    Operation(
        "DELETE",
        _FILE,
        remove_file,
        "Remove one attachment",
        {204: None},
        errors=("chat_not_found", "chat_file_not_found"),
    ),
]
