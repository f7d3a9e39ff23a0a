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
# The same id as text, lower case: for the access log, which would otherwise format the
# UUID again on every request.
USER_TEXT_KEY = "chatkeep.user_text"
API_PREFIX = "/v1"


class Identity:
    def __init__(self, api_token: str | None) -> None:
        self._token = None if api_token is None else api_token.encode()

    def identify(self, scope: Scope) -> None:
        """Checks the caller's token when one is configured, then its X-User-Id (contract,
        "Identity and access", 1.1 "Hostile trees and resource limits"), and leaves the user
        id in `scope` (USER_ID_KEY, and as text, USER_TEXT_KEY). Raises RequestError:
        invalid_request (Authorization or X-User-Id given twice), unauthorized,
        user_id_required or invalid_user_id."""
        headers = Headers(scope=scope)
        self.check_token(headers)
        text = _user_id_text(headers)
        user_id = parse_uuid(text)
        if user_id is None:
            raise RequestError("invalid_user_id", "X-User-Id must be a UUID (8-4-4-4-12 hex)")
        scope[USER_ID_KEY], scope[USER_TEXT_KEY] = user_id, text.lower()

    def check_token(self, headers: Headers) -> None:
        """Raises RequestError invalid_request when `Authorization` is given twice (whether
        or not a token is configured: which one would count is ambiguous, and a proxy may
        have checked the other), then unauthorized unless `headers` carry the configured
        bearer token (compared in constant time)."""
        authorization = headers.getlist("authorization")
        if len(authorization) > 1:
            raise RequestError("invalid_request", "Authorization must be given once")
        if self._token is None:
            return
        scheme, _, credentials = (authorization[0] if authorization else "").partition(" ")
        given = credentials.strip().encode("latin-1")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._token):
            raise RequestError(
                "unauthorized", "a valid 'Authorization: Bearer <token>' is required"
            )


def is_api(path: str) -> bool:
    """Whether `path` is under /v1, where every request must name its user (contract, "Identity
    and access")."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _user_id_text(headers: Headers) -> str:
    values = [value.strip() for value in headers.getlist("x-user-id")]
    if len(values) > 1:
        raise RequestError("invalid_request", "X-User-Id must be given once")
    if not values or not values[0]:
        raise RequestError("user_id_required", "the X-User-Id header is required")
    return values[0]


def user_id_of(request: Request) -> UUID:
    """The user id Identity.identify left in the request's scope; only for /v1 handlers."""
    user_id = request.scope[USER_ID_KEY]
    assert isinstance(user_id, UUID)
    return user_id
