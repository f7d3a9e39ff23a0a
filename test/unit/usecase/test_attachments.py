from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator

import pytest

from chatkeep.domain.errors import (
    ChatFileNotFoundError,
    ChecksumMismatchError,
    InvalidAttachmentNameError,
    InvalidRequestError,
)
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.chats.get import get_chat
from chatkeep.usecase.files.content import open_file_content
from chatkeep.usecase.files.delete import clear_files, delete_file
from chatkeep.usecase.files.get import get_file
from chatkeep.usecase.files.listing import list_files
from chatkeep.usecase.files.pages import PageRequest
from chatkeep.usecase.files.upload import IncomingFile, upload_files
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.ensure import ensure_workspace


def named(name: str) -> PageRequest:
    return PageRequest.of(name=name)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def incoming(*files: IncomingFile) -> AsyncIterator[IncomingFile]:
    for item in files:
        yield item


def file(name: str, data: bytes, **extra: object) -> IncomingFile:
    return IncomingFile(name, "text/plain", chunks(data), **extra)  # type: ignore[arg-type]


async def setup(ports: Ports) -> tuple[uuid.UUID, uuid.UUID]:
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    return user, chat.chat_id


async def test_upload_stores_metadata_and_moves_updated_at(ports: Ports) -> None:
    """Uploaded files get ids, sizes, hashes and types, and the chat's updated_at moves."""
    user, chat_id = await setup(ports)
    before = await get_chat(ports, user, chat_id)
    files = await upload_files(
        ports, user, chat_id, incoming(file("a.txt", b"aaa"), file("b.txt", b"bb"))
    )
    assert [f.name.value for f in files] == ["a.txt", "b.txt"]
    assert files[0].sha256 == hashlib.sha256(b"aaa").hexdigest()
    assert files[1].size_bytes == 2
    assert (await list_files(ports, user, chat_id)).files == files
    assert await get_file(ports, user, chat_id, files[0].file_id) == files[0]
    assert (await get_chat(ports, user, chat_id)).updated_at > before.updated_at


async def test_refusals_store_nothing(ports: Ports) -> None:
    """A checksum mismatch, a repeated name, a bad name or no file at all stores nothing."""
    user, chat_id = await setup(ports)
    refusals = [
        (ChecksumMismatchError, [file("a", b"x", expected_sha256="0" * 64)]),
        (InvalidAttachmentNameError, [file("a", b"x"), file("a", b"y")]),
        (InvalidAttachmentNameError, [file("ok", b"x"), file("../bad", b"y")]),
        (InvalidRequestError, []),
    ]
    for error, files in refusals:
        with pytest.raises(error):
            await upload_files(ports, user, chat_id, incoming(*files))
    assert (await list_files(ports, user, chat_id)).files == []


async def test_open_delete_and_clear(ports: Ports) -> None:
    """Content opens while the file exists; delete and clear remove files and metadata."""
    user, chat_id = await setup(ports)
    one, two = await upload_files(
        ports, user, chat_id, incoming(file("1", b"one"), file("2", b"two"))
    )
    chat_file, read = await open_file_content(ports, user, chat_id, one.file_id)
    reader = read.reader
    assert chat_file == one
    assert b"".join([c async for c in reader.chunks()]) == b"one"
    await reader.aclose()
    await delete_file(ports, user, chat_id, one.file_id)
    with pytest.raises(ChatFileNotFoundError):
        await open_file_content(ports, user, chat_id, one.file_id)
    assert (await list_files(ports, user, chat_id, named("2"))).files == [two]
    assert (await list_files(ports, user, chat_id, named("../nope"))).files == []
    await clear_files(ports, user, chat_id)
    assert (await list_files(ports, user, chat_id)).files == []


async def test_files_of_another_chat_are_not_found(ports: Ports) -> None:
    """A file id of another chat answers chat_file_not_found."""
    user, chat_id = await setup(ports)
    other = await create_chat(ports, user, None)
    (stored,) = await upload_files(ports, user, chat_id, incoming(file("a", b"x")))
    with pytest.raises(ChatFileNotFoundError):
        await get_file(ports, user, other.chat_id, stored.file_id)
