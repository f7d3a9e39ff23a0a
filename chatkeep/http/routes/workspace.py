from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.http.bodies import read_json
from chatkeep.http.identity import user_id_of
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.schemas import WorkspaceOut, WorkspacePut
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.delete import delete_workspace
from chatkeep.usecase.workspace.ensure import ensure_workspace
from chatkeep.usecase.workspace.get import get_workspace


async def put_workspace(request: Request, ports: Ports) -> Response:
    """PUT /v1/workspace: ensure_workspace; 201 created, 200 existing; invalid_request,
    unsupported_media_type, request_too_large."""
    body = await read_json(request, WorkspacePut)
    workspace, usage, created = await ensure_workspace(
        ports, user_id_of(request), body.quota_bytes, body.quota_inodes
    )
    return json_response(WorkspaceOut.of(workspace, usage), 201 if created else 200)


async def show_workspace(request: Request, ports: Ports) -> Response:
    """GET /v1/workspace: get_workspace; 200; workspace_not_found."""
    workspace, usage = await get_workspace(ports, user_id_of(request))
    return json_response(WorkspaceOut.of(workspace, usage))


async def remove_workspace(request: Request, ports: Ports) -> Response:
    """DELETE /v1/workspace: delete_workspace; 204; workspace_not_found, chat_has_active_sandbox."""
    await delete_workspace(ports, user_id_of(request))
    return Response(status_code=204)


OPERATIONS = [
    Operation(
        "PUT",
        "/v1/workspace",
        put_workspace,
        "Ensure the caller's workspace exists; optionally set its quotas (bytes, inodes)",
        {201: WorkspaceOut, 200: WorkspaceOut},
        request=WorkspacePut,
        errors=("invalid_request", "unsupported_media_type", "request_too_large"),
    ),
    Operation(
        "GET",
        "/v1/workspace",
        show_workspace,
        "The caller's workspace with its usage",
        {200: WorkspaceOut},
        errors=("workspace_not_found",),
    ),
    Operation(
        "DELETE",
        "/v1/workspace",
        remove_workspace,
        "Delete the workspace with every chat, history and attachment",
        {204: None},
        errors=("workspace_not_found", "chat_has_active_sandbox"),
    ),
]
