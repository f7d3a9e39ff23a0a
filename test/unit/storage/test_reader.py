"""The reader of an attachment never hands out bytes of two versions of a file a sandbox
rewrites in place (decision record 023); a history's reader is not guarded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatkeep.domain.errors import ContentChangedError
from chatkeep.storage import reader as reader_module
from chatkeep.storage.etag import etag_of
from chatkeep.storage.reader import HEAD_BYTES, READ_CHUNK_BYTES, open_reader


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield tmp_path, fd
    os.close(fd)


def torn_preads(monkeypatch: pytest.MonkeyPatch, path: Path, new: bytes, times: int) -> None:
    """The first `times` reads of the file return half old, half new bytes and leave it
    rewritten (a sandbox writing while the read ran), each time with another size, so that
    the change shows whatever the timestamps' granularity; the last leaves it `new`."""
    real = os.pread
    calls = {"n": 0}

    def pread(fd: int, size: int, offset: int) -> bytes:
        calls["n"] += 1
        if calls["n"] > times:
            return real(fd, size, offset)
        torn = new[: size // 2] + real(fd, size, offset)[size // 2 :]
        path.write_bytes(new if calls["n"] == times else new + b"!" * calls["n"])
        return torn

    monkeypatch.setattr(reader_module.os, "pread", pread)


async def test_a_small_file_torn_by_a_write_is_read_again(
    directory: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small attachment whose read met a rewrite is read again, so its bytes, size and
    ETag are all of one version (the torn bytes were served with the old ETag)."""
    path, fd = directory
    path_file = path / "a.txt"
    path_file.write_bytes(b"o" * 1000)
    torn_preads(monkeypatch, path_file, b"n" * 1000, times=2)
    reader = open_reader(fd, "a.txt", guarded=True)
    assert reader is not None
    assert reader.fileno() is None
    assert (reader.size_bytes, reader.etag) == (1000, etag_of(path_file.stat()))
    assert reader.version_check() is None
    assert b"".join([chunk async for chunk in reader.chunks()]) == b"n" * 1000


async def test_a_small_file_that_keeps_changing_is_served_from_its_descriptor(
    directory: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small attachment that changes under every read is not served from memory: its
    reader keeps the descriptor, and its last bytes are checked like a large file's."""
    path, fd = directory
    (path / "a.txt").write_bytes(b"o" * 1000)
    torn_preads(monkeypatch, path / "a.txt", b"n" * 1000, times=3)
    reader = open_reader(fd, "a.txt", guarded=True)
    assert reader is not None
    assert reader.fileno() is not None
    assert reader.version_check() is not None
    (path / "a.txt").write_bytes(b"x" * 999)
    with pytest.raises(ContentChangedError):
        [chunk async for chunk in reader.chunks()]
    await reader.aclose()


@pytest.mark.parametrize("change", ["rewrite", "truncate"])
async def test_a_large_file_changed_between_chunks_never_yields_its_last_chunk(
    directory: tuple[Path, int], change: str
) -> None:
    """Rewritten in place (or truncated) after its first chunk was read, a guarded
    reader's file raises ContentChangedError instead of yielding its last chunk; the
    version check says it moved. A history's reader (unguarded) reads on as before."""
    path, fd = directory
    size = 3 * READ_CHUNK_BYTES
    (path / "big").write_bytes(b"o" * size)
    # Stamped as the API stamps what it writes, so that the rewrite's time differs from it
    # whatever the clock's granularity.
    os.utime(path / "big", ns=(10**9, 10**9))
    guarded = open_reader(fd, "big", guarded=True)
    history = open_reader(fd, "big")
    assert guarded is not None
    assert history is not None
    check = guarded.version_check()
    assert check is not None
    assert history.version_check() is None
    chunks, plain = guarded.chunks(), history.chunks()
    assert await anext(chunks) == b"o" * READ_CHUNK_BYTES
    assert await anext(plain) == b"o" * READ_CHUNK_BYTES
    with open(path / "big", "r+b") as file:
        if change == "rewrite":
            file.write(b"n" * READ_CHUNK_BYTES)
        else:
            file.truncate(size - 10)
    with pytest.raises(ContentChangedError):
        [chunk async for chunk in chunks]
    fd_guarded = guarded.fileno()
    assert fd_guarded is not None
    assert not check(fd_guarded)
    assert len(b"".join([c async for c in plain])) >= size - 10 - READ_CHUNK_BYTES
    await guarded.aclose()
    await history.aclose()


async def test_an_unchanged_file_reads_whole(directory: tuple[Path, int]) -> None:
    """Untouched, a guarded file of several chunks and a small one read whole."""
    path, fd = directory
    (path / "big").write_bytes(os.urandom(2 * READ_CHUNK_BYTES + 5))
    (path / "small").write_bytes(b"s" * HEAD_BYTES)
    for name in ("big", "small"):
        reader = open_reader(fd, name, guarded=True)
        assert reader is not None
        assert b"".join([c async for c in reader.chunks()]) == (path / name).read_bytes()
        await reader.aclose()
