from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest

from chatkeep.http.app import OPERATIONS, build_app
from chatkeep.usecase.ports import Ports


async def test_healthz_needs_no_identity(client: httpx.AsyncClient) -> None:
    """GET /healthz answers ok without any header."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_documents_every_v1_route(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Every operation the API serves appears in /openapi.json with its responses, and every
    documented path and method is routed (answered by its handler, not 404 or 405); beside
    /v1, the document has /healthz and /readyz (and /metrics when metrics are on)."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {(o.path, o.method.lower()) for o in OPERATIONS} == {
        (path, method)
        for path, methods in document["paths"].items()
        for method in methods
        if path.startswith("/v1")
    }
    assert {path for path in document["paths"] if not path.startswith("/v1")} == {
        "/healthz",
        "/readyz",
    }
    some_id = "00000000-0000-4000-8000-000000000000"
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation["responses"], (method, path)
            url = path.replace("{chat_id}", some_id).replace("{file_id}", some_id)
            routed = await client.request(method.upper(), url, headers=user)
            code = routed.json()["error"]["code"] if routed.status_code >= 400 else ""
            assert code not in ("not_found", "method_not_allowed"), (method, path, code)
    schemas = document["components"]["schemas"]
    assert {"WorkspaceOut", "ChatOut", "ErrorBody", "HistoryWritten"} <= set(schemas)
    put_workspace = document["paths"]["/v1/workspace"]["put"]
    assert put_workspace["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WorkspacePut"
    }


class BrokenClock:
    def now(self) -> object:
        raise RuntimeError("the clock broke")


async def test_unexpected_failure_is_a_json_500(
    ports: Ports, user: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception answers 500 internal_error as JSON and is logged."""
    broken = build_app(dataclasses.replace(ports, clock=BrokenClock()))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=broken, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.put("/v1/workspace", headers=user)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "internal_error"
    assert "the clock broke" not in response.text
    assert "the clock broke" in caplog.text


async def test_unknown_route_and_method(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """Unknown /v1 paths are 404 not_found; a wrong method is 405 with Allow."""
    missing = await client.get("/v1/nothing-here", headers=user)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.patch("/v1/workspace", headers=user)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE"}


async def test_unknown_path_outside_v1_is_json_404(client: httpx.AsyncClient) -> None:
    """Even outside /v1, an unknown path answers a JSON error, not HTML."""
    response = await client.get("/favicon.ico")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_ids_in_paths_match_case_insensitively(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """An upper-case chat id in the path finds the chat."""
    await client.put("/v1/workspace", headers=user)
    chat_id = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
    response = await client.get(f"/v1/chats/{chat_id.upper()}", headers=user)
    assert response.status_code == 200
    assert response.json()["chat_id"] == chat_id
    assert uuid.UUID(chat_id)


async def test_openapi_states_the_lease_limits(client: httpx.AsyncClient) -> None:
    """The document gives a sandbox lease's bounds as JSON Schema keywords, so a client
    generated from it never sends a lease the API refuses."""
    document = (await client.get("/openapi.json")).json()
    lease = document["components"]["schemas"]["SandboxPut"]["properties"]["lease_seconds"]
    [bounded] = [option for option in lease["anyOf"] if option.get("type") == "integer"]
    assert (bounded["minimum"], bounded["maximum"]) == (1, 366 * 24 * 3600)


async def test_openapi_states_the_bound_of_every_integer(client: httpx.AsyncClient) -> None:
    """Quotas, seqs and page sizes carry their bounds in the document, the stores' 2**63-1
    at most (test/reliability/test_value_limits.py sends each past them)."""
    document = (await client.get("/openapi.json")).json()
    quota = document["components"]["schemas"]["WorkspacePut"]["properties"]["quota_bytes"]
    [bounded] = [option for option in quota["anyOf"] if option.get("type") == "integer"]
    assert (bounded["minimum"], bounded["maximum"]) == (0, 2**63 - 1)
    messages = document["paths"]["/v1/chats/{chat_id}/messages"]["get"]["parameters"]
    chats = document["paths"]["/v1/chats"]["get"]["parameters"]
    bounds = {
        (p["name"], p["schema"]["minimum"], p["schema"]["maximum"])
        for p in messages + chats
        if p["schema"].get("type") == "integer"
    }
    assert bounds == {("limit", 1, 1000), ("before", 1, 2**63 - 1)}


async def test_openapi_states_the_file_pages(client: httpx.AsyncClient) -> None:
    """GET …/files and POST …/rescan document ?limit= (1 to 10000, default 1000) and
    ?cursor= (at most 256 characters), and answer next_cursor beside files."""
    document = (await client.get("/openapi.json")).json()
    for method, path in (("get", "files"), ("post", "rescan")):
        operation = document["paths"][f"/v1/chats/{{chat_id}}/{path}"][method]
        parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        assert parameters["limit"] == {
            "type": "integer", "minimum": 1, "maximum": 10_000, "default": 1000
        }  # fmt: skip
        assert parameters["cursor"] == {"type": "string", "maxLength": 256}
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": "#/components/schemas/ChatFilePage"}
    page = document["components"]["schemas"]["ChatFilePage"]["properties"]
    assert set(page) == {"files", "next_cursor"}
