from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.http.bodies import read_json
from chatkeep.http.identity import user_id_of
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.schemas import ChatFileList, SandboxOut, SandboxPut
from chatkeep.usecase.interface import Ports
from chatkeep.usecase.rescan_chat import rescan_chat
from chatkeep.usecase.sandbox_session import end_sandbox, get_sandbox, start_sandbox


async def put_sandbox(request: Request, ports: Ports) -> Response:
    chat_id = chat_id_of(request)
    body = await read_json(request, SandboxPut)
    mounted, started = await start_sandbox(
        ports, user_id_of(request), chat_id, body.sandbox_id, body.lease_seconds
    )
    return json_response(SandboxOut.of(mounted.session, mounted.workdir), 201 if started else 200)


async def show_sandbox(request: Request, ports: Ports) -> Response:
    mounted = await get_sandbox(ports, user_id_of(request), chat_id_of(request))
    return json_response(SandboxOut.of(mounted.session, mounted.workdir))


async def remove_sandbox(request: Request, ports: Ports) -> Response:
    await end_sandbox(ports, user_id_of(request), chat_id_of(request))
    return Response(status_code=204)


async def post_rescan(request: Request, ports: Ports) -> Response:
    files = await rescan_chat(ports, user_id_of(request), chat_id_of(request))
    return json_response(ChatFileList.of(files))


_SANDBOX = "/v1/chats/{chat_id}/sandbox"

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
        "Make the chat's metadata match its directory; answers its attachments",
        {200: ChatFileList},
        errors=("chat_not_found",),
    ),
]
