"""Hand-built multipart/form-data bodies, so tests control every header byte."""

from __future__ import annotations

BOUNDARY = "chatkeep-test-boundary-7f3a"


def part(disposition: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data


def file_part(filename: str, data: bytes, content_type: str | None = None) -> bytes:
    return part(f'form-data; name="file"; filename="{filename}"', data, content_type)


def body(*parts: bytes) -> bytes:
    delimiter = f"--{BOUNDARY}\r\n".encode()
    out = b"".join(delimiter + p + b"\r\n" for p in parts)
    return out + f"--{BOUNDARY}--\r\n".encode()


HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
