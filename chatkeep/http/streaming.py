"""Responses that stream an open file: a history or an attachment's content."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chatkeep.domain.errors import ContentChangedError
from chatkeep.http.server.zerocopy import ABORT, SENDFILE
from chatkeep.usecase.ports import FileReader

logger = logging.getLogger("chatkeep.http")


class ReaderResponse(Response):
    """Streams `length` bytes of an open reader from `offset`, and always closes it.

    It stops reading as soon as the client goes away: uvicorn silently drops what
    is sent to a closed connection, so only watching for http.disconnect tells.

    When a guarded reader's file changes while it is sent (ContentChangedError), the
    response ends without its last bytes: the connection is reset through the server's
    ABORT extension (another server drops it when the error reaches it), so a client
    never gets a complete response holding bytes of two versions (decision record 023).
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
        self._changed: ContentChangedError | None = None
        # Set verbatim: Starlette would add a charset to a stored text/* type.
        size = str(self.length)
        self.init_headers({**headers, "content-type": content_type, "content-length": size})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: sends the headers, then the reader's bytes (zero-copy when the server can); a
        ContentChangedError aborts the response rather than end it with
        another version's bytes."""
        extensions = scope.get("extensions", {})
        try:
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            try:
                await self._body(scope, receive, send)
            except ContentChangedError:
                logger.warning("%s aborted: the file changed while it was sent", scope["path"])
                abort = extensions.get(ABORT, {}).get("abort")
                if abort is None:
                    raise
                abort()
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self.reader.aclose()

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> None:
        send_file = scope.get("extensions", {}).get(SENDFILE, {}).get("send")
        fd = self.reader.fileno()
        if scope["method"] == "HEAD" or self.length == 0:
            return
        if send_file is not None and fd is not None:
            await send_file(fd, self.offset, self.length, self.reader.version_check())
            return
        async with anyio.create_task_group() as group:
            group.start_soon(self._stream, send, group.cancel_scope)
            group.start_soon(_until_disconnect, receive, group.cancel_scope)
        if self._changed is not None:
            raise self._changed

    async def _stream(self, send: Send, scope: anyio.CancelScope) -> None:
        try:
            async for chunk in self.reader.chunks(self.offset, self.length):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except ContentChangedError as changed:
            self._changed = changed  # raised outside the task group, not wrapped in a group
        scope.cancel()


async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
