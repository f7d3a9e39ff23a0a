"""Liveness, readiness and metrics for load balancers and monitoring (contract 1.1,
"Operations"): `GET /healthz` answers while the process serves at all, `GET /readyz` runs
the readiness checks it is given, `GET /metrics` exposes the Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatkeep.http.identity import Identity
from chatkeep.http.metrics import Metrics
from chatkeep.http.operation import json_response
from chatkeep.http.schemas import Health, Readiness

HEALTHZ, READYZ, METRICS = "/healthz", "/readyz", "/metrics"
OK = "ok"
# A check that has not answered by then has failed: a probe must answer in time.
CHECK_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """One readiness condition: `run()` answers None when it holds, else the reason, in
    a few words, why it does not."""

    name: str
    run: Callable[[], Awaitable[str | None]]


async def run_checks(checks: Sequence[ReadinessCheck]) -> dict[str, str]:
    """Every check's outcome by name, "ok" or the reason it failed, run side by side, each
    within CHECK_SECONDS; a check that raises has failed with the exception's text."""
    outcomes = await asyncio.gather(*(_outcome(check) for check in checks))
    return {check.name: outcome for check, outcome in zip(checks, outcomes, strict=True)}


async def _outcome(check: ReadinessCheck) -> str:
    try:
        reason = await asyncio.wait_for(check.run(), CHECK_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_SECONDS:g} s"
    except Exception as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return OK if reason is None else reason


def health_routes(
    checks: Sequence[ReadinessCheck], metrics: Metrics | None, api_token: str | None
) -> list[Route]:
    """The routes of /healthz, /readyz and, when `metrics` is given, /metrics (behind the
    bearer token when `api_token` is set; no X-User-Id)."""

    async def healthz(request: Request) -> Response:
        return json_response(Health(status="ok"))

    async def readyz(request: Request) -> Response:
        outcomes = await run_checks(checks)
        ready = all(outcome == OK for outcome in outcomes.values())
        body = Readiness(status="ready" if ready else "not_ready", checks=outcomes)
        return json_response(body, 200 if ready else 503)

    routes = [Route(HEALTHZ, healthz, methods=["GET"]), Route(READYZ, readyz, methods=["GET"])]
    if metrics is not None:
        identity = Identity(api_token)

        async def exposition(request: Request) -> Response:
            identity.check_token(request.headers)  # a refusal is answered by errors.py
            body, media_type = await metrics.exposition(request.headers.get("accept"))
            return Response(body, headers={"Content-Type": media_type})

        routes.append(Route(METRICS, exposition, methods=["GET"]))
    return routes
