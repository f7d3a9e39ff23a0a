"""The request being served, held in a context variable: its id, and what the access log and
the metrics learn of it on the way (contract 1.1, "Operations"). Error bodies and every log
line of a request name its id without it being passed around.

uvicorn runs each request in a task of its own, and a task runs in a copy of the context it
was started from, so a value set here is seen by the request alone (and by the worker
threads it starts: anyio runs them in a copy of the caller's context)."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

REQUEST_ID_HEADER = b"x-request-id"
# Where the middleware leaves the request's context in the ASGI scope, for the server
# protocol, which answers outside the request's task (a body that stopped arriving).
CONTEXT_KEY = "chatkeep.request"
MAX_CALLER_ID_CHARS = 200
# Visible ASCII: '!' to '~', no space, no control character, nothing past 0x7e.
_CALLER_ID = re.compile(rb"[\x21-\x7e]{1,%d}" % MAX_CALLER_ID_CHARS)


@dataclass(slots=True)
class RequestContext:
    request_id: str
    # The error code of the answer, when it is an error (counted by the metrics).
    error_code: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("chatkeep_request", default=None)


# Seeded from the system's randomness when the process starts, and private: seeding the
# module's global generator (tests do) cannot make two processes' ids collide. Request ids
# are not secrets, so a fast generator is enough; os.urandom cost three times as much.
_random = random.Random()


def new_request_id() -> str:
    """A new request id: 32 lowercase hex digits, 128 random bits (unique without any
    coordination between processes or replicas)."""
    return f"{_random.getrandbits(128):032x}"


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-Id when it sent exactly one, of 1 to 200 visible ASCII
    characters; else a new id. `headers` are the ASGI scope's (lower-case names)."""
    given: bytes | None = None
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if given is not None:
                return new_request_id()  # two ids: neither can stand for the request
            given = value
    if given is not None and _CALLER_ID.fullmatch(given):
        return given.decode("ascii")
    return new_request_id()


def begin(scope: Scope) -> tuple[RequestContext, Token[RequestContext | None]]:
    """Makes the request in `scope` the current one: its context and the token that
    `end` takes."""
    context = RequestContext(request_id_of(scope["headers"]))
    scope[CONTEXT_KEY] = context
    return context, _current.set(context)


def context_of(scope: Any) -> RequestContext | None:
    """The context `begin` left in `scope`, None when it has not run on it."""
    context = scope.get(CONTEXT_KEY)
    return context if isinstance(context, RequestContext) else None


def end(token: Token[RequestContext | None]) -> None:
    """Restores the context from before `begin` (an in-process client such as httpx's
    ASGI transport runs the app in its own task)."""
    _current.reset(token)


def current() -> RequestContext | None:
    """The context of the request being served in this task, None outside a request."""
    return _current.get()


def current_request_id() -> str:
    """The id of the request being served; outside a request (an error answered by a
    bare app, in tests), a new id."""
    context = _current.get()
    return new_request_id() if context is None else context.request_id


def note_error(code: str) -> None:
    """Records that the current request is answered with error `code`."""
    context = _current.get()
    if context is not None:
        context.error_code = code
