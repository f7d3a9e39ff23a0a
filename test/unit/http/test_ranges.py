from __future__ import annotations

import pytest

from chatkeep.http.errors import RequestError
from chatkeep.http.ranges import byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 1)),
        ("bytes=0-", (0, 100)),
        ("bytes=10-19", (10, 10)),
        ("bytes=90-1000", (90, 10)),
        ("bytes=-10", (90, 10)),
        ("bytes=-1000", (0, 100)),
        ("BYTES=0-1", (0, 2)),
        ("Bytes = 10 - 19", (10, 10)),
        ("bytes=0-1,", (0, 2)),
        ("bytes=, ,-10", (90, 10)),
        ("bytes=0-1,4-5", None),
        ("bytes=0-1,200-300", None),
        ("bytes=1 0-19", None),
        ("bytes=\u0661-2", None),
        ("items=0-1", None),
        ("bytes=5-2", None),
        ("bytes=-", None),
        ("bytes=" + ",".join(f"{i}-{i}" for i in range(5000)), None),
    ],
)
def test_single_ranges_are_served_and_others_ignored(
    header: str | None, expected: tuple[int, int] | None
) -> None:
    """One byte range gives (offset, length); anything else means the whole file."""
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    """A range past the end is range_not_satisfiable with Content-Range: bytes */size."""
    with pytest.raises(RequestError) as refused:
        byte_range(header, size)
    assert refused.value.code == "range_not_satisfiable"
    assert refused.value.headers == {"Content-Range": f"bytes */{size}"}


@pytest.mark.parametrize("header", ["bytes=-5", "bytes=-1", "BYTES=-100"])
def test_a_suffix_of_an_empty_file_is_all_of_it(header: str) -> None:
    """A non-zero suffix of an empty file is satisfiable (RFC 9110 §14.1.1): the whole,
    empty file, answered 200."""
    assert byte_range(header, 0) is None
