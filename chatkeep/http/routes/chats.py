from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.errors import ChatNotFoundError
from chatkeep.http.bodies import read_json, read_query
from chatkeep.http.identity import user_id_of
from chatkeep.http.ids import path_id
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.schemas import (
    ChatCreate,
    ChatList,
    ChatOut,
    ChatPatch,
    ChatsQuery,
    PrunedOut,
    PruneQuery,
)
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.chats.delete import delete_chat
from chatkeep.usecase.chats.get import get_chat
from chatkeep.usecase.chats.listing import list_chats
from chatkeep.usecase.chats.prune import prune_chats
from chatkeep.usecase.chats.update import ChatChanges, update_chat
from chatkeep.usecase.ports import Ports


def chat_id_of(request: Request) -> UUID:
    """The path's {chat_id}; raises ChatNotFoundError (404) when it is no UUID."""
    return path_id(request, "chat_id", ChatNotFoundError)


async def post_chat(request: Request, ports: Ports) -> Response:
    """POST /v1/chats: create_chat; 201; workspace_not_found, invalid_request,
    unsupported_media_type, request_too_large."""
    body = await read_json(request, ChatCreate)
    chat = await create_chat(ports, user_id_of(request), body.title)
    return json_response(ChatOut.of(chat), 201)


async def get_chats(request: Request, ports: Ports) -> Response:
    """GET /v1/chats: list_chats; 200; workspace_not_found, invalid_request."""
    query = read_query(request, ChatsQuery)
    page = await list_chats(
        ports,
        user_id_of(request),
        status=query.status,
        order=query.order,
        limit=query.limit,
        cursor=query.cursor,
    )
    chats = [ChatOut.of(chat) for chat in page.chats]
    return json_response(ChatList(chats=chats, next_cursor=page.next_cursor))


async def patch_chat(request: Request, ports: Ports) -> Response:
    """PATCH /v1/chats/{chat_id}: update_chat; 200; chat_not_found, invalid_request,
    unsupported_media_type."""
    body = await read_json(request, ChatPatch)
    changes = ChatChanges(
        sets_title="title" in body.model_fields_set, title=body.title, status=body.status
    )
    chat = await update_chat(ports, user_id_of(request), chat_id_of(request), changes)
    return json_response(ChatOut.of(chat))


async def prune(request: Request, ports: Ports) -> Response:
    """DELETE /v1/chats?updated_before=: prune_chats; 200; workspace_not_found, invalid_request."""
    query = read_query(request, PruneQuery)
    pruned = await prune_chats(ports, user_id_of(request), query.updated_before)
    return json_response(PrunedOut(deleted=pruned.deleted, skipped=pruned.skipped))


async def show_chat(request: Request, ports: Ports) -> Response:
    """GET /v1/chats/{chat_id}: get_chat; 200; chat_not_found."""
    chat = await get_chat(ports, user_id_of(request), chat_id_of(request))
    return json_response(ChatOut.of(chat))


async def remove_chat(request: Request, ports: Ports) -> Response:
    """DELETE /v1/chats/{chat_id}: delete_chat; 204; chat_not_found, chat_has_active_sandbox."""
    await delete_chat(ports, user_id_of(request), chat_id_of(request))
    return Response(status_code=204)


OPERATIONS = [
    Operation(
        "POST",
        "/v1/chats",
        post_chat,
        "Create a chat with its directory and an empty history",
        {201: ChatOut},
        request=ChatCreate,
        errors=(
            "workspace_not_found",
            "invalid_request",
            "unsupported_media_type",
            "request_too_large",
        ),
    ),
    Operation(
        "GET",
        "/v1/chats",
        get_chats,
        "The caller's chats, a page at a time: oldest first, or most recently updated first",
        {200: ChatList},
        errors=("workspace_not_found", "invalid_request"),
        query=("status", "order", "limit", "cursor"),
        query_schemas=ChatsQuery.parameter_schemas(),
    ),
    Operation(
        "DELETE",
        "/v1/chats",
        prune,
        "Delete the caller's chats not updated since updated_before, except those with an "
        "active sandbox",
        {200: PrunedOut},
        errors=("workspace_not_found", "invalid_request"),
        query=("updated_before",),
        required_query=("updated_before",),
        query_schemas=PruneQuery.parameter_schemas(),
    ),
    Operation(
        "GET",
        "/v1/chats/{chat_id}",
        show_chat,
        "One chat",
        {200: ChatOut},
        errors=("chat_not_found",),
    ),
    Operation(
        "PATCH",
        "/v1/chats/{chat_id}",
        patch_chat,
        "Retitle, archive or reactivate a chat (updated_at does not move)",
        {200: ChatOut},
        request=ChatPatch,
        body_required=True,
        errors=("chat_not_found", "invalid_request", "unsupported_media_type"),
    ),
    Operation(
        "DELETE",
        "/v1/chats/{chat_id}",
        remove_chat,
        "Delete the chat with its history and attachments",
        {204: None},
        errors=("chat_not_found", "chat_has_active_sandbox"),
    ),
]
