from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatkeep.http.errors import RequestError
from chatkeep.http.multipart import MAX_PARTS, MultipartReader
from test.e2e import multipart_body as mp

BOUNDARY = mp.BOUNDARY.encode()


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_parts(data: bytes, size: int = 7) -> list[tuple[dict[str, str], bytes]]:
    reader = MultipartReader(chunked(data, size), BOUNDARY)
    parts = []
    async for part in reader.parts():
        content = b"".join([chunk async for chunk in part.data])
        parts.append((part.headers, content))
    return parts


@pytest.mark.parametrize("size", [1, 3, 7, 64, 100_000])
async def test_parts_arrive_whole_whatever_the_chunking(size: int) -> None:
    """Headers and data come out the same for any split of the body into chunks."""
    body = mp.body(
        mp.file_part("a.txt", b"alpha\r\n--not-a-boundary", "text/plain"),
        mp.part('form-data; name="field"', b""),
        mp.file_part("b.bin", bytes(range(256)) * 10),
    )
    parts = await read_parts(body, size)
    assert [p[1] for p in parts] == [b"alpha\r\n--not-a-boundary", b"", bytes(range(256)) * 10]
    assert parts[0][0]["content-type"] == "text/plain"
    assert parts[1][0]["content-disposition"] == 'form-data; name="field"'


async def test_unread_part_data_is_skipped() -> None:
    """A caller may ignore a part's data; the next part still arrives intact."""
    body = mp.body(mp.part('form-data; name="skip"', b"x" * 1000), mp.file_part("k", b"kept"))
    reader = MultipartReader(chunked(body, 10), BOUNDARY)
    seen = []
    async for part in reader.parts():
        if part.disposition.get("name") == "file":
            seen.append(b"".join([c async for c in part.data]))
    assert seen == [b"kept"]


async def test_truncated_body_is_invalid_request() -> None:
    """A body that ends before the closing boundary is refused."""
    with pytest.raises(RequestError) as refused:
        await read_parts(mp.body(mp.file_part("a", b"data"))[:-20])
    assert refused.value.code == "invalid_request"


async def test_too_many_parts_are_refused() -> None:
    """More than MAX_PARTS parts is request_too_large, detected while streaming."""
    body = mp.body(*(mp.part('form-data; name="f"', b"") for _ in range(MAX_PARTS + 1)))
    with pytest.raises(RequestError) as refused:
        await read_parts(body, 4096)
    assert refused.value.code == "request_too_large"


async def test_endless_part_headers_are_refused() -> None:
    """A header line, or a header count, beyond the limits is refused, not buffered."""
    long_line = f"--{mp.BOUNDARY}\r\nX-Filler: ".encode() + b"a" * 100_000
    many = f"--{mp.BOUNDARY}\r\n".encode() + b"X-A: b\r\n" * 100
    for body in (long_line, many):
        with pytest.raises(RequestError) as refused:
            await read_parts(body, 4096)
        assert refused.value.code == "invalid_request"
        assert "header" in refused.value.message.lower()


@pytest.mark.parametrize("boundary", [b"", b"b" * 71, b"b" * 257, b"-" * 7000])
def test_boundaries_outside_1_to_70_characters_are_refused(boundary: bytes) -> None:
    """RFC 2046 boundaries are 1 to 70 characters; others are 400 before any parsing (past
    256, python-multipart's own refusal answered 500)."""
    with pytest.raises(RequestError) as refused:
        MultipartReader(chunked(b"", 1), boundary)
    assert refused.value.code == "invalid_request"


async def test_a_70_character_boundary_is_read() -> None:
    """The longest boundary RFC 2046 allows delimits parts."""
    boundary = b"b" * 70
    body = mp.body(mp.file_part("a.txt", b"x")).replace(BOUNDARY, boundary)
    reader = MultipartReader(chunked(body, 64), boundary)
    assert [b"".join([c async for c in part.data]) async for part in reader.parts()] == [b"x"]
