from __future__ import annotations

import uuid

import httpx
import pytest


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/json"
    return str(response.json()["error"]["code"])


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "user_id_required"),
        ({"X-User-Id": ""}, 401, "user_id_required"),
        ({"X-User-Id": "   "}, 401, "user_id_required"),
        ({"X-User-Id": "not-a-uuid"}, 400, "invalid_user_id"),
        ({"X-User-Id": "12345678123456781234567812345678"}, 400, "invalid_user_id"),
        ({"X-User-Id": "{12345678-1234-5678-1234-567812345678}"}, 400, "invalid_user_id"),
        ({"X-User-Id": "12345678-1234-5678-1234-56781234567g"}, 400, "invalid_user_id"),
    ],
)
async def test_user_id_is_required_and_must_be_a_uuid(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, code: str
) -> None:
    """Missing or empty X-User-Id is 401; anything not 8-4-4-4-12 hex is 400."""
    response = await client.get("/v1/workspace", headers=headers)
    assert response.status_code == status
    assert error_code(response) == code


@pytest.mark.parametrize(
    "values",
    [("a", "b"), ("same", "same"), ("", "valid"), ("", "")],
    ids=["two", "equal", "empty-first", "both-empty"],
)
async def test_duplicated_user_id_is_refused(
    client: httpx.AsyncClient, values: tuple[str, str]
) -> None:
    """Two X-User-Id headers, even equal or empty, are ambiguous: 400 invalid_request
    (contract 1.1), and nothing is created."""
    user_id = str(uuid.uuid4())
    named = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4()), "same": user_id, "valid": user_id}
    headers = [("X-User-Id", named.get(value, value)) for value in values]
    response = await client.put("/v1/workspace", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert (await client.get("/v1/workspace", headers={"X-User-Id": user_id})).status_code == 404


async def test_two_authorization_headers_are_refused_without_a_token(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Two Authorization headers are 400 invalid_request even when no token is
    configured (the server would ignore both): which one a proxy checked is unknown."""
    headers = [*user.items(), ("Authorization", "Bearer a"), ("Authorization", "Bearer b")]
    response = await client.put("/v1/workspace", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"


async def test_user_id_is_normalised_to_lowercase(client: httpx.AsyncClient) -> None:
    """An upper-case X-User-Id names the same user as its lower-case form."""
    user_id = str(uuid.uuid4())
    created = await client.put("/v1/workspace", headers={"X-User-Id": user_id.upper()})
    assert created.status_code == 201
    assert created.json()["user_id"] == user_id
    again = await client.get("/v1/workspace", headers={"X-User-Id": user_id})
    assert again.json()["workspace_id"] == created.json()["workspace_id"]


async def test_identity_is_checked_before_routing(client: httpx.AsyncClient) -> None:
    """Without X-User-Id, even an unknown /v1 path or a wrong method is 401."""
    assert (await client.get("/v1/no-such-route")).status_code == 401
    assert (await client.patch("/v1/workspace")).status_code == 401


@pytest.mark.parametrize("api_token", ["s3cret-token"])
class TestWithToken:
    async def test_missing_or_wrong_token_is_unauthorized(
        self, client: httpx.AsyncClient, user: dict[str, str]
    ) -> None:
        """With a token configured, requests without the right bearer token are 401."""
        for authorization in (None, "Bearer wrong", "Basic s3cret-token", "s3cret-token"):
            headers = dict(user)
            if authorization is not None:
                headers["Authorization"] = authorization
            response = await client.put("/v1/workspace", headers=headers)
            assert response.status_code == 401
            assert error_code(response) == "unauthorized"

    @pytest.mark.parametrize(
        "tokens",
        [("s3cret-token", "wrong"), ("wrong", "s3cret-token"), ("s3cret-token",) * 2],
        ids=["right-first", "right-second", "both-right"],
    )
    async def test_two_authorization_headers_are_400(
        self, client: httpx.AsyncClient, user: dict[str, str], tokens: tuple[str, str]
    ) -> None:
        """Two Authorization headers are 400 invalid_request whichever holds the token
        (the first one won: a right token first let a wrong second one through), before
        X-User-Id is looked at; nothing is created."""
        headers = [("Authorization", f"Bearer {token}") for token in tokens]
        response = await client.put("/v1/workspace", headers=[*user.items(), *headers])
        assert response.status_code == 400
        assert error_code(response) == "invalid_request"
        without_user = await client.put("/v1/workspace", headers=headers)
        assert error_code(without_user) == "invalid_request"
        right = {**user, "Authorization": "Bearer s3cret-token"}
        assert (await client.get("/v1/workspace", headers=right)).status_code == 404

    async def test_two_user_ids_come_after_the_token(self, client: httpx.AsyncClient) -> None:
        """Two X-User-Id headers without the token are 401: the token is checked first."""
        headers = [("X-User-Id", str(uuid.uuid4())), ("X-User-Id", str(uuid.uuid4()))]
        response = await client.get("/v1/workspace", headers=headers)
        assert error_code(response) == "unauthorized"

    async def test_token_is_checked_before_user_id(self, client: httpx.AsyncClient) -> None:
        """A bad token wins over a missing X-User-Id: unauthorized, not user_id_required."""
        response = await client.get("/v1/workspace")
        assert error_code(response) == "unauthorized"

    async def test_right_token_passes(
        self, client: httpx.AsyncClient, user: dict[str, str]
    ) -> None:
        """The configured token lets the request through; healthz never needs it."""
        headers = {**user, "Authorization": "Bearer s3cret-token"}
        assert (await client.put("/v1/workspace", headers=headers)).status_code == 201
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
