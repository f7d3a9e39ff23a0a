from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatkeep.http.dates import format_http_date, last_modified_field, parse_http_date

NOV_6 = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_the_three_forms_are_read(value: str) -> None:
    """IMF-fixdate, rfc850-date and asctime-date all name the same time (RFC 9110 §5.6.7)."""
    assert parse_http_date(value) == NOV_6


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "0",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
        "sun, 06 nov 1994 08:49:37 gmt",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "2026-01-01T00:00:00Z",
    ],
)
def test_anything_else_is_no_date(value: str | None) -> None:
    """What is not exactly one case-sensitive HTTP-date is None, for the caller to ignore."""
    assert parse_http_date(value) is None


def test_two_digit_years_look_back_past_fifty_years_ahead() -> None:
    """An rfc850 year more than 50 years ahead is the last century's (RFC 9110 §5.6.7)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_http_date("Monday, 01-Jan-76 00:00:00 GMT", now) == datetime(
        2076, 1, 1, tzinfo=UTC
    )
    assert parse_http_date("Friday, 01-Jan-77 00:00:00 GMT", now) == datetime(
        1977, 1, 1, tzinfo=UTC
    )


def test_written_as_imf_fixdate_without_fractions() -> None:
    """Last-Modified is written as an IMF-fixdate of whole seconds."""
    assert format_http_date(NOV_6.replace(microsecond=999_999)) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_a_last_modified_is_given_only_once_its_second_is_over() -> None:
    """A version's date is sent once its second is over, and then always the same; within
    that second none is sent (a later write in it would share the date)."""
    written = datetime(2026, 11, 29, 18, 9, 20, 900_000, tzinfo=UTC)
    assert last_modified_field(written, now=written) is None
    assert last_modified_field(written, now=written.replace(microsecond=999_999)) is None
    after = [written + timedelta(seconds=s) for s in (0.1, 1, 3600)]
    dates = {last_modified_field(written, now=moment) for moment in after}
    assert dates == {"Sun, 29 Nov 2026 18:09:20 GMT"}


def test_a_date_in_the_future_is_never_given() -> None:
    """A modification time ahead of the clock (a sandbox set it, or another host's clock)
    gives no Last-Modified rather than one later than Date."""
    now = datetime(2026, 11, 29, 18, 0, 0, tzinfo=UTC)
    assert last_modified_field(now + timedelta(days=1), now=now) is None
