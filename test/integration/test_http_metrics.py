"""GET /metrics (contract 1.1, "Operations"): Prometheus text that moves with traffic, whose
labels never hold a raw path or an id, behind the bearer token when one is set."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import OPERATIONS, build_app
from chatkeep.http.metrics import Metrics
from chatkeep.storage.disk import free_bytes
from chatkeep.usecase.sandbox.count import count_active_sandbox_sessions
from test.conftest import FakeClock

UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
ROUTES = {o.path for o in OPERATIONS} | {"/healthz", "/readyz", "/metrics", "/openapi.json"}


async def metrics_client(
    data_dir: Path, clock: FakeClock, api_token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    metrics = Metrics()
    ports = build_ports(
        data_dir, default_quota_bytes=10**9, clock=clock, fsync_observer=metrics.observe_fsync
    )
    metrics.watch_state(
        free_bytes=partial(free_bytes, data_dir),
        active_sessions=partial(count_active_sandbox_sessions, ports),
    )
    await ports.storage.start()
    app = build_app(ports, metrics=metrics, api_token=api_token)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://chatkeep.test") as client:
        yield client
    await ports.storage.close()


@pytest.fixture
async def client(data_dir: Path, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async for client in metrics_client(data_dir, clock):
        yield client


async def scrape(client: httpx.AsyncClient, **headers: str) -> list[Sample]:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    families = text_string_to_metric_families(response.text)
    return [sample for family in families for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The value of the one sample `name` whose labels include `labels` (0 when absent)."""
    found = [s for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) <= 1, found
    return found[0].value if found else 0.0


async def test_counters_move_with_traffic(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """Requests, durations, uploads, downloads, quota refusals, sandbox sessions and fsyncs
    are counted as traffic arrives; free bytes and the process metrics are there."""
    before = await scrape(client)
    ok = {"method": "GET", "route": "/v1/workspace", "status": "200"}
    assert value(before, "chatkeep_http_requests_total", **ok) == 0
    await client.put("/v1/workspace", headers=user, json={"quota_bytes": 1000})
    for _ in range(3):
        assert (await client.get("/v1/workspace", headers=user)).status_code == 200
    chat = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
    files = f"/v1/chats/{chat}/files"
    stored = await client.post(f"{files}?name=a.bin", headers=user, content=b"u" * 300)
    file_id = stored.json()["files"][0]["file_id"]
    assert (await client.get(f"{files}/{file_id}/content", headers=user)).content == b"u" * 300
    refused = await client.post(f"{files}?name=b.bin", headers=user, content=b"v" * 900)
    assert refused.status_code == 413
    sandbox = {"sandbox_id": "sb-1", "lease_seconds": 60}
    await client.put(f"/v1/chats/{chat}/sandbox", headers=user, json=sandbox)

    after = await scrape(client)
    assert value(after, "chatkeep_http_requests_total", **ok) == 3
    duration = {"method": "GET", "route": "/v1/workspace"}
    assert value(after, "chatkeep_http_request_duration_seconds_count", **duration) == 3
    every = value(after, "chatkeep_http_request_duration_seconds_bucket", le="+Inf", **duration)
    assert every == 3
    assert value(after, "chatkeep_http_request_duration_seconds_sum", **duration) > 0
    # The refused upload was refused from its Content-Length: none of its body was read.
    assert value(after, "chatkeep_upload_bytes_total") == 300
    assert value(after, "chatkeep_download_bytes_total") == 300
    assert value(after, "chatkeep_quota_refusals_total") == 1
    assert value(after, "chatkeep_sandbox_sessions_active") == 1
    assert value(after, "chatkeep_fsync_duration_seconds_count") > 0
    assert value(after, "chatkeep_data_dir_free_bytes") > 0
    assert value(after, "chatkeep_http_requests_in_flight") == 1  # the scrape itself
    assert value(after, "process_cpu_seconds_total") > 0

    await client.delete(f"/v1/chats/{chat}/sandbox", headers=user)
    assert value(await scrape(client), "chatkeep_sandbox_sessions_active") == 0


async def test_error_bodies_on_the_content_route_are_not_downloads(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Only a file's bytes count as downloaded: the JSON bodies of a 404 and a 416 on the
    content route add nothing, a 206 adds its range."""
    await client.put("/v1/workspace", headers=user)
    chat = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
    files = f"/v1/chats/{chat}/files"
    stored = await client.post(f"{files}?name=a.bin", headers=user, content=b"u" * 300)
    content = f"{files}/{stored.json()['files'][0]['file_id']}/content"
    missing = await client.get(f"{files}/{uuid.uuid4()}/content", headers=user)
    assert missing.status_code == 404
    beyond = await client.get(content, headers={**user, "Range": "bytes=900-"})
    assert beyond.status_code == 416
    assert value(await scrape(client), "chatkeep_download_bytes_total") == 0
    part = await client.get(content, headers={**user, "Range": "bytes=0-9"})
    assert part.status_code == 206
    assert value(await scrape(client), "chatkeep_download_bytes_total") == 10


async def test_no_raw_path_or_id_in_any_label(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Routes are templates, or "unmatched" for every path no route serves; methods outside
    the standard ones are one label: no id, query or raw path reaches a label."""
    await client.put("/v1/workspace", headers=user)
    chat = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
    await client.get(f"/v1/chats/{chat}", headers=user)
    await client.get(f"/v1/chats/{uuid.uuid4()}/history?x=1", headers=user)
    await client.get(f"/v1/nothing/{uuid.uuid4()}", headers=user)
    await client.get(f"/elsewhere/{uuid.uuid4()}")
    await client.request("PROPFIND", f"/v1/chats/{chat}", headers=user)
    samples = await scrape(client)
    labels = [s.labels for s in samples if s.name.startswith("chatkeep_http_")]
    assert labels
    for label in labels:
        assert not any(UUID_TEXT.search(text) or "?" in text for text in label.values())
        if "route" in label:
            assert label["route"] in ROUTES | {"unmatched"}, label
        if "method" in label:
            assert label["method"] in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "other"}
    routes = {label["route"] for label in labels if "route" in label}
    assert {"/v1/chats/{chat_id}", "/v1/chats/{chat_id}/history", "unmatched"} <= routes
    assert value(samples, "chatkeep_http_requests_total", method="other", status="405") == 1


async def test_metrics_need_the_token_when_one_is_set(data_dir: Path, clock: FakeClock) -> None:
    """With an API token, /metrics answers 401 without it and 200 with it; it never needs
    X-User-Id."""
    async for client in metrics_client(data_dir, clock, api_token="s3cret"):
        refused = await client.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        samples = await scrape(client, Authorization="Bearer s3cret")
        assert value(samples, "chatkeep_http_requests_total", route="/metrics", status="401") == 2


async def test_metrics_are_off_without_metrics(client: httpx.AsyncClient, ports: object) -> None:
    """An app built without metrics answers /metrics 404 and leaves it out of its OpenAPI
    document; with metrics, the document has it."""
    document = (await client.get("/openapi.json")).json()
    assert "/metrics" in document["paths"]
    bare = build_app(ports)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=bare, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as plain:
        assert (await plain.get("/metrics")).status_code == 404
        assert "/metrics" not in (await plain.get("/openapi.json")).json()["paths"]
