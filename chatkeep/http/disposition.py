"""Content-Disposition: reading a multipart part's, writing a download's (RFC 6266)."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

from chatkeep.domain.errors import InvalidAttachmentNameError

# One parameter: a token key, then a token or a quoted string (RFC 9110, section 5.6).
_PARAMETER = re.compile(
    r";\s*(?P<key>[!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^;\s]*))\s*',
    re.DOTALL,
)
_EXT_VALUE = re.compile(r"(?P<charset>[^']*)'[^']*'(?P<value>.*)", re.DOTALL)


def parse_parameters(value: str) -> dict[str, str]:
    """Parameters after the disposition type, keys lower-cased; the last of a key wins."""
    start = value.find(";")
    parameters: dict[str, str] = {}
    if start < 0:
        return parameters
    for match in _PARAMETER.finditer(value, start):
        raw = match.group("quoted")
        text = re.sub(r"\\(.)", r"\1", raw) if raw is not None else match.group("token")
        parameters[match.group("key").lower()] = text
    return parameters


def part_filename(parameters: dict[str, str]) -> str | None:
    """The filename: `filename*` (RFC 8187) wins over `filename`; None when neither is there.

    Header bytes arrive as latin-1 text: a plain filename is re-read as UTF-8,
    an extended one is percent-decoded in its declared charset.
    """
    extended = parameters.get("filename*")
    if extended is not None:
        match = _EXT_VALUE.fullmatch(extended)
        if match is None:
            raise InvalidAttachmentNameError("filename* is not of the form charset''value")
        return _decode(unquote_to_bytes(match.group("value")), match.group("charset") or "utf-8")
    plain = parameters.get("filename")
    return None if plain is None else _decode(plain.encode("latin-1"), "utf-8")


def _decode(raw: bytes, charset: str) -> str:
    # Any codec name reaches the codec registry: besides UnicodeDecodeError, some codecs
    # raise a bare UnicodeError ('undefined', 'idna') and a name with NUL a ValueError;
    # both are ValueErrors. The header line bounds the charset's length (8 KiB).
    try:
        return raw.decode(charset)
    except (ValueError, LookupError):
        shown = charset if len(charset) <= 40 else charset[:40] + "..."
        raise InvalidAttachmentNameError(f"the file name is not valid {shown!r}") from None


def attachment_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the exact name as UTF-8 (RFC 6266, 8187).

    Names hold no control characters, and both forms are quoted or percent-encoded,
    so a name can never end the header or add a parameter.
    """
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
