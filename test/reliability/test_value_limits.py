"""Values past their limits (contract, "Limits of values"): every integer a client sends is
bounded by what the metadata stores hold and the bound is the OpenAPI document's `maximum`;
texts and cursors go to a store only if every store holds them. Beyond them a JSON 400,
never a 500, and nothing changes. The services keep their metadata in SQLite (mirrored, the
default; and through a SQLite URL) and, where it is installed, PostgreSQL: the stores whose
limits a value could overrun."""

from __future__ import annotations

import base64
import uuid

import pytest

from chatkeep.domain.cursor import scope_tag
from test.reliability.integer_inputs import integer_inputs, nested_integers, send_integer
from test.reliability.stores import Service, refused

# SQLite's INTEGER and PostgreSQL's BIGINT: what every store holds.
STORE_MAX = 2**63 - 1
HUGE = (2**63, 2**64, 10**30)


async def test_every_integer_input_is_bounded_in_the_schema_and_at_runtime(
    service: Service,
) -> None:
    """Each integer the OpenAPI document lets a client send has a `minimum` and a `maximum`
    within what the stores hold; the maximum and minimum are accepted, and one past them or a
    huge value (2**63, 2**64, 10**30, 1e308, -10**30) answers 400 invalid_request as JSON,
    never 500 (a quota of 2**63 answered 500 on SQLite and PostgreSQL)."""
    document = (await service.client.get("/openapi.json")).json()
    inputs = integer_inputs(document)
    assert {str(i) for i in inputs} >= {
        "PUT /v1/workspace body quota_bytes",
        "PUT /v1/chats/{chat_id}/sandbox body lease_seconds",
        "GET /v1/chats query limit",
        "GET /v1/chats/{chat_id}/messages query limit",
        "GET /v1/chats/{chat_id}/messages query before",
    }
    for path in document["paths"].values():
        for operation in path.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                # Integers inside lists or nested objects would need a body shape of their
                # own: make the sweep build one before adding such a field.
                assert nested_integers(media["schema"], document) == 0
    failures = []
    for item in inputs:
        maximum, minimum = item.schema.get("maximum"), item.schema.get("minimum")
        if maximum is None or minimum is None:
            failures.append(f"{item}: no minimum/maximum in the schema: {item.schema}")
        elif not -STORE_MAX - 1 <= minimum <= maximum <= STORE_MAX:
            failures.append(f"{item}: bounds beyond what the stores hold: {item.schema}")
        bounds = [bound for bound in (maximum, minimum) if bound is not None]
        for value in bounds:
            answer = await send_integer(service, item, value)
            if not 200 <= answer.status < 300:
                failures.append(f"{item}={value}: {answer.status} {answer.body[:200]!r}")
        beyond: list[object] = [*HUGE, -(10**30)]
        beyond += [maximum + 1] if maximum is not None else []
        beyond += [minimum - 1] if minimum is not None else []
        if item.location == "body":
            beyond.append(1e308)
        for value in beyond:
            problem = refused(await send_integer(service, item, value), 400, "invalid_request")
            if problem is not None:
                failures.append(f"{item}={value!s:.30}: {problem}")
    assert not failures, "\n".join(failures)


# --- texts and cursors a store cannot hold ------------------------------------------------


