from __future__ import annotations

from collections.abc import Mapping

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chatkeep.usecase.interface import HistoryReader


class ReaderResponse(Response):
    """Streams an open reader and always closes it; stops reading when the client leaves."""

    def __init__(
        self, reader: HistoryReader, size: int, media_type: str, headers: Mapping[str, str]
    ) -> None:
        self.reader = reader
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers({**headers, "content-length": str(size)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if scope["method"] != "HEAD":
                async with anyio.create_task_group() as group:

                    async def stream() -> None:
                        async for chunk in self.reader.chunks():
                            await send(
                                {"type": "http.response.body", "body": chunk, "more_body": True}
                            )
                        group.cancel_scope.cancel()

                    async def watch() -> None:
                        while (await receive())["type"] != "http.disconnect":
                            pass
                        group.cancel_scope.cancel()

                    group.start_soon(stream)
                    group.start_soon(watch)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self.reader.aclose()
