from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.http.bodies import read_json
from chatkeep.http.file_schemas import ChatFilePage, FilesQuery
from chatkeep.http.identity import user_id_of
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.routes.files import page_request
from chatkeep.http.schemas import SandboxOut, SandboxPut
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.sandbox.rescan import rescan_chat
from chatkeep.usecase.sandbox.session import end_sandbox, get_sandbox, start_sandbox


async def put_sandbox(request: Request, ports: Ports) -> Response:
    """PUT /v1/chats/{chat_id}/sandbox: start_sandbox; 201 started, 200 renewed; chat_not_found,
    chat_has_active_sandbox, invalid_request, unsupported_media_type, request_too_large."""
    chat_id = chat_id_of(request)
    body = await read_json(request, SandboxPut)
    mounted, started = await start_sandbox(
        ports, user_id_of(request), chat_id, body.sandbox_id, body.lease_seconds
    )
    return json_response(SandboxOut.of(mounted.session, mounted.workdir), 201 if started else 200)


async def show_sandbox(request: Request, ports: Ports) -> Response:
    """GET /v1/chats/{chat_id}/sandbox: get_sandbox; 200; chat_not_found,
    sandbox_session_not_found."""
    mounted = await get_sandbox(ports, user_id_of(request), chat_id_of(request))
    return json_response(SandboxOut.of(mounted.session, mounted.workdir))


async def remove_sandbox(request: Request, ports: Ports) -> Response:
    """DELETE /v1/chats/{chat_id}/sandbox: end_sandbox; 204; chat_not_found,
    sandbox_session_not_found."""
    await end_sandbox(ports, user_id_of(request), chat_id_of(request))
    return Response(status_code=204)


async def post_rescan(request: Request, ports: Ports) -> Response:
    """200 with the first page (or the page after ?cursor=) of the attachments after the
    rescan; ?limit= as for GET …/files. A bad limit or cursor is refused before the rescan."""
    asked = page_request(request, with_name=False)
    page = await rescan_chat(ports, user_id_of(request), chat_id_of(request), asked)
    return json_response(ChatFilePage.of(page))


_SANDBOX = "/v1/chats/{chat_id}/sandbox"
_PAGE_QUERY = {
    name: schema for name, schema in FilesQuery.parameter_schemas().items() if name != "name"
}

OPERATIONS = [
    Operation(
        "PUT",
        _SANDBOX,
        put_sandbox,
        "Start a sandbox session (201), or renew it with the same sandbox_id (200)",
        {201: SandboxOut, 200: SandboxOut},
        request=SandboxPut,
        body_required=True,
        errors=(
            "chat_not_found",
            "chat_has_active_sandbox",
            "invalid_request",
            "unsupported_media_type",
            "request_too_large",
        ),
    ),
    Operation(
        "GET",
        _SANDBOX,
        show_sandbox,
        "The chat's active sandbox session",
        {200: SandboxOut},
        errors=("chat_not_found", "sandbox_session_not_found"),
    ),
    Operation(
        "DELETE",
        _SANDBOX,
        remove_sandbox,
        "End the session, then rescan the chat directory",
        {204: None},
        errors=("chat_not_found", "sandbox_session_not_found"),
    ),
    Operation(
        "POST",
        "/v1/chats/{chat_id}/rescan",
        post_rescan,
        "Make the chat's metadata match its directory; answers a page of its attachments",
        {200: ChatFilePage},
        errors=("chat_not_found", "invalid_request"),
        query=("limit", "cursor"),
        query_schemas=_PAGE_QUERY,
    ),
]
