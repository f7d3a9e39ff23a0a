from __future__ import annotations

from collections.abc import Mapping

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chatkeep.http.zerocopy import SENDFILE
from chatkeep.usecase.interface import FileReader


class ReaderResponse(Response):
    """Streams `length` bytes of an open reader from `offset`, and always closes it.

    It stops reading as soon as the client goes away: uvicorn silently drops what
    is sent to a closed connection, so only watching for http.disconnect tells.
    """

    def __init__(
        self,
        reader: FileReader,
        content_type: str,
        headers: Mapping[str, str],
        *,
        status_code: int = 200,
        offset: int = 0,
        length: int | None = None,
    ) -> None:
        self.reader = reader
        self.offset = offset
        self.length = reader.size_bytes - offset if length is None else length
        self.status_code = status_code
        self.background = None
        # Set verbatim: Starlette would add a charset to a stored text/* type.
        size = str(self.length)
        self.init_headers({**headers, "content-type": content_type, "content-length": size})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            send_file = scope.get("extensions", {}).get(SENDFILE, {}).get("send")
            fd = self.reader.fileno()
            if scope["method"] == "HEAD" or self.length == 0:
                pass
            elif send_file is not None and fd is not None:
                await send_file(fd, self.offset, self.length)
            else:
                async with anyio.create_task_group() as group:
                    group.start_soon(self._stream, send, group.cancel_scope)
                    group.start_soon(_until_disconnect, receive, group.cancel_scope)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self.reader.aclose()

    async def _stream(self, send: Send, scope: anyio.CancelScope) -> None:
        async for chunk in self.reader.chunks(self.offset, self.length):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        scope.cancel()


async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
