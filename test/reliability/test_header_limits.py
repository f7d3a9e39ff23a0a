"""Header values and header parameters past their limits (contract, "Limits of values"): a
multipart boundary, media types, Content-Disposition parameters, Content-Length, Range,
X-User-Id, Authorization and the rest each have a bound, checked before any library sees
the value. Beyond it a JSON 400 (413 for a length), never a 500, and nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from test.e2e import multipart_body as mp
from test.reliability.stores import Service, raw_call, refused, service_on

# --- multipart boundary: the tester's example --------------------------------------------


@pytest.mark.parametrize(
    "boundary",
    ["-" * 7000, '"' + "\\" * 6000 + '"', "b" * 71, "b" * 257],
    ids=["7000-dashes", "quoted-6000-backslashes", "71", "257"],
)
async def test_overlong_multipart_boundary_is_400(sqlite_service: Service, boundary: str) -> None:
    """A multipart boundary over 70 characters (RFC 2046) is 400 invalid_request, and
    nothing is stored (it answered 500: python-multipart refuses boundaries over 256)."""
    service = sqlite_service
    before = service.chat_entries()
    headers = [
        (b"x-user-id", service.user["X-User-Id"].encode()),
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
    ]
    answer = await raw_call(
        service.app, "POST", f"/v1/chats/{service.chat_id}/files", headers, b"any body"
    )
    assert refused(answer, 400, "invalid_request") is None, answer
    assert service.chat_entries() == before


async def test_a_70_character_boundary_is_served(sqlite_service: Service) -> None:
    """The longest boundary RFC 2046 allows still uploads."""
    service = sqlite_service
    boundary = "b" * 70
    body = mp.body(mp.file_part("long.txt", b"x")).replace(mp.BOUNDARY.encode(), boundary.encode())
    headers = {**service.user, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await service.client.post(
        f"/v1/chats/{service.chat_id}/files", headers=headers, content=body
    )
    assert response.status_code == 201, response.text


def multipart(disposition: str, content_type: str | None = None) -> bytes:
    return mp.body(mp.part(disposition, b"data", content_type))


MULTIPART = (b"content-type", mp.HEADERS["Content-Type"].encode())
LONG = 100_000


WS, FILES, RAW, CONTENT = (
    "/v1/workspace",
    "{chat}/files",
    "{chat}/files?name=c.txt",
    "{file}/content",
)
BAD, NAME, TOO_LARGE = "invalid_request", "invalid_attachment_name", "request_too_large"


def upload(disposition: str, code: str, content_type: str | None = None) -> tuple[Any, ...]:
    return ("POST", FILES, [MULTIPART], multipart(disposition, content_type), 400, code)


def header(method: str, target: str, name: bytes, value: bytes, status: int, code: str) -> Any:
    body = b"x" if method in ("POST", "PUT") and name != b"content-length" else b""
    return (method, target, [(name, value)], body, status, code)


HEADER_CASES = {
    "x-user-id-long": header("GET", WS, b"x-user-id", b"a" * LONG, 400, "invalid_user_id"),
    "x-user-id-not-utf8": header("GET", WS, b"x-user-id", b"\xff" * 36, 400, "invalid_user_id"),
    "json-content-type-long": (
        "POST",
        "/v1/chats",
        [(b"content-type", b"application/json; x=" + b"a" * 300)],
        b"{}",
        400,
        BAD,
    ),
    "raw-content-type-long": header(
        "POST", RAW, b"content-type", b"text/plain; x=" + b"a" * LONG, 400, BAD
    ),
    "multipart-content-type-long": (
        "POST",
        FILES,
        [(b"content-type", MULTIPART[1] + b"; x=" + b"a" * 300)],
        multipart('form-data; name="file"; filename="c.txt"'),
        400,
        BAD,
    ),
    "part-disposition-9000": upload('form-data; name="file"; filename="' + "a" * 9000 + '"', BAD),
    "part-name-7000": upload('form-data; name="' + "f" * 7000 + '"; filename="a"', BAD),
    "part-filename-300": upload('form-data; name="file"; filename="' + "a" * 300 + '"', NAME),
    "part-filename*-2500-escapes": upload(
        "form-data; name=\"file\"; filename*=UTF-8''" + "%41" * 2500, NAME
    ),
    "part-filename*-charset-undefined": upload(
        "form-data; name=\"file\"; filename*=undefined''abc", NAME
    ),
    "part-filename*-charset-nul": upload("form-data; name=\"file\"; filename*=a\x00b''abc", NAME),
    "part-filename*-charset-long": upload(
        'form-data; name="file"; filename*=' + "u" * 5000 + "''abc", NAME
    ),
    "part-content-type-long": upload(
        'form-data; name="file"; filename="c.txt"', BAD, "text/plain; x=" + "a" * 5000
    ),
    "content-length-superscript": header("PUT", WS, b"content-length", b"\xb2", 400, BAD),
    "raw-content-length-superscript": header("POST", RAW, b"content-length", b"\xb2", 400, BAD),
    "content-length-2**63": header(
        "PUT", WS, b"content-length", str(2**63).encode(), 413, TOO_LARGE
    ),
    "raw-content-length-2**63": header(
        "POST", RAW, b"content-length", str(2**63).encode(), 413, TOO_LARGE
    ),
    "content-length-5000-digits": header("PUT", WS, b"content-length", b"1" * 5000, 413, TOO_LARGE),
    "raw-content-length-5000-digits": header(
        "POST", RAW, b"content-length", b"1" * 5000, 413, TOO_LARGE
    ),
    "history-put-content-length-2**63": header(
        "PUT", "{chat}/history", b"content-length", str(2**63).encode(), 413, TOO_LARGE
    ),
    "history-post-content-length-2**63": header(
        "POST", "{chat}/history", b"content-length", str(2**63).encode(), 413, TOO_LARGE
    ),
    "range-end-5000-digits": header("GET", CONTENT, b"range", b"bytes=0-" + b"9" * 5000, 400, BAD),
    "range-start-5000-digits": header(
        "GET", CONTENT, b"range", b"bytes=" + b"1" * 5000 + b"-", 400, BAD
    ),
    "range-suffix-5000-digits": header(
        "GET", CONTENT, b"range", b"bytes=-" + b"1" * 5000, 400, BAD
    ),
    "range-zero-padded": header(
        "GET", CONTENT, b"range", b"bytes=" + b"0" * 5000 + b"1-", 400, BAD
    ),
    "range-2**63": header("GET", CONTENT, b"range", f"bytes={2**63}-".encode(), 400, BAD),
    "checksum-long": header("POST", RAW, b"x-checksum-sha256", b"a" * LONG, 400, BAD),
    "if-match-long": header("PUT", "{chat}/history", b"if-match", b"a" * LONG, 400, BAD),
    "if-none-match-long": header("GET", "{chat}/history", b"if-none-match", b"a" * LONG, 400, BAD),
    "raw-name-long": ("POST", "{chat}/files?name=" + "a" * LONG, [], b"x", 400, NAME),
}


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "status", "code"),
    HEADER_CASES.values(),
    ids=HEADER_CASES.keys(),
)
async def test_overlong_and_malformed_header_values_are_json_4xx(
    sqlite_service: Service,
    method: str,
    target: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    status: int,
    code: str,
) -> None:
    """Each header value or header parameter past its limit (length, an integer past 2**63-1
    or more than 4,300 digits, a charset Python cannot decode with) gets its JSON 4xx and
    changes nothing; several answered 500."""
    service = sqlite_service
    chat = f"/v1/chats/{service.chat_id}"
    target = target.replace("{file}", f"{chat}/files/{service.file_id}")
    target = target.replace("{chat}", chat)
    if not any(name == b"x-user-id" for name, _ in headers):
        headers = [*headers, (b"x-user-id", service.user["X-User-Id"].encode())]
    before = service.chat_entries()
    answer = await raw_call(service.app, method, target, headers, body)
    assert refused(answer, status, code) is None, answer
    assert service.chat_entries() == before


async def test_an_overlong_token_is_401(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """With an API token configured, a 100,000-character Authorization is 401 unauthorized."""
    async with service_on("sqlite", tmp_path / "data", request, api_token="secret") as service:
        headers = [
            (b"x-user-id", service.user["X-User-Id"].encode()),
            (b"authorization", b"Bearer " + b"t" * LONG),
        ]
        answer = await raw_call(service.app, "GET", "/v1/workspace", headers)
        assert refused(answer, 401, "unauthorized") is None, answer
