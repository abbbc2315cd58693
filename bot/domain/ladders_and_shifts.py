"""Typed escalation and shift rules, and the pure arithmetic on them (the rungs of a ladder, shift times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .rule_schemas import Duration, _Strict

ObligationKind = Literal["acknowledge", "on_scene", "update", "resolve"]
AGENCY = "agency"  # a rung addressed to the obligated agency's own group (a reminder)


# Whose silence takes a ladder rung: any agency's, only the lead agency's (routing.yaml `lead`), or only a
# supporting agency's. A rung taken sends one message per incident naming every agency silent at that rung.
RungScope = Literal["all", "lead", "supporting"]


class Rung(_Strict):
    after: Duration
    to: str
    agencies: RungScope = "all"


class Deadline(_Strict):
    within: Duration
    remind_every: Duration = timedelta(minutes=5)
    reminders: int = Field(default=0, ge=0, le=20)
    ladder: list[Rung] = Field(default_factory=list)


class Cadence(_Strict):
    every: Duration
    reminders: int = Field(default=1, ge=0, le=20)


class Policy(_Strict):
    acknowledge: Deadline
    on_scene: Deadline
    update: Cadence
    resolve: Deadline


class EscalationFile(_Strict):
    priorities: dict[str, Policy]
    categories: dict[str, Policy] = Field(default_factory=dict)


class Shift(_Strict):
    name: str
    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> object:
        if isinstance(value, str):
            return time.fromisoformat(value if len(value) > 4 else f"0{value}")
        return value


class ShiftsFile(_Strict):
    shifts: list[Shift]
    checkin_grace: Duration = timedelta(minutes=15)
    daily_recap: time = time(7, 0)

    @field_validator("daily_recap", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> object:
        return time.fromisoformat(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _covers_the_day(self) -> ShiftsFile:
        if not self.shifts:
            raise ValueError("shifts: minimal satu shift")
        for i, shift in enumerate(self.shifts):
            following = self.shifts[(i + 1) % len(self.shifts)]
            if shift.end != following.start:
                raise ValueError(f"shifts.{i}: shift {shift.name} berakhir {shift.end:%H:%M} tetapi shift berikutnya "
                                 f"({following.name}) mulai {following.start:%H:%M}; shift harus bersambung 24 jam")
        total = sum(_length(s) for s in self.shifts)
        if total != 24 * 60:
            raise ValueError(f"shifts: jumlah panjang shift {total // 60} jam {total % 60} menit, harus 24 jam")
        return self


def _length(shift: Shift) -> int:
    start, end = shift.start.hour * 60 + shift.start.minute, shift.end.hour * 60 + shift.end.minute
    return (end - start) % (24 * 60) or 24 * 60


def rungs(deadline: Deadline) -> list[tuple[timedelta, str]]:
    """Every rung of a deadline in time order: reminders to the agency, then the ladder."""
    return [(after, to) for after, to, _ in scoped_rungs(deadline)]


def scoped_rungs(deadline: Deadline) -> list[tuple[timedelta, str, RungScope]]:
    """`rungs` with whose silence takes each rung (reminders: every agency's own)."""
    reminders: list[tuple[timedelta, str, RungScope]] = [
        (deadline.within + deadline.remind_every * i, AGENCY, "all") for i in range(deadline.reminders)]
    return sorted([*reminders, *((r.after, r.to, r.agencies) for r in deadline.ladder)], key=lambda r: r[0])


def rung_taken(scope: RungScope, silent: list[str], lead: str | None) -> bool:
    """Whether a rung is sent, given the agencies silent at it and the route's lead (None: every agency leads)."""
    if not silent:
        return False
    if scope == "lead":
        return any(lead is None or key == lead for key in silent)
    if scope == "supporting":
        return any(lead is not None and key != lead for key in silent)
    return True


def cadence_rungs(cadence: Cadence) -> list[tuple[timedelta, str]]:
    return [(cadence.every * (i + 1), AGENCY) for i in range(cadence.reminders)]


@dataclass(frozen=True)
class ShiftSlot:
    name: str
    start: datetime  # aware, in the configured zone
    end: datetime


def shift_at(shifts: list[Shift], moment: datetime, tz: tzinfo) -> ShiftSlot:
    """The shift running at `moment` (a night shift started the evening before, if need be)."""
    local = moment.astimezone(tz)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for shift in shifts:
            slot = _slot(shift, day, tz)
            if slot.start <= local < slot.end:
                return slot
    raise ValueError("shifts do not cover this moment")


def _slot(shift: Shift, day: date, tz: tzinfo) -> ShiftSlot:
    start = datetime.combine(day, shift.start, tzinfo=tz)
    end_day = day if shift.end > shift.start else day + timedelta(days=1)
    return ShiftSlot(shift.name, start, datetime.combine(end_day, shift.end, tzinfo=tz))


def previous_shift(shifts: list[Shift], slot: ShiftSlot, tz: tzinfo) -> ShiftSlot:
    return shift_at(shifts, slot.start - timedelta(seconds=1), tz)
