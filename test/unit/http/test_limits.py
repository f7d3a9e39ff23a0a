from __future__ import annotations

import pytest

from chatkeep.http.errors import RequestError
from chatkeep.http.limits import bounded_integers, header_integer, media_type

MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("8000", 8000), ("007", 7), (str(MAX), MAX)]
)
def test_header_integers_up_to_the_stores_maximum_are_read(value: str, expected: int) -> None:
    """ASCII digits up to 2**63-1 are a Content-Length."""
    assert header_integer(value, "Content-Length") == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "invalid_request"),
        ("-1", "invalid_request"),
        ("1.0", "invalid_request"),
        ("\u00b2", "invalid_request"),  # str.isdigit() says yes, int() says no
        ("\u0663", "invalid_request"),  # an Arabic-Indic digit, which int() would take
        (str(MAX + 1), "request_too_large"),
        ("0" * 20, "request_too_large"),
        ("1" * 5000, "request_too_large"),  # int() refuses over 4,300 digits
    ],
)
def test_header_integers_past_their_limits_are_refused(value: str, code: str) -> None:
    """Anything but ASCII digits is 400; past 2**63-1, or over 19 digits, 413."""
    with pytest.raises(RequestError) as refused:
        header_integer(value, "Content-Length")
    assert refused.value.code == code


@pytest.mark.parametrize(
    "value", [None, "bytes=0-99", f"bytes=0-{MAX}", "bytes=-5", "items=a-b", "bytes=1-2,3-4"]
)
def test_headers_with_integers_in_bounds_pass_unchanged(value: str | None) -> None:
    """A Range whose numbers the stores hold is left as it is, for its own parser."""
    assert bounded_integers(value, "Range") == value


@pytest.mark.parametrize(
    "value", [f"bytes={MAX + 1}-", "bytes=0-" + "9" * 5000, "bytes=" + "0" * 20 + "1-"]
)
def test_headers_with_integers_past_the_bound_are_400(value: str) -> None:
    """A number past 2**63-1 or over 19 digits, leading zeros included, is 400."""
    with pytest.raises(RequestError) as refused:
        bounded_integers(value, "Range")
    assert refused.value.code == "invalid_request"


def test_media_types_are_parsed_up_to_255_characters() -> None:
    """A Content-Type of 255 characters is parsed; one of 256 is 400."""
    boundary = "b" * (255 - len("multipart/form-data; boundary="))
    parsed = media_type(f"multipart/form-data; boundary={boundary}")
    assert parsed == (b"multipart/form-data", {b"boundary": boundary.encode()})
    with pytest.raises(RequestError) as refused:
        media_type(f"multipart/form-data; boundary={boundary}b")
    assert refused.value.code == "invalid_request"
    assert media_type(None) == (b"", {})
