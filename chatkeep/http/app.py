"""The application: one dispatch table routes the /v1 API and the service's own paths
(health, readiness, metrics, the OpenAPI document), through one error table; a Starlette
app behind it runs the lifespan; request ids, the access log and the metrics around the
whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatkeep.http.dispatch import Dispatch
from chatkeep.http.health import ReadinessCheck, health_routes
from chatkeep.http.metrics import Metrics
from chatkeep.http.observe import ObservedApp, Recorder
from chatkeep.http.openapi import openapi_document
from chatkeep.http.operation import Operation
from chatkeep.http.routes import chats, content, files, history, messages, sandbox, workspace
from chatkeep.usecase.ports import Ports

OPERATIONS: list[Operation] = [
    *workspace.OPERATIONS,
    *chats.OPERATIONS,
    *history.OPERATIONS,
    *messages.OPERATIONS,
    *files.OPERATIONS,
    *content.OPERATIONS,
    *sandbox.OPERATIONS,
]


def build_app(
    ports: Ports,
    *,
    api_token: str | None = None,
    startup: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    access_log: Recorder | None = None,
    metrics: Metrics | None = None,
    readiness: Sequence[ReadinessCheck] = (),
) -> ObservedApp:
    """The application; `startup` steps run, in order, before the first request is
    served, `background` tasks from then to shutdown. Every answer carries its request id;
    each request's exchange goes to `access_log`, with `metrics` counted and served at
    /metrics; /readyz runs the `readiness` checks (contract 1.1, "Operations")."""
    document = openapi_document(OPERATIONS, metrics=metrics is not None)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ports.storage.start()
        for step in startup:
            await step()
        tasks = [asyncio.create_task(run()) for run in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await ports.storage.close()

    service_routes = [
        *health_routes(readiness, metrics, api_token),
        ("GET", "/openapi.json", openapi),
    ]
    recorders: list[Recorder] = []
    if access_log is not None:
        recorders.append(access_log)
    if metrics is not None:
        recorders.append(metrics)
    dispatch = Dispatch(OPERATIONS, service_routes, ports, Starlette(lifespan=lifespan), api_token)
    observed = ObservedApp(dispatch, recorders)
    if metrics is not None:
        metrics.watch_requests(lambda: observed.in_flight, observed.flush)
    return observed
