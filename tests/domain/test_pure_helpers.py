"""Pure helpers that used to live in the services: incident numbers as typed, send backoff, response measures."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.delivery import BACKOFF_MAX, backoff
from bot.domain.model import resolve_number
from bot.domain.stats import measure

WIT = ZoneInfo("Asia/Jayapura")


@pytest.mark.parametrize(("typed", "expected"), [
    ("112-2026-00012", "112-2026-00012"), ("2025-7", "112-2025-00007"), ("12", "112-2027-00012"),
    (" 112-2026-123456 ", "112-2026-123456"), ("0", None), ("abc", None), ("", None),
])
def test_a_typed_number_resolves_to_the_full_incident_number(typed: str, expected: str | None) -> None:
    # 31 Dec 2026 16:00 UTC is already 1 Jan 2027 in Ambon: a bare sequence belongs to the WIT year.
    assert resolve_number(typed, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), WIT) == expected


def test_the_backoff_doubles_then_stops_at_its_cap_times_the_jitter() -> None:
    assert [backoff(n, 1.0) for n in range(1, 5)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff(30, 1.0) == BACKOFF_MAX.total_seconds()
    assert backoff(3, 0.8) == pytest.approx(6.4) and backoff(3, 1.2) == pytest.approx(9.6)


def test_a_measure_counts_the_share_within_the_deadline_only_where_there_is_one() -> None:
    buckets = [(1.0, 2, 2), (5.0, 1, 1), (30.0, 1, 0)]
    with_deadline = measure(buckets, has_deadline=True)
    assert (with_deadline.n, with_deadline.median, with_deadline.within) == (4, 3.0, 0.75)
    assert measure(buckets, has_deadline=False).within is None
    assert measure([], has_deadline=True) == measure([], has_deadline=False)
    assert measure([], has_deadline=True).median is None
