"""Preconditions (RFC 9110 §13.2.2) on every route with a validator: the history (GET, HEAD,
PUT, POST), messages (POST appends to the history), attachment content (GET, HEAD) and
uploads (raw and multipart)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from test.integration.validators import HISTORY, Chat, http_date, new_chat

Call = Callable[[Chat, dict[str, str]], Awaitable[httpx.Response]]
MESSAGE = {"role": "user", "content": "clobber"}


def _messages(chat: Chat, headers: dict[str, str]) -> Awaitable[httpx.Response]:
    return chat.client.post(f"/v1/chats/{chat.chat_id}/messages", headers=headers, json=MESSAGE)


def _raw(chat: Chat, headers: dict[str, str]) -> Awaitable[httpx.Response]:
    return chat.client.post(f"{chat.files}?name=a.txt", headers=headers, content=b"clobber")


def _multipart(chat: Chat, headers: dict[str, str]) -> Awaitable[httpx.Response]:
    files = {"file": ("a.txt", b"clobber", "text/plain")}
    return chat.client.post(chat.files, headers=headers, files=files)


# name: (call, whose validators it is conditional on, a read?, status when it proceeds)
ROUTES: dict[str, tuple[Call, str, bool, int]] = {
    "GET history": (lambda c, h: c.client.get(c.history, headers=h), "history", True, 200),
    "HEAD history": (lambda c, h: c.client.head(c.history, headers=h), "history", True, 200),
    "PUT history": (
        lambda c, h: c.client.put(c.history, headers=h, content=b"clobber\n"),
        "history",
        False,
        200,
    ),
    "POST history": (
        lambda c, h: c.client.post(c.history, headers=h, content=b"clobber\n"),
        "history",
        False,
        200,
    ),
    "POST messages": (_messages, "history", False, 201),
    "GET content": (lambda c, h: c.client.get(c.content, headers=h), "content", True, 200),
    "HEAD content": (lambda c, h: c.client.head(c.content, headers=h), "content", True, 200),
    "POST files raw": (_raw, "content", False, 201),
    "POST files multipart": (_multipart, "content", False, 201),
}
HEADERS = ("If-Match", "If-None-Match", "If-Unmodified-Since", "If-Modified-Since")


def condition(header: str, passing: bool, etag: str, modified: datetime) -> str:
    """A value of `header` that holds (or fails) for the version with these validators;
    dates on the very second of Last-Modified, to pin the one-second resolution."""
    if header == "If-Match":
        return etag if passing else '"stale"'
    if header == "If-None-Match":
        return '"other"' if passing else etag
    if header == "If-Unmodified-Since":
        return http_date(modified, 0 if passing else -1)
    return http_date(modified, -1 if passing else 0)


def expected_status(route: str, header: str, passing: bool) -> int:
    _, _, read, proceeds = ROUTES[route]
    if passing or (not read and header == "If-Modified-Since"):  # writes ignore it
        return proceeds
    if read and header in ("If-None-Match", "If-Modified-Since"):
        return 304
    return 412


@pytest.fixture
async def chat(client: httpx.AsyncClient, user: dict[str, str], data_dir: Path) -> Chat:
    return await new_chat(client, user, data_dir)


@pytest.mark.parametrize("passing", [True, False], ids=["passing", "failing"])
@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("route", ROUTES)
async def test_every_precondition_on_every_validator_route(
    chat: Chat, route: str, header: str, passing: bool
) -> None:
    """Each precondition, holding or not, gives the status RFC 9110 §13.2.2 says; a refused
    write changes no byte on disk, no metadata, no usage and no ETag."""
    call, target, read, _ = ROUTES[route]
    etag, modified = await chat.validators(chat.history if target == "history" else chat.content)
    before = await chat.snapshot()
    value = condition(header, passing, etag, modified)
    response = await call(chat, {**chat.user, header: value})
    status = expected_status(route, header, passing)
    assert response.status_code == status, response.text
    if status == 304:
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert parsedate_to_datetime(response.headers["last-modified"]) == modified
    elif status == 412:
        if not route.startswith("HEAD"):
            assert response.json()["error"]["code"] == "precondition_failed"
        assert await chat.snapshot() == before
    elif not read:
        assert await chat.snapshot() != before


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_if_none_match_star_never_clobbers_the_history(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path, method: str
) -> None:
    """The tester's case: after PUT '# kept', a PUT or POST of 'clobber' with If-None-Match: *
    is 412 (the history always exists), and history, ETag and usage stay as they were."""
    chat = await new_chat(client, user, data_dir)
    before = await chat.snapshot()
    headers = {**user, "If-None-Match": "*"}
    refused = await client.request(method, chat.history, headers=headers, content=b"clobber")
    assert refused.status_code == 412
    assert refused.json()["error"]["code"] == "precondition_failed"
    assert (await client.get(chat.history, headers=user)).content == HISTORY
    assert await chat.snapshot() == before


async def test_if_none_match_star_refuses_messages(chat: Chat) -> None:
    """Messages append to the history, which always exists: If-None-Match: * is 412."""
    before = await chat.snapshot()
    refused = await _messages(chat, {**chat.user, "If-None-Match": "*"})
    assert refused.status_code == 412
    assert await chat.snapshot() == before


async def test_if_match_star_holds_for_the_history(chat: Chat) -> None:
    """If-Match: * holds on the history (it always exists): PUT, POST and messages land."""
    star = {**chat.user, "If-Match": "*"}
    assert (await chat.client.put(chat.history, headers=star, content=b"a")).status_code == 200
    assert (await chat.client.post(chat.history, headers=star, content=b"b")).status_code == 200
    assert (await _messages(chat, star)).status_code == 201


async def test_if_match_wins_over_if_unmodified_since(chat: Chat) -> None:
    """With If-Match present, If-Unmodified-Since is not evaluated (RFC 9110 §13.2.2 step 1):
    a current If-Match and a failing date still write."""
    etag, modified = await chat.validators(chat.history)
    headers = {**chat.user, "If-Match": etag, "If-Unmodified-Since": http_date(modified, -60)}
    assert (await chat.client.put(chat.history, headers=headers, content=b"x")).status_code == 200


async def test_if_none_match_wins_over_if_modified_since(chat: Chat) -> None:
    """With If-None-Match present, If-Modified-Since is not evaluated (step 3): a changed
    ETag sends the history although the date says unmodified."""
    _, modified = await chat.validators(chat.history)
    headers = {**chat.user, "If-None-Match": '"old"', "If-Modified-Since": http_date(modified)}
    response = await chat.client.get(chat.history, headers=headers)
    assert response.status_code == 200
    assert response.content == HISTORY


async def test_unreadable_dates_are_ignored(chat: Chat) -> None:
    """An If-Unmodified-Since or If-Modified-Since that is not an HTTP-date is ignored
    (RFC 9110 §13.1.3, §13.1.4): the request proceeds."""
    for header in ("If-Unmodified-Since", "If-Modified-Since"):
        headers = {**chat.user, header: "last tuesday"}
        assert (await chat.client.get(chat.history, headers=headers)).status_code == 200
        assert (await chat.client.get(chat.content, headers=headers)).status_code == 200
    headers = {**chat.user, "If-Unmodified-Since": "0"}
    assert (await chat.client.put(chat.history, headers=headers, content=b"y")).status_code == 200


async def test_validators_on_reads_and_writes(chat: Chat) -> None:
    """GET and HEAD of history and content answer ETag and an IMF-fixdate Last-Modified;
    a history write answers the new version's ETag, and its Last-Modified only once the
    version's second is over (within it, none: decision record 019)."""
    for path in (chat.history, chat.content):
        got = await chat.client.get(path, headers=chat.user)
        head = await chat.client.head(path, headers=chat.user)
        assert got.headers["last-modified"] == head.headers["last-modified"]
        assert got.headers["last-modified"].endswith(" GMT")
        assert got.headers["etag"] == head.headers["etag"]
    before = datetime.now(UTC).replace(microsecond=0)
    written = await chat.client.post(chat.history, headers=chat.user, content=b"more")
    answered = datetime.now(UTC)
    await asyncio.sleep(1.05)  # the version's second is over: reads date it
    etag, modified = await chat.validators(chat.history)
    assert written.headers["etag"] == etag
    assert before <= modified <= answered
    if "last-modified" in written.headers:  # only when the write outlasted its second
        assert parsedate_to_datetime(written.headers["last-modified"]) == modified
        assert answered.replace(microsecond=0) > modified


