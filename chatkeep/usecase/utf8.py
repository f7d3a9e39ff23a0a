from __future__ import annotations

import codecs
from collections.abc import AsyncIterator

from chatkeep.domain.errors import InvalidHistoryError


async def utf8_checked(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass the chunks through; raise invalid_history at the first byte that is not UTF-8.

    The decoder keeps a character split across chunks, and the final call catches
    a body that ends in the middle of one.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        async for chunk in chunks:
            decoder.decode(chunk)
            offset += len(chunk)
            yield chunk
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise InvalidHistoryError(
            f"the body is not valid UTF-8 (near byte {offset + error.start}); "
            "the history is unchanged"
        ) from None
