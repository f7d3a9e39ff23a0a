"""The OpenAPI description of the routes outside /v1 that load balancers and monitoring
call: /healthz, /readyz and /metrics (contract 1.1, "Operations")."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chatkeep.http.health import HEALTHZ, METRICS, READYZ
from chatkeep.http.schemas import ErrorBody, Health, Readiness

HEALTH_MODELS: tuple[type[BaseModel], ...] = (Health, Readiness)
_NO_CREDENTIALS: list[dict[str, list[str]]] = [{}]


def health_paths(ref_of: dict[type[BaseModel], Any], *, metrics: bool) -> dict[str, Any]:
    """The path items of /healthz, /readyz and, when `metrics`, /metrics; `ref_of` gives
    each model's schema reference."""

    def json(model: type[BaseModel], description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": ref_of[model]}},
        }

    paths: dict[str, Any] = {
        HEALTHZ: {
            "get": {
                "summary": "Liveness: the process answers (no header or token needed)",
                "operationId": "get_healthz",
                "security": _NO_CREDENTIALS,
                "responses": {"200": json(Health, "The process is alive")},
            }
        },
        READYZ: {
            "get": {
                "summary": "Readiness: the metadata store answers, the data directory is "
                "writable and has at least the configured free space (no header or token)",
                "operationId": "get_readyz",
                "security": _NO_CREDENTIALS,
                "responses": {
                    "200": json(Readiness, "Ready: every check is 'ok'"),
                    "503": json(Readiness, "Not ready: the reason of each failed check"),
                },
            }
        },
    }
    if metrics:
        paths[METRICS] = {
            "get": {
                "summary": "Prometheus metrics (the bearer token when one is configured)",
                "operationId": "get_metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition (OpenMetrics when asked)",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": json(ErrorBody, "unauthorized"),
                },
            }
        }
    return paths
