"""Statistics roll-ups (pure): what one incident, with its agencies and the calls that led to it, and what one call
adds to the per-day counts and response-time histograms. The database keeps the sums per WIT day; a change is
written as (its contribution after) minus (its contribution before), in the transaction of the change, so the
sums always equal what the incidents and calls themselves say (`sigap112 stats rebuild` recomputes them)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from .histogram import bucket
from .stats import MEASURES

# Count dimensions: the key of each is built by the functions below, and read back by services/stats.py.
SUBTYPE, PLACE, OUTCOME, OPEN, VILLAGE, CALL, TARGETS = "subtype", "place", "outcome", "open", "village", "call", \
    "targets"
CALL_TO_REPORT = "call_to_report"  # a response measure with no agency ("")
SEP = "|"

# Per step: the deadline in seconds by priority, and by category where the rules set one for it.
Deadlines = dict[str, tuple[dict[str, float], dict[str, float]]]
CountKey = tuple[date, str, str]             # day, dimension, key
ResponseKey = tuple[date, str, str, int]     # day, agency, measure, bucket start (seconds)


@dataclass(frozen=True)
class Policy:
    """What a contribution depends on besides the rows: the day's time zone and the rules' deadlines."""

    tz: tzinfo
    deadlines: Deadlines

    def fingerprint(self) -> str:
        """Changes when the sums must be rebuilt (another time zone, other deadlines)."""
        text = json.dumps([str(self.tz), self.deadlines], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def due(self, step: str, priority: str, category: str) -> float:
        by_priority, by_category = self.deadlines[step]
        return by_category[category] if category in by_category else by_priority.get(priority, 0)


@dataclass(frozen=True)
class IncidentFacts:
    created_at: datetime
    category: str
    subtype: str | None
    priority: str
    kecamatan: str | None
    outside_city: bool
    village: str | None
    outcome: str | None
    status: str


@dataclass(frozen=True)
class TargetFacts:
    agency: str
    acknowledged_at: datetime | None
    claimed_at: datetime | None
    arrived_at: datetime | None
    done_at: datetime | None


@dataclass
class Tally:
    counts: Counter[CountKey] = field(default_factory=Counter)
    response: Counter[ResponseKey] = field(default_factory=Counter)
    inside: Counter[ResponseKey] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.response.update(other.response)
        self.inside.update(other.inside)

    def minus(self, other: Tally) -> Tally:
        """self − other, keeping negative counts; entries that cancel out are dropped."""
        out = Tally(Counter(self.counts), Counter(self.response), Counter(self.inside))
        out.counts.subtract(other.counts)
        out.response.subtract(other.response)
        out.inside.subtract(other.inside)
        return out.nonzero()

    def nonzero(self) -> Tally:
        keys = {k for k in (*self.response, *self.inside) if self.response[k] or self.inside[k]}
        return Tally(Counter({k: n for k, n in self.counts.items() if n}),
                     Counter({k: self.response[k] for k in keys}), Counter({k: self.inside[k] for k in keys}))

    def __bool__(self) -> bool:
        return any(self.counts.values()) or any(self.response.values()) or any(self.inside.values())


def subtype_key(category: str, subtype: str | None) -> str:
    return f"{category}{SEP}{subtype or ''}"


def place_key(kecamatan: str | None, outside: bool) -> str:
    return f"{kecamatan or ''}{SEP}{int(bool(outside))}"


def split_key(key: str) -> tuple[str, str]:
    first, _, second = key.rpartition(SEP)
    return first, second


def add_incident(tally: Tally, incident: IncidentFacts, targets: list[TargetFacts], called_at: list[datetime],
                 policy: Policy) -> None:
    """An incident's counts, its agencies' step times and the time from each call to it, on its creation day."""
    day = policy.day(incident.created_at)
    counts = tally.counts
    counts[(day, SUBTYPE, subtype_key(incident.category, incident.subtype))] += 1
    counts[(day, PLACE, place_key(incident.kecamatan, incident.outside_city))] += 1
    counts[(day, OUTCOME, incident.outcome or "")] += 1
    if incident.status != "closed":
        counts[(day, OPEN, "")] += 1
    if incident.village is not None:
        counts[(day, VILLAGE, incident.village)] += 1
    moments_of_incident = {"created": incident.created_at}
    for target in targets:
        counts[(day, TARGETS, target.agency)] += 1
        moments = {**moments_of_incident, "acknowledged": target.acknowledged_at, "claimed": target.claimed_at,
                   "arrived": target.arrived_at, "done": target.done_at}
        for name, ((first, last), step) in MEASURES.items():
            begin, end = moments[first], moments[last]
            if begin is None or end is None:
                continue
            seconds = (end - begin).total_seconds()
            key = (day, target.agency, name, bucket(seconds))
            tally.response[key] += 1
            if step is not None and seconds <= policy.due(step, incident.priority, incident.category):
                tally.inside[key] += 1
    for called in called_at:
        tally.response[(day, "", CALL_TO_REPORT, bucket((incident.created_at - called).total_seconds()))] += 1


def add_call(tally: Tally, kind: str, called_at: datetime, policy: Policy) -> None:
    tally.counts[(policy.day(called_at), CALL, kind)] += 1