async def test_nul_in_stored_text_is_400(service: Service) -> None:
    """A title or sandbox_id holding NUL (U+0000), which PostgreSQL's text cannot hold, is
    400 invalid_request on every store and changes nothing (PostgreSQL answered 500)."""
    chat = f"/v1/chats/{service.chat_id}"
    user = service.user
    for method, path, body in [
        ("POST", "/v1/chats", {"title": "a\x00b"}),
        ("PATCH", chat, {"title": "\x00"}),
        ("PUT", f"{chat}/sandbox", {"sandbox_id": "sb\x00"}),
    ]:
        response = await service.client.request(method, path, headers=user, json=body)
        assert response.status_code == 400, (method, path, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    listed = (await service.client.get("/v1/chats", headers=user)).json()["chats"]
    assert [(c["chat_id"], c["title"]) for c in listed] == [(service.chat_id, None)]
    sandbox = await service.client.get(f"{chat}/sandbox", headers=user)
    assert sandbox.status_code == 404


def cursor_of(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


AT = '"2026-01-01T00:00:00+00:00"'


@pytest.mark.parametrize(
    "seq",
    ["18446744073709551616", "9223372036854775808", "-1", "1e308", "Infinity", '"9" * 20'],
    ids=["2**64", "2**63", "negative", "1e308", "Infinity", "digits-text"],
)
@pytest.mark.parametrize("listing", ["chats", "files", "rescan"])
async def test_forged_cursors_are_400(service: Service, listing: str, seq: str) -> None:
    """A listing cursor of the caller's own workspace or chat, forged with a seq past the
    stores' integers, negative, a float, Infinity or text, is an unknown cursor: 400
    invalid_request, for chats, attachments and a rescan's page (PostgreSQL and a SQLite URL
    answered 500 to the big ordinals of chat cursors, every store to Infinity)."""
    seq = '"' + "9" * 20 + '"' if seq.startswith('"') else seq
    if listing == "chats":
        tag = scope_tag(uuid.UUID(service.workspace_id))
        fields = f'["chats", "{tag}", "created_at", null, {AT}, {seq}]'
        method, path = "GET", "/v1/chats"
    else:
        tag = scope_tag(uuid.UUID(service.chat_id))
        fields = f'["files", "{tag}", {AT}, {seq}]'
        method = "GET" if listing == "files" else "POST"
        path = f"/v1/chats/{service.chat_id}/{'files' if listing == 'files' else 'rescan'}"
    cursor = cursor_of(fields.encode())
    response = await service.client.request(
        method, path, params={"cursor": cursor}, headers=service.user
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    sane = cursor_of(fields.replace(seq, "1").encode())
    response = await service.client.request(
        method, path, params={"cursor": sane}, headers=service.user
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/v1/chats", "/v1/chats/{chat_id}/files"])
async def test_a_nested_cursor_is_400(service: Service, path: str) -> None:
    """Deep nesting in a cursor is an unknown cursor, never a recursion error (500)."""
    path = path.format(chat_id=service.chat_id)
    response = await service.client.get(
        f"{path}?cursor={cursor_of(b'[' * 180)}", headers=service.user
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("path", ["/v1/chats", "/v1/chats/{chat_id}/files"])
async def test_an_overlong_cursor_is_400(sqlite_service: Service, path: str) -> None:
    """A cursor longer than any the service issues is refused before it is decoded, even
    when it is deeply nested JSON (which overflowed the decoder's recursion: 500)."""
    nested = cursor_of(b"[" * 40_000)
    path = path.format(chat_id=sqlite_service.chat_id)
    response = await sqlite_service.client.get(
        f"{path}?cursor={nested}", headers=sqlite_service.user
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("0001-01-01T00:00:00%2B23:59", 200),
        ("9999-12-31T23:59:59-23:59", 200),
        ("9999-12-31T23:59:59.999999Z", 200),
        ("10000-01-01T00:00:00Z", 400),
        ("2026-01-01T00:00:00%2B24:00", 400),
        ("9" * 5000, 400),
        ("9999-12-31T23:59:59%00Z", 400),
        ("9999-12-31T23:59:59%0AZ", 400),
        ("2020-01-01T00:00:00Z%00", 400),
    ],
)
async def test_pruning_at_the_ends_of_time(service: Service, moment: str, status: int) -> None:
    """updated_before at the first and last instants a timestamp holds, with the widest
    offsets, prunes without error (a year 9999 with -23:59 is year 10000 in UTC); past them,
    or with a NUL or line feed in them (Python's parser let those through, and pruning
    deleted), 400 invalid_request."""
    user = await service.new_user()
    await service.client.post("/v1/chats", headers=user)
    response = await service.client.delete(f"/v1/chats?updated_before={moment}", headers=user)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/workspace"),
        ("POST", "/v1/chats"),
        ("PATCH", "{chat}"),
        ("PUT", "{chat}/sandbox"),
        ("POST", "{chat}/messages"),
    ],
)
async def test_deeply_nested_json_is_400(sqlite_service: Service, method: str, path: str) -> None:
    """A JSON body nested 100,000 deep is 400 invalid_request on every JSON route (messages
    answered 500: its fallback parser overflowed the recursion limit)."""
    service = sqlite_service
    target = path.replace("{chat}", f"/v1/chats/{service.chat_id}")
    for body in (b"[" * 100_000, b'{"messages": ' + b"[" * 100_000):
        response = await service.client.request(method, target, headers=service.user, content=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "number", ["123456789012345678.9", "9007199254740993.0", "4611686018427387904.5", "1e17"]
)
async def test_a_rounded_float_is_not_taken_for_an_integer(
    sqlite_service: Service, number: str
) -> None:
    """A quota written with a fraction or an exponent past 2**53 is 400: it arrives as a float
    that has lost digits (123456789012345678.9 was stored as 123456789012345680)."""
    service = sqlite_service
    body = f'{{"quota_bytes": {number}}}'.encode()
    headers = {**service.user, "Content-Type": "application/json"}
    answer = await service.client.put("/v1/workspace", headers=headers, content=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    exact = await service.client.put(
        "/v1/workspace", headers=headers, content=b'{"quota_bytes": 5.0}'
    )
    assert exact.json()["quota_bytes"] == 5
