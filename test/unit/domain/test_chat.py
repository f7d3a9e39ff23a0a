from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chatkeep.domain.chat import Chat, ChatAttachmentName, validate_title
from chatkeep.domain.errors import InvalidAttachmentNameError, InvalidRequestError
from test.conftest import START

BAD_NAMES = [
    "",
    ".",
    "..",
    "history.md",
    "a/b",
    "a\\b",
    "nul\x00byte",
    "tab\there",
    "line\nbreak",
    "del\x7f",
    "c1\x85control",
    "bidi\u202eoverride",
    "isolate\u2066x",
    "x" * 256,
    "é" * 128,  # 256 bytes in UTF-8
    "lone\ud800surrogate",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_attachment_name_refuses_what_the_contract_forbids(name: str) -> None:
    """Every name the contract forbids raises invalid_attachment_name."""
    with pytest.raises(InvalidAttachmentNameError) as raised:
        ChatAttachmentName(name)
    assert raised.value.code == "invalid_attachment_name"


@pytest.mark.parametrize(
    "name", ["report.pdf", "x" * 255, "é" * 127, "...", ".hidden", "History.md", "日本語.txt"]
)
def test_attachment_name_keeps_acceptable_names_exactly(name: str) -> None:
    """Acceptable names are stored exactly as given, without normalisation."""
    assert ChatAttachmentName(name).value == name


def test_attachment_name_is_not_normalised() -> None:
    """NFC and NFD spellings of one name stay two different names."""
    assert ChatAttachmentName("caf\u00e9") != ChatAttachmentName("cafe\u0301")


def test_title_longer_than_500_characters_is_refused() -> None:
    """A title of 501 characters is invalid_request; 500 is fine."""
    assert validate_title("t" * 500) == "t" * 500
    with pytest.raises(InvalidRequestError):
        validate_title("t" * 501)


def test_a_title_with_nul_is_refused() -> None:
    """A title holding NUL (U+0000), which PostgreSQL's text cannot hold, is invalid_request
    whatever the store; other control characters are kept."""
    assert validate_title("tab\there") == "tab\there"
    with pytest.raises(InvalidRequestError, match="NUL"):
        validate_title("a\x00b")


def test_touched_moves_updated_at_forward_even_on_a_stalled_clock() -> None:
    """Two writes in one clock tick still give strictly increasing updated_at."""
    chat = Chat(uuid.uuid4(), uuid.uuid4(), None, START, START)
    once = chat.touched(START)
    twice = once.touched(START)
    assert chat.updated_at < once.updated_at < twice.updated_at
    later = twice.touched(START + timedelta(hours=1))
    assert later.updated_at == START + timedelta(hours=1)
    assert later.created_at == START