async def test_openapi_lists_the_conditions_of_every_validator_route(
    client: httpx.AsyncClient,
) -> None:
    """The document gives each validator route its precondition headers and its 412; reads
    also If-Modified-Since and their 304."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    writes = ("If-Match", "If-None-Match", "If-Unmodified-Since")
    routes = {
        ("get", "/v1/chats/{chat_id}/history"): (*writes, "If-Modified-Since"),
        ("put", "/v1/chats/{chat_id}/history"): writes,
        ("post", "/v1/chats/{chat_id}/history"): writes,
        ("post", "/v1/chats/{chat_id}/messages"): writes,
        ("post", "/v1/chats/{chat_id}/files"): writes,
        ("get", "/v1/chats/{chat_id}/files/{file_id}/content"): (
            *writes,
            "If-Modified-Since",
            "If-Range",
        ),
    }
    for (method, path), headers in routes.items():
        spec = paths[path][method]
        documented = {p["name"] for p in spec["parameters"] if p["in"] == "header"}
        assert set(headers) <= documented, (method, path)
        assert "412" in spec["responses"]
        assert ("304" in spec["responses"]) == (method == "get")


async def test_a_history_that_is_no_file_still_exists(chat: Chat) -> None:
    """A history a sandbox replaced with a directory reads as empty, with its ETag but no
    Last-Modified, so dates are ignored; it still exists: If-None-Match: * is 412."""
    history = chat.workspace_dir / "chats" / chat.chat_id / "history.md"
    history.unlink()
    history.mkdir()
    got = await chat.client.get(chat.history, headers=chat.user)
    assert got.status_code == 200
    assert "last-modified" not in got.headers
    since = {**chat.user, "If-Modified-Since": "Sun, 06 Nov 2044 08:49:37 GMT"}
    assert (await chat.client.get(chat.history, headers=since)).status_code == 200
    star = {**chat.user, "If-None-Match": "*"}
    assert (await chat.client.put(chat.history, headers=star, content=b"x")).status_code == 412
    assert history.is_dir()


async def test_a_read_in_the_second_of_a_write_gives_no_date_to_go_stale_on(chat: Chat) -> None:
    """A read in the second of a write gives no Last-Modified (a date a later write in the
    same second would share, so If-Modified-Since would answer a stale 304); its ETag
    validates instead: after a second write, If-None-Match with it answers the new bytes.
    Once that second is over, the date is given, and a write after it reads as modified."""
    await chat.client.put(chat.history, headers=chat.user, content=b"version A")
    first = await chat.client.get(chat.history, headers=chat.user)
    if "last-modified" in first.headers:  # the read came after the write's second
        assert parsedate_to_datetime(first.headers["last-modified"]) < datetime.now(UTC)
    await chat.client.put(chat.history, headers=chat.user, content=b"version B")
    since = {**chat.user, "If-None-Match": first.headers["etag"]}
    again = await chat.client.get(chat.history, headers=since)
    assert (again.status_code, again.content) == (200, b"version B")
    await asyncio.sleep(1.05)
    dated = await chat.client.get(chat.history, headers=chat.user)
    await chat.client.put(chat.history, headers=chat.user, content=b"version C")
    since = {**chat.user, "If-Modified-Since": dated.headers["last-modified"]}
    later = await chat.client.get(chat.history, headers=since)
    assert (later.status_code, later.content) == (200, b"version C")
