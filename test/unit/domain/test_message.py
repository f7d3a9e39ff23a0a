"""The message block format: what it looks like, and what it takes for a block to count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatkeep.domain.errors import InvalidHistoryError
from chatkeep.domain.message import Message, block_at, end_marker_at, render_block

AT = datetime(2026, 11, 27, 14, 0, 0, 123456, tzinfo=UTC)


def test_a_block_reads_as_markdown_with_the_role_as_heading() -> None:
    """A block is a hidden start marker, the role as a heading, the content, an end marker."""
    block = render_block(Message(3, "assistant", "Hello **there**", AT))
    assert block == (
        b"<!-- chatkeep:message seq=3 role=assistant bytes=15 "
        b"created_at=2026-11-27T14:00:00.123456+00:00 -->\n"
        b"### assistant\n\nHello **there**\n"
        b"<!-- chatkeep:end seq=3 offset=131 -->\n"
    )
    end = block.rindex(b"<!-- chatkeep:end")
    assert end == 131


def test_the_end_marker_leads_back_to_the_block() -> None:
    """From the end marker's seq and offset, the start is found and checked."""
    block = b"free text\n" + render_block(Message(7, "user", "hi", AT))
    end = block.rindex(b"<!-- chatkeep:end")
    seq, offset = end_marker_at(block, end) or (0, 0)
    ref = block_at(block[end - offset :], end - offset, seq, offset)
    assert ref is not None
    assert (ref.seq, ref.role, ref.created_at) == (7, "user", AT)
    assert block[ref.content_start : ref.content_start + ref.content_bytes] == b"hi"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.replace(b"seq=7 role", b"seq=8 role"),
        lambda b: b.replace(b"### user", b"### tool"),
        lambda b: b.replace(b"bytes=2 ", b"bytes=3 "),
        lambda b: b.replace(b"+00:00", b"      "),
    ],
    ids=["seq", "heading", "length", "timestamp"],
)
def test_a_start_that_disagrees_with_its_end_is_no_block(tamper: object) -> None:
    """A start marker that disagrees with its end marker in any detail is not a block."""
    block = tamper(render_block(Message(7, "user", "hi", AT)))  # type: ignore[operator]
    end = block.rindex(b"<!-- chatkeep:end")
    marker = end_marker_at(block, end)
    assert marker is not None
    assert block_at(block[end - marker[1] :], end - marker[1], *marker) is None


def test_content_that_is_not_utf8_is_refused() -> None:
    """A lone surrogate cannot be written as UTF-8: invalid_history."""
    with pytest.raises(InvalidHistoryError):
        render_block(Message(1, "user", "a\ud800b", AT))
