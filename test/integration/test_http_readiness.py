"""GET /readyz and /healthz (contract 1.1, "Operations"): readiness runs its checks, liveness
always answers; neither needs a header or a token."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chatkeep.bootstrap.readiness import readiness_checks
from chatkeep.http.app import build_app
from chatkeep.http.health import ReadinessCheck, run_checks
from chatkeep.usecase.ports import Ports


async def served(
    ports: Ports, checks: list[ReadinessCheck], api_token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(ports, readiness=checks, api_token=api_token)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://chatkeep.test") as client:
        yield client


async def ready(ports: Ports, data_dir: Path, min_free_bytes: int) -> httpx.Response:
    async for client in served(ports, readiness_checks(data_dir, min_free_bytes, None), "tok"):
        return await client.get("/readyz")
    raise AssertionError("not served")


async def test_ready_when_every_check_holds(ports: Ports, data_dir: Path) -> None:
    """200 {"status": "ready", "checks": {...}} with each check "ok", without any header or
    token (a token is configured)."""
    response = await ready(ports, data_dir, 0)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"metadata": "ok", "data_dir_writable": "ok", "free_space": "ok"},
    }


async def test_not_ready_below_the_minimum_free_space(ports: Ports, data_dir: Path) -> None:
    """A minimum above the free space answers 503 not_ready, free_space saying why; the
    other checks still say ok."""
    response = await ready(ports, data_dir, 2**62)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert "under the minimum of 4611686018427387904" in body["checks"]["free_space"]
    assert body["checks"]["metadata"] == "ok"


async def test_not_ready_when_the_data_directory_cannot_be_written(
    ports: Ports, data_dir: Path
) -> None:
    """A directory the storage writes that is no longer one (root ignores permission bits)
    answers 503, data_dir_writable naming it."""
    shutil.rmtree(data_dir / "journal")
    (data_dir / "journal").write_bytes(b"in the way")
    response = await ready(ports, data_dir, 0)
    assert response.status_code == 503
    reason = response.json()["checks"]["data_dir_writable"]
    assert str(data_dir / "journal") in reason
    assert "not a directory" in reason


async def test_a_check_that_fails_or_hangs_has_a_reason() -> None:
    """A check that raises fails with its message's first line; one that does not answer
    within its time fails as "no answer"; the others are not held up."""

    async def raises() -> str | None:
        raise OSError("connection refused\nsecond line")

    async def hangs() -> str | None:
        await asyncio.sleep(60)
        return None

    async def holds() -> str | None:
        return None

    checks = [ReadinessCheck("a", raises), ReadinessCheck("b", hangs), ReadinessCheck("c", holds)]
    outcomes = await asyncio.wait_for(run_checks(checks), 10)
    assert outcomes == {"a": "connection refused", "b": "no answer within 2 s", "c": "ok"}


async def test_healthz_is_live_even_when_not_ready(ports: Ports, data_dir: Path) -> None:
    """/healthz answers 200 ok while /readyz answers 503: liveness is not readiness."""
    checks = readiness_checks(data_dir, 2**62, None)
    async for client in served(ports, checks):
        assert (await client.get("/readyz")).status_code == 503
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}


async def test_health_routes_are_documented(client: httpx.AsyncClient) -> None:
    """/healthz and /readyz are in the OpenAPI document, with their schemas and the 503,
    needing no credentials."""
    document = (await client.get("/openapi.json")).json()
    readyz = document["paths"]["/readyz"]["get"]
    assert set(readyz["responses"]) == {"200", "503"}
    assert readyz["security"] == [{}]
    schema = document["components"]["schemas"]["Readiness"]
    assert set(schema["properties"]) == {"status", "checks"}
    assert document["paths"]["/healthz"]["get"]["responses"]["200"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health_routes_refuse_other_methods(client: httpx.AsyncClient, path: str) -> None:
    """A POST is 405 method_not_allowed with a request id, like any other route."""
    response = await client.post(path)
    assert response.status_code == 405
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
