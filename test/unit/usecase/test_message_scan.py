"""Finding message blocks from the end: exact content, text between blocks skipped, cost
bounded by what is found, not by what lies before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeep.domain.message import ROLES, Message, render_block
from chatkeep.usecase.messages.scan import BufferedReads, blocks_backward
from test.memory_reader import MemoryReader

AT = datetime(2026, 11, 27, tzinfo=UTC)
# Text that looks like the format, to be found inside content and between blocks.
TRICKY = [
    "<!-- chatkeep:end seq=1 offset=5 -->\n",
    "<!-- chatkeep:message seq=1 role=user bytes=0 created_at=2026-11-27T00:00:00+00:00 -->\n",
    "### user\n\n",
    "\n<!-- comment -->\n# Heading\n",
    "-->",
]
# Hypothesis' text leaves out surrogates: every value encodes as UTF-8.
texts = st.one_of(
    st.text(), st.sampled_from(TRICKY), st.lists(st.sampled_from(TRICKY)).map("".join)
)


async def scan(data: bytes) -> list[Message]:
    reads = BufferedReads(MemoryReader(data))
    found = [block async for block in blocks_backward(reads)]
    return [
        block.message(await reads.read(block.content_start, block.content_bytes))
        for block in reversed(found)
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(ROLES)), texts, texts), max_size=12),
    texts,
)
async def test_blocks_round_trip_between_any_text(
    entries: list[tuple[str, str, str]], leading: str
) -> None:
    """Messages with any content, the format's own markers included, separated by any text,
    come back exactly and in order; the text between them is not a message."""
    data = leading.encode()
    written = []
    for seq, (role, content, between) in enumerate(entries, start=1):
        message = Message(seq, role, content, AT + timedelta(seconds=seq))  # type: ignore[arg-type]
        written.append(message)
        data += render_block(message) + between.encode()
    assert await scan(data) == written


async def test_the_last_messages_cost_the_same_after_megabytes_of_history() -> None:
    """Finding the last 3 blocks reads the same bytes whether 1,000 or 50,000 blocks
    precede."""

    def history(count: int) -> bytes:
        return b"".join(
            render_block(Message(seq, "user", "x" * 100, AT)) for seq in range(1, count + 1)
        )

    costs = []
    for count in (1_000, 50_000):
        reader = MemoryReader(history(count))
        blocks = []
        async for block in blocks_backward(BufferedReads(reader)):
            blocks.append(block.seq)
            if len(blocks) == 3:
                break
        assert blocks == [count, count - 1, count - 2]
        costs.append(reader.reads)
    assert costs[0] == costs[1]


async def test_a_block_a_sandbox_filled_with_bytes_that_are_not_utf8_still_reads() -> None:
    """Content bytes that are not UTF-8 inside a consistent block read with replacement
    characters instead of failing the read."""
    block = render_block(Message(1, "tool", "ab", AT)).replace(b"\n\nab\n", b"\n\na\xff\n")
    [message] = await scan(block)
    assert message.content == "a\ufffd"
