"""Who is calling: the optional bearer token, then X-User-Id; checked before routing, so a
refused /v1 request is answered before its route and method are even looked at."""

from __future__ import annotations

import hmac
from uuid import UUID

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from chatkeep.http.errors import RequestError
from chatkeep.http.ids import parse_uuid

USER_ID_KEY = "chatkeep.user_id"
API_PREFIX = "/v1"


class Identity:
    def __init__(self, api_token: str | None) -> None:
        self._token = None if api_token is None else api_token.encode()

    def user_id(self, scope: Scope) -> UUID:
        """The caller's user id, checked in the contract's order: the `Authorization` line
        (given twice: 400 invalid_request, whether or not a token is configured: which one
        would count is ambiguous, and a proxy may have checked the other), the token (401
        unauthorized), then `X-User-Id` (401 user_id_required; given twice or not a UUID,
        400). Raises RequestError. Contract: "Identity and access", 1.1 "Hostile trees and
        resource limits"."""
        headers = Headers(scope=scope)
        authorization = headers.getlist("authorization")
        if len(authorization) > 1:
            raise RequestError("invalid_request", "Authorization must be given once")
        if self._token is not None:
            self._check_token(authorization[0] if authorization else "")
        return _user_id(headers)

    def _check_token(self, authorization: str) -> None:
        assert self._token is not None
        scheme, _, credentials = authorization.partition(" ")
        given = credentials.strip().encode("latin-1")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._token):
            raise RequestError(
                "unauthorized", "a valid 'Authorization: Bearer <token>' is required"
            )


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _user_id(headers: Headers) -> UUID:
    values = [value.strip() for value in headers.getlist("x-user-id")]
    if len(values) > 1:
        raise RequestError("invalid_request", "X-User-Id must be given once")
    if not values or not values[0]:
        raise RequestError("user_id_required", "the X-User-Id header is required")
    user_id = parse_uuid(values[0])
    if user_id is None:
        raise RequestError("invalid_user_id", "X-User-Id must be a UUID (8-4-4-4-12 hex)")
    return user_id


def user_id_of(request: Request) -> UUID:
    user_id = request.scope[USER_ID_KEY]
    assert isinstance(user_id, UUID)
    return user_id
