"""Who is calling: the optional bearer token, then X-User-Id; before any routing.

A pure ASGI middleware around the whole app: it answers refused /v1 requests
itself, so the checks come before route and method are even looked at.
"""

from __future__ import annotations

import hmac
from uuid import UUID

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from chatkeep.http.errors import RequestError, error_response
from chatkeep.http.ids import parse_uuid

USER_ID_KEY = "chatkeep.user_id"
API_PREFIX = "/v1"


class IdentityMiddleware:
    def __init__(self, app: ASGIApp, api_token: str | None) -> None:
        self.app = app
        self._token = None if api_token is None else api_token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_api(scope["path"]):
            headers = Headers(scope=scope)
            try:
                if self._token is not None:
                    self._check_token(headers.get("authorization", ""))
                scope[USER_ID_KEY] = _user_id(headers)
            except RequestError as refused:
                response = error_response(refused.code, refused.message)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check_token(self, authorization: str) -> None:
        assert self._token is not None
        scheme, _, credentials = authorization.partition(" ")
        given = credentials.strip().encode("latin-1")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._token):
            raise RequestError(
                "unauthorized", "a valid 'Authorization: Bearer <token>' is required"
            )


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _user_id(headers: Headers) -> UUID:
    values = [value.strip() for value in headers.getlist("x-user-id")]
    if not values or not any(values):
        raise RequestError("user_id_required", "the X-User-Id header is required")
    if len(values) > 1:
        raise RequestError("invalid_user_id", "X-User-Id must be given once")
    user_id = parse_uuid(values[0])
    if user_id is None:
        raise RequestError("invalid_user_id", "X-User-Id must be a UUID (8-4-4-4-12 hex)")
    return user_id


def user_id_of(request: Request) -> UUID:
    user_id = request.scope[USER_ID_KEY]
    assert isinstance(user_id, UUID)
    return user_id
