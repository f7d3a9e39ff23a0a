from __future__ import annotations

from urllib.parse import unquote

import pytest

from chatkeep.domain.errors import InvalidAttachmentNameError
from chatkeep.http.disposition import attachment_disposition, parse_parameters, part_filename


def filename_of(header: str) -> str | None:
    return part_filename(parse_parameters(header))


def test_plain_and_quoted_parameters() -> None:
    """Quoted strings may hold ';' and escaped quotes; keys are case-insensitive."""
    parameters = parse_parameters('form-data; NAME="file"; filename="a \\"b\\"; c.txt"')
    assert parameters == {"name": "file", "filename": 'a "b"; c.txt'}


def test_extended_filename_wins_over_plain() -> None:
    """filename* (RFC 8187) wins over filename, in either order."""
    assert filename_of("form-data; filename=\"x.txt\"; filename*=UTF-8''%E2%82%AC.txt") == "€.txt"
    assert filename_of("form-data; filename*=utf-8''%C3%A9; filename=\"x\"") == "é"


def test_extended_filename_in_another_charset() -> None:
    """An ISO-8859-1 filename* is decoded in that charset."""
    assert filename_of("form-data; filename*=iso-8859-1'fr'%E9t%E9.txt") == "été.txt"


def test_raw_utf8_bytes_in_plain_filename() -> None:
    """Header bytes arrive as latin-1 text; a plain filename is re-read as UTF-8."""
    header = 'form-data; filename="日本.txt"'.encode().decode("latin-1")
    assert filename_of(header) == "日本.txt"


@pytest.mark.parametrize(
    "header",
    [
        "form-data; filename*=UTF-8''%FF",
        "form-data; filename*=nope",
        'form-data; filename="\xff"',
        "form-data; filename*=undefined''abc",
        "form-data; filename*=idna''xn--a",
        "form-data; filename*=a\x00b''abc",
        "form-data; filename*=" + "u" * 5000 + "''abc",
    ],
)
def test_undecodable_filename_is_an_invalid_name(header: str) -> None:
    """A filename that does not decode is invalid_attachment_name, never replaced silently,
    whatever the charset does: the 'undefined' and 'idna' codecs raise a bare UnicodeError,
    a charset with NUL a ValueError (both answered 500)."""
    with pytest.raises(InvalidAttachmentNameError):
        filename_of(header)


def test_no_filename_is_none() -> None:
    """A part without filename parameters has no filename."""
    assert filename_of('form-data; name="file"') is None


@pytest.mark.parametrize("name", ['quote".txt', "semi;colon", "€ ünïcode.pdf", "back\\slash"])
def test_download_disposition_cannot_be_broken_out_of(name: str) -> None:
    """The download header keeps one filename and one filename*, whatever the name holds."""
    header = attachment_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback, extended = header.split("; filename*=UTF-8''")
    assert fallback.count('"') == 2
    assert "\\" not in fallback
    assert ";" not in extended
    assert unquote(extended) == name
