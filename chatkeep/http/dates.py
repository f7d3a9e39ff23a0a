"""HTTP-dates (RFC 9110 §5.6.7): read in the three forms a recipient must accept, written
in the preferred one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(?P<month>" + "|".join(_MONTHS) + ")"
_2 = "[0-9][0-9]"
_TIME = rf"(?P<hour>{_2}):(?P<minute>{_2}):(?P<second>{_2})"
_DAY_NAME = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY_NAME = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_FORMS = (
    # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    re.compile(rf"{_DAY_NAME}, (?P<day>{_2}) {_MONTH} (?P<year>{_2}{_2}) {_TIME} GMT"),
    # rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
    re.compile(rf"{_LONG_DAY_NAME}, (?P<day>{_2})-{_MONTH}-(?P<year>{_2}) {_TIME} GMT"),
    # asctime-date: Sun Nov  6 08:49:37 1994
    re.compile(rf"{_DAY_NAME} {_MONTH} (?P<day>[ 0-9][0-9]) {_TIME} (?P<year>{_2}{_2})"),
)


def parse_http_date(value: str | None, now: datetime | None = None) -> datetime | None:
    """The UTC time an HTTP-date names, or None when `value` is missing or is not exactly
    one HTTP-date (RFC 9110 §13.1.3 and §13.1.4 say to ignore such a field then).

    A two-digit year more than 50 years ahead of `now` (default: the current time) is
    taken as the most recent past year with those digits (§5.6.7). A leap second (60)
    reads as 59: HTTP-dates compare at whole seconds and Python's times have no 60.
    """
    if value is None:
        return None
    text = value.strip(" \t")
    for form in _FORMS:
        match = form.fullmatch(text)
        if match is not None:
            break
    else:
        return None
    fields = match.groupdict()
    year = int(fields["year"])
    if len(fields["year"]) == 2:
        current = (now or datetime.now(UTC)).year
        year += current - current % 100
        if year > current + 50:
            year -= 100
    try:
        return datetime(
            year,
            _MONTHS.index(fields["month"]) + 1,
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            min(int(fields["second"]), 59),
            tzinfo=UTC,
        )
    except ValueError:  # 31 Feb, hour 25, ...
        return None


def format_http_date(moment: datetime) -> str:
    """`moment` as an IMF-fixdate (RFC 9110 §5.6.7), e.g. 'Sun, 06 Nov 1994 08:49:37 GMT';
    fractions of a second are dropped."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def last_modified_field(moment: datetime, now: datetime | None = None) -> str | None:
    """The Last-Modified field of a representation last modified at `moment`: its
    IMF-fixdate once that second is over at `now` (default: the clock); None, and no field
    sent, while it is not (decision record 019).

    Within its second a version's date cannot be given out: a later write in the same
    second would have the same date, and If-Modified-Since would take it for unmodified;
    and uvicorn's Date, refreshed once a second, could still name the second before
    (RFC 9110 §8.8.2.1: never later than Date). Sending the second before instead made
    the field depend on when it was asked: two replicas, or one replica a second apart,
    gave two dates for one version (contract 1.1, "Replicas on a distributed
    filesystem"). Omitted, the ETag alone validates for that second, and every date sent
    for a version is the same. Preconditions are still decided on the file's own second.
    """
    current = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if moment.astimezone(UTC).replace(microsecond=0) >= current:
        return None
    return format_http_date(moment)
