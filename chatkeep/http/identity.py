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
        "Identity and access"), and leaves the user id in `scope` (USER_ID_KEY, and as
        text, USER_TEXT_KEY). Raises RequestError unauthorized, user_id_required or
        invalid_user_id."""
        headers = Headers(scope=scope)
        self.check_token(headers)
        text = _user_id_text(headers)
        user_id = parse_uuid(text)
        if user_id is None:
            raise RequestError("invalid_user_id", "X-User-Id must be a UUID (8-4-4-4-12 hex)")
        scope[USER_ID_KEY], scope[USER_TEXT_KEY] = user_id, text.lower()

    def check_token(self, headers: Headers) -> None:
        """Raises RequestError unauthorized unless `headers` carry the configured bearer
        token (compared in constant time); nothing to check without one."""
        if self._token is None:
            return
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        given = credentials.strip().encode("latin-1")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._token):
            raise RequestError(
                "unauthorized", "a valid 'Authorization: Bearer <token>' is required"
            )


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _user_id_text(headers: Headers) -> str:
    values = [value.strip() for value in headers.getlist("x-user-id")]
    if not values or not any(values):
        raise RequestError("user_id_required", "the X-User-Id header is required")
    if len(values) > 1:
        raise RequestError("invalid_user_id", "X-User-Id must be given once")
    return values[0]


def user_id_of(request: Request) -> UUID:
    user_id = request.scope[USER_ID_KEY]
    assert isinstance(user_id, UUID)
    return user_id
