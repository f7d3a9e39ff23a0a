"""Conditional reads (RFC 9110 §13.2.2): whether a GET or HEAD sends the file it opened."""

from __future__ import annotations

from dataclasses import dataclass

from chatkeep.domain.conditions import Preconditions, Representation
from chatkeep.usecase.ports import FileReader


@dataclass(frozen=True, slots=True)
class ConditionalRead:
    """An open file and what the request's preconditions decided about it. `send` False:
    the client's copy is current (304 Not Modified) and `reader` is already closed, its
    validators still readable. `range_applies`: a Range may be honoured (If-Range, §13.1.5)."""

    reader: FileReader
    send: bool
    range_applies: bool

    @property
    def representation(self) -> Representation:
        """The opened file's validators, as preconditions compare them."""
        return Representation(self.reader.etag, self.reader.last_modified)


async def decide(reader: FileReader, preconditions: Preconditions | None) -> ConditionalRead:
    """Evaluate `preconditions` against the file `reader` opened; on a failed If-Match or
    If-Unmodified-Since, close it and raise PreconditionFailedError (412)."""
    read = ConditionalRead(reader, send=True, range_applies=True)
    if preconditions is None:
        return read
    try:
        send = preconditions.select(read.representation)
    except BaseException:
        await reader.aclose()
        raise
    if not send:
        await reader.aclose()
    return ConditionalRead(reader, send, preconditions.range_applies(read.representation))
