"""The zero-copy sender checks a guarded file's version before its last bytes, and copies
the end of the transfer so that no sendfile'd page waits in a socket queue past the check
(decision record 023)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from chatkeep.domain.errors import ContentChangedError
from chatkeep.http.server import zerocopy

MIB = 1024 * 1024


def drain(sock: socket.socket, into: bytearray) -> threading.Thread:
    def read() -> None:
        while chunk := sock.recv(MIB):
            into.extend(chunk)

    thread = threading.Thread(target=read)
    thread.start()
    return thread


@pytest.mark.parametrize("current", [True, False], ids=["unchanged", "changed"])
def test_the_last_piece_goes_out_only_if_the_version_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, current: bool
) -> None:
    """With a version check, the bytes before the copied end go with sendfile, the end is
    read and sent in pieces, and the check runs before the last piece: it holds, every
    byte arrives; it fails, ContentChangedError and the last piece never leaves."""
    monkeypatch.setattr(zerocopy, "copied_end_bytes", lambda: 3 * MIB)
    path = tmp_path / "f"
    path.write_bytes(os.urandom(8 * MIB))
    sender, receiver = socket.socketpair()
    sender.setblocking(False)
    received = bytearray()
    reader = drain(receiver, received)
    checked: list[int] = []

    def version_check(fd: int) -> bool:
        checked.append(os.fstat(fd).st_size)
        return current

    fd = os.open(path, os.O_RDONLY)
    try:
        arguments = (os.dup(sender.fileno()), os.dup(fd), 0, 8 * MIB, 5.0, threading.Event())
        if current:
            assert zerocopy._send(*arguments, version_check) == 8 * MIB
        else:
            with pytest.raises(ContentChangedError):
                zerocopy._send(*arguments, version_check)
    finally:
        os.close(fd)
        sender.shutdown(socket.SHUT_WR)
        sender.close()
        reader.join()
        receiver.close()
    assert checked == [8 * MIB]
    expected = path.read_bytes() if current else path.read_bytes()[: 7 * MIB]
    assert bytes(received) == expected


def test_the_copied_end_covers_the_socket_queues() -> None:
    """The copied end is the kernel's largest send queue, plus the largest receive queue a
    local client can have, plus one piece (36 MiB and 1 here, with tcp_rmem's 32 MiB)."""
    wmem = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    rmem = int(Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[2])
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    expected = wmem + max(rmem, 2 * rmem_max) + zerocopy.COPY_CHUNK_BYTES
    assert zerocopy.copied_end_bytes() == expected
