"""The call log (pure): kinds of call, the one-line `/panggilan iseng 0812… catatan`, the time a call came in,
a number's recent history, and calls side by side with reports in the statistics."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from ..i18n import Catalogue, Html
from ..i18n.text import fit
from . import histogram
from .histogram import Buckets
from .parsing import CLOCK, normalise_phone, valid_call_time
from .places import normalise
from .privacy import show_phone


class CallKind(StrEnum):
    """What a call was (the values are stored). A report filed with /lapor is a call of kind DARURAT."""

    DARURAT = "darurat"
    ISENG = "iseng"
    DIAM = "diam"
    INFO = "info"
    SALAH_SAMBUNG = "salah_sambung"
    TERPUTUS = "terputus"
    UJI = "uji"
    JENAZAH = "jenazah_luar_sop"
    LAINNYA = "lainnya"


# The kinds a call taker picks on /panggilan's keyboard, in its order (a report is filed with /lapor instead).
PICKABLE = (CallKind.ISENG, CallKind.DIAM, CallKind.INFO, CallKind.SALAH_SAMBUNG, CallKind.TERPUTUS, CallKind.UJI,
            CallKind.JENAZAH, CallKind.LAINNYA)
# Calls that waste the line: a number with these is flagged, and repeat numbers go to the supervisors weekly.
NUISANCE = frozenset({CallKind.ISENG, CallKind.DIAM})
# Words a call taker types for a kind (input vocabulary, Indonesian and English).
KIND_WORDS: dict[str, CallKind] = {
    "iseng": CallKind.ISENG, "prank": CallKind.ISENG, "palsu": CallKind.ISENG,
    "diam": CallKind.DIAM, "silent": CallKind.DIAM, "hening": CallKind.DIAM,
    "info": CallKind.INFO, "informasi": CallKind.INFO, "tanya": CallKind.INFO,
    "salah": CallKind.SALAH_SAMBUNG, "salah sambung": CallKind.SALAH_SAMBUNG, "salah_sambung": CallKind.SALAH_SAMBUNG,
    "wrong": CallKind.SALAH_SAMBUNG, "terputus": CallKind.TERPUTUS, "putus": CallKind.TERPUTUS,
    "dropped": CallKind.TERPUTUS, "uji": CallKind.UJI, "tes": CallKind.UJI, "test": CallKind.UJI,
    "jenazah": CallKind.JENAZAH, "hearse": CallKind.JENAZAH, "lainnya": CallKind.LAINNYA, "lain": CallKind.LAINNYA,
    "other": CallKind.LAINNYA,
}
# Short codes of the kinds in callback data (k1:<code>:<ref>).
KIND_CODES: dict[str, CallKind] = {"isg": CallKind.ISENG, "dim": CallKind.DIAM, "inf": CallKind.INFO,
                                   "sal": CallKind.SALAH_SAMBUNG, "pts": CallKind.TERPUTUS, "uji": CallKind.UJI,
                                   "jnz": CallKind.JENAZAH, "lain": CallKind.LAINNYA}
CODE_OF = {kind: code for code, kind in KIND_CODES.items()}
NOTE_MAX = 500
HISTORY_WINDOW = timedelta(days=30)
_PHONE_TOKEN = re.compile(r"^\+?[\d().\-]+$")


def kind_of(word: str) -> CallKind | None:
    return KIND_WORDS.get(normalise(word)) or KIND_WORDS.get(word.strip().lower())


@dataclass(frozen=True)
class PhoneAndNote:
    phone: str | None       # E.164
    bad_phone: str | None   # digits typed that are no number
    note: str | None


def phone_and_note(text: str) -> PhoneAndNote:
    """'0812 3456 7890 anak-anak tertawa' -> the number and the note. Leading number-like words are the phone;
    a number that cannot be one is reported (and kept in the note, so nothing typed is lost)."""
    words = text.split()
    digits: list[str] = []
    for word in words:
        if not _PHONE_TOKEN.match(word) or sum(c.isdigit() for c in word) == 0:
            break
        digits.append(word)
    rest = " ".join(words[len(digits):]).strip()
    if not digits:
        return PhoneAndNote(None, None, _note(rest))
    typed = " ".join(digits)
    phone = normalise_phone(typed)
    if phone is None:
        return PhoneAndNote(None, typed, _note(text.strip()))
    return PhoneAndNote(phone, None, _note(rest))


def _note(text: str) -> str | None:
    text = " ".join(text.split())
    return text[:NOTE_MAX] or None


@dataclass(frozen=True)
class CallLine:
    """`/panggilan <jenis> [telepon] [catatan]` read."""

    kind: CallKind
    phone: str | None
    note: str | None


@dataclass(frozen=True)
class CallLineProblem:
    key: str     # catalogue key: call_bad_kind | call_bad_phone
    value: str


def parse_call_line(text: str) -> CallLine | CallLineProblem:
    """The words after /panggilan: a kind ('salah sambung' may be two words), then an optional phone and note."""
    words = text.split()
    kind, used = None, 0
    if len(words) >= 2:
        kind, used = kind_of(" ".join(words[:2])), 2
    if kind is None and words:
        kind, used = kind_of(words[0]), 1
    if kind is None or kind == CallKind.DARURAT:
        return CallLineProblem("call_bad_kind", words[0] if words else "")
    rest = phone_and_note(" ".join(words[used:]))
    if rest.bad_phone:
        return CallLineProblem("call_bad_phone", rest.bad_phone)
    return CallLine(kind, rest.phone, rest.note)


def call_time(text: str | None, now: datetime, tz: tzinfo, fallback: datetime) -> datetime:
    """When the call came in: the typed WIT time (the latest such moment not after now, at most a day back when
    only the clock is given); the fallback when nothing usable was typed or it lies in the future."""
    match = CLOCK.match(text or "")
    if not match or not valid_call_time(text or ""):
        return fallback
    day, month, year, hour, minute = match.groups()
    local = now.astimezone(tz)
    try:
        moment = local.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
        if day is not None:
            moment = moment.replace(year=int(year) if year else local.year, month=int(month), day=int(day))
        elif moment > local:
            moment -= timedelta(days=1)
    except ValueError:  # 31-02
        return fallback
    return fallback if moment > local else moment


# a number's history ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PastCall:
    called_at: datetime
    kind: str  # a CallKind
    note: str | None = None
    number: str | None = None  # the report it became


@dataclass(frozen=True)
class History:
    """A number's earlier calls in a window: how many of each kind (the most first; among equals, the kind called
    most recently), when the last came, and — where they were read one by one (/nomor) — the calls themselves,
    newest first."""

    kinds: list[tuple[str, int]]
    last: datetime | None
    days: int
    calls: list[PastCall] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.kinds)

    @property
    def nuisance(self) -> int:
        return sum(n for k, n in self.kinds if k in NUISANCE)


def history_of(calls: list[PastCall], now: datetime, window: timedelta = HISTORY_WINDOW) -> History:
    recent = sorted((c for c in calls if now - window <= c.called_at <= now), key=lambda c: c.called_at,
                    reverse=True)
    counts = Counter(c.kind for c in recent)
    newest: dict[str, datetime] = {}
    for c in recent:
        newest.setdefault(c.kind, c.called_at)
    return counted_history([(k, n, newest[k]) for k, n in counts.items()], window, recent)


def counted_history(kinds: list[tuple[str, int, datetime]], window: timedelta = HISTORY_WINDOW,
                    calls: list[PastCall] | None = None) -> History:
    """A History from (kind, how many, the latest) per kind: the calls counted by the database, not read."""
    ordered = sorted(kinds, key=lambda k: (-k[1], -k[2].timestamp(), k[0]))
    return History([(k, n) for k, n, _ in ordered], max((k[2] for k in kinds), default=None), window.days,
                   calls or [])


def kind_label(kind: str, tr: Catalogue) -> Html:
    return tr(f"call_kind.{kind}") if tr.has(f"call_kind.{kind}") else tr("call_kind.lainnya")


def _when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d-%m %H.%M")


def history_line(history: History, tr: Catalogue, tz: tzinfo) -> Html | None:
    """'⚠️ 3 panggilan iseng dalam 30 hari, terakhir 12-11 21.04' for the call taker; None for a new number."""
    if history.last is None:  # no call at all
        return None
    items = ", ".join(f"{n} {kind_label(k, tr)}" for k, n in history.kinds)
    last = _when(history.last, tz)
    key = "call_history_warn" if history.nuisance else "call_history_info"
    return tr(key, items=Html(items), days=history.days, last=last)


def history_text(phone_shown: str, history: History, tr: Catalogue, tz: tzinfo, limit: int = 15) -> Html:
    """/nomor: the summary line and the latest calls, one a line."""
    head = history_line(history, tr, tz) or tr("call_history_none", days=history.days)
    lines = [tr("nomor_title", phone=phone_shown), head]
    for c in history.calls[:limit]:
        lines.append(tr("nomor_line", time=_when(c.called_at, tz), kind=kind_label(c.kind, tr),
                        number=f" {c.number}" if c.number else "", note=f" — {c.note}" if c.note else ""))
    if history.total > limit:
        lines.append(tr("nomor_more", count=history.total - limit))
    return Html(fit("\n".join(lines)))


def logged_text(kind: str, called_at: datetime, phone: str | None, note: str | None, history: History | None,
                details_open: bool, tr: Catalogue, tz: tzinfo) -> Html:
    """The call taker's answer: '📞 Panggilan iseng dicatat (12-11 21.04) · 0812-… · catatan', the number's history,
    that nothing was posted, and (after a tap) how to add the phone and a note. For the call center only."""
    parts = [tr("call_logged", kind=kind_label(kind, tr), time=_when(called_at, tz))]
    if phone:
        parts.append(tr("call_logged_phone", phone=show_phone(phone)))
    if note:
        parts.append(tr("call_logged_note", note=note))
    lines = [" · ".join(parts)]
    if history is not None:
        lines.append(history_line(history, tr, tz) or tr("call_history_new"))
    lines.append(tr("call_not_posted"))
    if details_open:
        lines.append(tr("call_details_hint"))
    return Html(fit("\n".join(lines)))


# repeat nuisance numbers (the supervisors' weekly list) -----------------------------------------------------------
@dataclass(frozen=True)
class RepeatNumber:
    phone: str
    count: int
    last: datetime


def repeat_numbers(rows: list[tuple[str, int, datetime]], at_least: int = 2) -> list[RepeatNumber]:
    """(phone, nuisance calls, last) -> the numbers with at least `at_least`, most first."""
    found = [RepeatNumber(p, n, last) for p, n, last in rows if n >= at_least]
    return sorted(found, key=lambda r: (-r.count, -r.last.timestamp(), r.phone))


# calls in the statistics ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallStats:
    total: int
    by_kind: list[tuple[str, int]]  # every kind with calls, most first
    to_report: Buckets  # from the call coming in to the report being filed, per report (histogram.py)

    @property
    def nuisance(self) -> int:
        return sum(n for k, n in self.by_kind if k in NUISANCE)

    @property
    def prank_share(self) -> float | None:
        prank = sum(n for k, n in self.by_kind if k == CallKind.ISENG)
        return prank / self.total if self.total else None

    @property
    def to_report_count(self) -> int:
        return sum(n for _, n, _ in self.to_report)

    @property
    def to_report_median(self) -> float | None:
        return histogram.quantile(self.to_report, 0.5)

    @property
    def to_report_p90(self) -> float | None:
        return histogram.quantile(self.to_report, 0.9)


def call_stats(by_kind: dict[str, int], to_report_seconds: list[float] | None = None,
               to_report: Buckets | None = None) -> CallStats:
    """From the counts per kind and the durations from call to report (seconds, or already as buckets)."""
    counts = sorted(((k, n) for k, n in by_kind.items() if n), key=lambda kv: (-kv[1], kv[0]))
    buckets = to_report if to_report is not None else histogram.of_seconds(to_report_seconds or [])
    return CallStats(sum(n for _, n in counts), counts, sorted(buckets))


def quantile(values: list[float], q: float) -> float | None:
    """The inclusive-method quantile (as the agencies' response times in stats.py)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
