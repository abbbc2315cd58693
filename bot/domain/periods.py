"""Periods people ask for: /rekap, /rekap hari|minggu|bulan|tahun, /rekap 2026-01, /rekap 2026-01-05,
/rekap 2026-01-01..2026-01-15 (both days included). Times are local (WIT); the result is [start, end)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from ..i18n import Catalogue, Html

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


class PeriodError(ValueError):
    """A period that cannot be; `text(tr)` says why in the reader's language (catalogue key `period_error.*`)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key, self.params = key, params

    def text(self, tr: Catalogue) -> Html:
        return tr(f"period_error.{self.key}", **self.params)


def _tr(tr: Catalogue | None) -> Catalogue:
    return tr if tr is not None else Catalogue("id")


# Years a recap may ask about: beyond them there is no data, and 9999-12-31 has no next day to end at.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError("year_range", year=day.year, first=FIRST_YEAR, last=LAST_YEAR)
    return day


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def month_period(year: int, month: int, tz: tzinfo, tr: Catalogue | None = None) -> Period:
    """A calendar month, labelled "Januari 2026" (or in `tr`'s language)."""
    if not 1 <= month <= 12:
        raise PeriodError("no_month", month=month)
    _in_range(date(year, month, 1))
    start = _midnight(date(year, month, 1), tz)
    end = _midnight(date(year + month // 12, month % 12 + 1, 1), tz)
    return Period(start, end, _tr(tr)("period_month", month=_tr(tr)(f"month.{month}"), year=year))


def parse_period(text: str | None, now: datetime, tz: tzinfo, tr: Catalogue | None = None) -> Period:
    """`tr` labels the period in the reader's language (Indonesian when not given)."""
    tr = _tr(tr)
    word = (text or "hari").strip().lower()
    today = now.astimezone(tz).date()
    if word in ("hari", "today", "hari ini"):
        return Period(_midnight(today, tz), _midnight(today + timedelta(days=1), tz),
                      tr("period_today", date=f"{today:%d-%m-%Y}"))
    if word in ("minggu", "week", "pekan"):
        start = today - timedelta(days=6)
        return Period(_midnight(start, tz), _midnight(today + timedelta(days=1), tz),
                      tr("period_week", start=f"{start:%d-%m}", end=f"{today:%d-%m-%Y}"))
    if word in ("bulan", "month"):
        return month_period(today.year, today.month, tz, tr)
    if word in ("tahun", "year"):
        return Period(_midnight(date(today.year, 1, 1), tz), _midnight(date(today.year + 1, 1, 1), tz), str(today.year))
    try:
        if match := _MONTH.match(word):
            return month_period(int(match.group(1)), int(match.group(2)), tz, tr)
        if _YEAR.match(word):
            year = _in_range(date(int(word), 1, 1)).year
            return Period(_midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz), str(year))
        if _DAY.match(word):
            day = _in_range(date.fromisoformat(word))
            return Period(_midnight(day, tz), _midnight(day + timedelta(days=1), tz), f"{day:%d-%m-%Y}")
        if match := _RANGE.match(word):
            first = _in_range(date.fromisoformat(match.group(1)))
            last = _in_range(date.fromisoformat(match.group(2)))
            if last < first:
                raise PeriodError("end_before_start")
            return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz),
                          tr("period_range", first=f"{first:%d-%m-%Y}", last=f"{last:%d-%m-%Y}"))
    except PeriodError:
        raise
    except (ValueError, OverflowError) as exc:
        raise PeriodError("not_in_calendar", value=text) from exc
    raise PeriodError("unknown", value=text)
