"""Every HTTP request is routed here, from one table: the /v1 operations (identity first,
then the route) and the service's own paths (health, readiness, metrics, the OpenAPI
document), each answered by its handler or through the one error table. Only the lifespan
goes on to the Starlette app behind it.

The table beats Starlette's Router with the same flat routes by 1.0 to 5.1 µs of CPU per
request in process, 7-29% of routing and handler together (decision record 026,
`python -m bench.routing`); Starlette's router with its middleware stack had taken about
half the time of a small API request."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatkeep.http.errors import EXCEPTION_HANDLERS
from chatkeep.http.identity import Identity, is_api
from chatkeep.http.operation import Handler, Operation
from chatkeep.usecase.ports import Ports

# A handler of the service's own paths (/healthz...), which needs no ports.
ServiceHandler = Callable[[Request], Awaitable[Response]]
_PARAMETER = re.compile(r"{(\w+)}")
# Where the dispatch leaves the matched route's template (/v1/chats/{chat_id}) in the scope,
# for the access log and the metrics, which must never label by the raw path.
ROUTE_KEY = "chatkeep.route"


class Endpoint:
    """The handlers of one path, by method."""

    def __init__(self, route: str, handlers: dict[str, Handler]) -> None:
        self.route = route
        self.handlers = handlers
        methods = set(handlers) | ({"HEAD"} if "GET" in handlers else set())
        self.allow = ", ".join(sorted(methods))

    def handler(self, method: str) -> Handler:
        """The handler for `method` (HEAD is served by GET's, RFC 9110 §9.3.2). Raises
        HTTPException 405 with an Allow header when the path has none for it."""
        handler = self.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            raise HTTPException(405, headers={"Allow": self.allow})
        return handler


class Dispatch:
    """The ASGI app routing every HTTP request: `operations` (the /v1 API, each request's
    identity checked before its route is looked at: contract, "Identity and access") and
    `service_routes` (method, path, handler: no identity); HEAD wherever GET is; 404 and
    405 (with Allow) through the error table. Other scopes (the lifespan) go to
    `fallback`."""

    def __init__(
        self,
        operations: Sequence[Operation],
        service_routes: Sequence[tuple[str, str, ServiceHandler]],
        ports: Ports,
        fallback: ASGIApp,
        api_token: str | None,
    ) -> None:
        by_path: dict[str, dict[str, Handler]] = {}
        for operation in operations:
            by_path.setdefault(operation.path, {})[operation.method] = operation.handler
        for method, path, service_handler in service_routes:
            if is_api(path):
                raise ValueError(f"{path} is an API path: make it an Operation")
            by_path.setdefault(path, {})[method] = _taking_ports(service_handler)
        self._exact = {path: Endpoint(path, h) for path, h in by_path.items() if "{" not in path}
        self._templated = [
            (re.compile("^" + _PARAMETER.sub(r"(?P<\1>[^/]+)", path) + "$"), Endpoint(path, h))
            for path, h in by_path.items()
            if "{" in path
        ]
        self._ports = ports
        self._identity = Identity(api_token)
        self._fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: routes the request, checking identity first for /v1; every exception is
        answered through the one error table (http/errors.py)."""
        if scope["type"] != "http":
            await self._fallback(scope, receive, send)
            return
        request = Request(scope, receive)
        # Looked up first for the route's name in logs and metrics; answered after identity.
        endpoint = self._endpoint(scope)
        try:
            if is_api(scope["path"]):
                self._identity.identify(scope)
            if endpoint is None:
                raise HTTPException(404)
            response = await endpoint.handler(scope["method"])(request, self._ports)
        except Exception as error:
            response = await _error_response(request, error)
        await _respond(response, request, scope, receive, send)

    def _endpoint(self, scope: Scope) -> Endpoint | None:
        path = scope["path"]
        endpoint = self._exact.get(path)
        if endpoint is not None:
            scope["path_params"] = {}
            scope[ROUTE_KEY] = endpoint.route
            return endpoint
        for pattern, endpoint in self._templated:
            match = pattern.match(path)
            if match:
                scope["path_params"] = match.groupdict()
                scope[ROUTE_KEY] = endpoint.route
                return endpoint
        return None


def _taking_ports(handler: ServiceHandler) -> Handler:
    async def handle(request: Request, ports: Ports) -> Response:
        return await handler(request)

    return handle


async def _error_response(request: Request, error: Exception) -> Response:
    for kind in type(error).__mro__:
        handler = EXCEPTION_HANDLERS.get(kind)
        if handler is not None:
            return await handler(request, error)
    raise error  # not an Exception: let it through


async def _respond(
    response: Response, request: Request, scope: Scope, receive: Receive, send: Send
) -> None:
    started = False

    async def tracking_send(message: Message) -> None:
        nonlocal started
        started = True
        await send(message)

    try:
        await response(scope, receive, tracking_send)
    except Exception as error:
        if started:
            raise  # too late for an answer: the server closes the connection
        await (await _error_response(request, error))(scope, receive, send)
