"""Messages: blocks appended to and read back from the end of history.md."""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.errors import InvalidHistoryError
from chatkeep.http.bodies import describe, read_json_bytes, read_query
from chatkeep.http.conditions import preconditions_of
from chatkeep.http.errors import RequestError
from chatkeep.http.identity import user_id_of
from chatkeep.http.message_schemas import (
    ManyMessages,
    MessageIn,
    MessageList,
    MessageOut,
    MessagesPost,
    MessagesQuery,
)
from chatkeep.http.operation import Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.usecase.messages.append import NewMessage, append_messages
from chatkeep.usecase.messages.read import read_messages
from chatkeep.usecase.ports import Ports

MAX_MESSAGES_BODY_BYTES = 16 * 1024 * 1024
_PATH = "/v1/chats/{chat_id}/messages"


async def post_messages(request: Request, ports: Ports) -> Response:
    """Append to the history, under the preconditions of a history write (decision
    record 019): they are decided against the version appended to."""
    conditions = preconditions_of(request.headers)
    body = _parse(await read_json_bytes(request, MAX_MESSAGES_BODY_BYTES))
    messages = await append_messages(
        ports, user_id_of(request), chat_id_of(request), body, conditions
    )
    return json_response(MessageList(messages=[MessageOut.of(m) for m in messages]), 201)


async def get_messages(request: Request, ports: Ports) -> Response:
    """GET /v1/chats/{chat_id}/messages: read_messages; 200; chat_not_found, invalid_request."""
    query = read_query(request, MessagesQuery)
    page = await read_messages(
        ports, user_id_of(request), chat_id_of(request), query.limit, query.before
    )
    messages = [MessageOut.of(m) for m in page.messages]
    return json_response(MessageList(messages=messages, next_before=page.next_before))


def _parse(raw: bytes) -> list[NewMessage]:
    try:
        body = MessagesPost.model_validate_json(raw).root
    except ValidationError as error:
        if error.errors()[0]["type"] != "json_invalid":
            raise RequestError("invalid_request", _explain(error)) from None
        body = _parse_lone_surrogates(raw, error)
    if isinstance(body, MessageIn):
        return [NewMessage(body.role, body.content)]
    return [NewMessage(m.role, m.content) for m in body.messages]


def _explain(error: ValidationError) -> str:
    return "give role and content, or a non-empty messages list, not both: " + describe(error)


def _parse_lone_surrogates(raw: bytes, error: ValidationError) -> MessageIn | ManyMessages:
    """JSON can escape a lone surrogate, which pydantic's parser refuses and UTF-8 cannot
    hold: such a body is valid JSON whose content is not valid UTF-8."""
    try:
        MessagesPost.model_validate(json.loads(raw))
    # A body nested deeper than pydantic's parser goes is deeper than Python's recursion
    # limit too; json.loads then raises RecursionError.
    except (ValueError, RecursionError, ValidationError):
        raise RequestError("invalid_request", _explain(error)) from None
    raise InvalidHistoryError("message content is not valid UTF-8")


OPERATIONS = [
    Operation(
        "POST",
        _PATH,
        post_messages,
        "Append one message, or several (all or nothing), as blocks of history.md; "
        "conditional on the history's version (RFC 9110 §13)",
        {201: MessageList},
        request=MessagesPost,
        body_required=True,
        errors=(
            "chat_not_found",
            "invalid_request",
            "invalid_history",
            "unsupported_media_type",
            "request_too_large",
            "workspace_quota_exceeded",
            "insufficient_storage",
            "precondition_failed",
        ),
        request_headers=("If-Match", "If-None-Match", "If-Unmodified-Since"),
    ),
    Operation(
        "GET",
        _PATH,
        get_messages,
        "The last messages before a seq (or the end), oldest first",
        {200: MessageList},
        errors=("chat_not_found", "invalid_request"),
        query=("limit", "before"),
        query_schemas=MessagesQuery.parameter_schemas(),
    ),
]
