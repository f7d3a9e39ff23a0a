from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.errors import ChatNotFoundError
from chatkeep.http.bodies import read_json
from chatkeep.http.identity import user_id_of
from chatkeep.http.ids import path_id
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.schemas import ChatCreate, ChatList, ChatOut
from chatkeep.usecase.create_chat import create_chat
from chatkeep.usecase.delete_chat import delete_chat
from chatkeep.usecase.get_chat import get_chat
from chatkeep.usecase.interface import Ports
from chatkeep.usecase.list_chats import list_chats


def chat_id_of(request: Request) -> UUID:
    return path_id(request, "chat_id", ChatNotFoundError)


async def post_chat(request: Request, ports: Ports) -> Response:
    body = await read_json(request, ChatCreate)
    chat = await create_chat(ports, user_id_of(request), body.title)
    return json_response(ChatOut.of(chat), 201)


async def get_chats(request: Request, ports: Ports) -> Response:
    chats = await list_chats(ports, user_id_of(request))
    return json_response(ChatList(chats=[ChatOut.of(chat) for chat in chats]))


async def show_chat(request: Request, ports: Ports) -> Response:
    chat = await get_chat(ports, user_id_of(request), chat_id_of(request))
    return json_response(ChatOut.of(chat))


async def remove_chat(request: Request, ports: Ports) -> Response:
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
        "The caller's chats, oldest first",
        {200: ChatList},
        errors=("workspace_not_found",),
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
        "DELETE",
        "/v1/chats/{chat_id}",
        remove_chat,
        "Delete the chat with its history and attachments",
        {204: None},
        errors=("chat_not_found", "chat_has_active_sandbox"),
    ),
]
