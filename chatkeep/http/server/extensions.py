"""The two ASGI extensions the server protocol offers the application (decision records 015
and 023): `SENDFILE`, the body of a response sent straight from an open file with
sendfile(2) (zerocopy.py), and `ABORT`, a response ended by resetting the connection before
its last byte (a file that changed while it was served)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from chatkeep.domain.errors import ContentChangedError
from chatkeep.http.observe import add_sendfile_bytes
from chatkeep.http.server.zerocopy import TransferStopped, VersionCheck, send_file

if TYPE_CHECKING:
    from chatkeep.http.server.protocol import GuardedHttpToolsProtocol


async def send_response_file(
    protocol: GuardedHttpToolsProtocol,
    cycle_ref: weakref.ref[RequestResponseCycle],
    fd: int,
    offset: int,
    count: int,
    version_check: VersionCheck | None = None,
) -> None:
    """SENDFILE: `count` bytes of `fd` from `offset` as the body of the cycle's response
    on `protocol`'s connection, counted for the access log. A client that goes away or
    stops reading ends the response (the connection reset). Raises ContentChangedError,
    the connection reset, when `version_check` finds the file moved before its last
    bytes."""
    cycle = cycle_ref()
    if cycle is None:
        return  # its request has been let go: nobody is waiting for these bytes
    try:
        sent = await send_file(
            protocol.transport, fd, offset, count, protocol.limits.send_timeout, version_check
        )
    except TransferStopped as stopped:
        add_sendfile_bytes(cycle.scope, stopped.sent)
        abort_response(protocol, cycle_ref)
        return
    except ContentChangedError:
        abort_response(protocol, cycle_ref)
        raise
    add_sendfile_bytes(cycle.scope, sent)
    cycle.expected_content_length -= sent


def abort_response(
    protocol: GuardedHttpToolsProtocol, cycle_ref: weakref.ref[RequestResponseCycle]
) -> None:
    """ABORT: reset `protocol`'s connection; the cycle's response stays unfinished and what
    it still sends is dropped."""
    cycle = cycle_ref()
    if cycle is not None:
        cycle.disconnected = True
    protocol.drop()
    protocol.transport.abort()
