"""BMKG's open earthquake feeds (autogempa.json, gempaterkini.json, gempadirasakan.json): any bytes to events or a
clean problem, and which event becomes an incident. Pure: the time is a parameter, nothing here reads the network."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .rule_schemas import QuakeRules, WarningRules

FEEDS = ("autogempa.json", "gempaterkini.json", "gempadirasakan.json")
MAX_BODY = 2 * 1024 * 1024  # BMKG's feeds are a few kB; anything far larger is not one of them
# An event this far ahead of our clock is a broken feed (BMKG's clock or ours), never acted on.
FUTURE_SLACK = timedelta(minutes=5)
TEXT_MAX = 500  # longest BMKG wording kept per field
# BMKG's revised analysis moves an event by seconds and by 0.01-0.1 degrees: a copy this close in time and place to
# an event already seen is that event revised, not a new one.
REVISION_WINDOW = timedelta(seconds=90)
REVISION_KM = 50.0
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class BmkgRules:
    """The BMKG rules with the city's centroid (the mean of the gazetteer's village centroids)."""

    quake: QuakeRules
    warnings: WarningRules
    centre_lat: float
    centre_lon: float


@dataclass(frozen=True)
class QuakeEvent:
    at: datetime  # UTC
    lat: float
    lon: float
    magnitude: float
    depth_km: float | None
    region: str  # Wilayah: BMKG's own wording of where
    potential: str  # Potensi
    felt: str  # Dirasakan
    shakemap: str | None  # a file name under the feed's base URL

    @property
    def key(self) -> str:
        """The copy's time and coordinates: creating an incident for it is idempotent by this (a revision that moves
        the event has a new key; it is found with same_event)."""
        return f"{self.at:%Y%m%dT%H%M%S}Z:{self.lat:.2f},{self.lon:.2f}"

    @property
    def fingerprint(self) -> str:
        """What makes a later copy a revision: its magnitude, depth, time and epicentre (the three feeds word an
        event apart, and only autogempa.json carries the shakemap, so the wording is not compared)."""
        return f"{self.magnitude:.1f}|{self.depth_km}|{self.at:%H%M%S}|{self.lat:.2f},{self.lon:.2f}"


def same_event(event: QuakeEvent, at: datetime, lat: float, lon: float) -> bool:
    """Is `event` the event last known at this time and place, perhaps revised (moved by seconds and kilometres)?"""
    return abs(event.at - at) <= REVISION_WINDOW and distance_km(lat, lon, event.lat, event.lon) <= REVISION_KM


@dataclass(frozen=True)
class FeedProblem:
    """Why a feed's answer could not be used: a catalogue code and a short detail for the log and /kesehatan."""

    code: str  # malformed | too_large | empty
    detail: str


def parse_quakes(body: bytes) -> list[QuakeEvent] | FeedProblem:
    """Any bytes -> the events in them, or a problem. Entries that cannot be read are left out; a body with
    entries none of which can be read is a problem."""
    if len(body) > MAX_BODY:
        return FeedProblem("too_large", f"{len(body)} bytes")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return FeedProblem("malformed", f"not JSON: {type(exc).__name__}")
    entries = _entries(data)
    if entries is None:
        return FeedProblem("malformed", "no Infogempa.gempa")
    events = [event for entry in entries if (event := _event(entry)) is not None]
    if entries and not events:
        return FeedProblem("malformed", "no readable event")
    return events


def _entries(data: Any) -> list[Any] | None:
    info = data.get("Infogempa") if isinstance(data, dict) else None
    gempa = info.get("gempa") if isinstance(info, dict) else None
    if isinstance(gempa, dict):
        return [gempa]
    return gempa if isinstance(gempa, list) else None


def _event(entry: Any) -> QuakeEvent | None:
    if not isinstance(entry, dict):
        return None
    at = _time(entry.get("DateTime"))
    where = _coordinates(entry.get("Coordinates"))
    magnitude = _number(entry.get("Magnitude"))
    if at is None or where is None or magnitude is None or not 0 <= magnitude <= 10:
        return None
    depth = _number(entry.get("Kedalaman"))
    shakemap = _text(entry.get("Shakemap"))
    return QuakeEvent(at, where[0], where[1], magnitude, depth if depth is not None and depth >= 0 else None,
                      _text(entry.get("Wilayah")), _text(entry.get("Potensi")), _text(entry.get("Dirasakan")),
                      shakemap if re.fullmatch(r"[\w.-]{1,100}", shakemap) else None)


def _text(value: Any) -> str:
    return " ".join(value.split())[:TEXT_MAX] if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # not a time; or one at the edge of the calendar (year 1 at +01:00)
        return None


def _coordinates(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, str):
        return None
    parts = value.split(",")
    if len(parts) != 2:
        return None
    lat, lon = _number(parts[0]), _number(parts[1])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str) and (match := _NUMBER.search(value)):
            number = float(match.group(0).replace(",", "."))
        else:
            return None
    except OverflowError:  # an integer of hundreds of digits: no float holds it
        return None
    return number if math.isfinite(number) else None


# deciding ---------------------------------------------------------------------------------------------------
DIRECTIONS = ("utara", "timur_laut", "timur", "tenggara", "selatan", "barat_daya", "barat", "barat_laut")


@dataclass(frozen=True)
class QuakeAlarm:
    """An event that becomes an incident: its priority and where it is from the city."""

    event: QuakeEvent
    priority: str
    distance_km: float
    direction: str  # one of DIRECTIONS (catalogue key bmkg_dir.<direction>)
    tsunami: bool
    felt_here: bool


@dataclass(frozen=True)
class QuakeIgnored:
    reason: str  # far_or_weak | old | future


def decide(event: QuakeEvent, rules: BmkgRules, now: datetime) -> QuakeAlarm | QuakeIgnored:
    """Near and strong enough, a tsunami potential within tsunami_radius_km, or felt in the city -> an alarm."""
    if event.at > now + FUTURE_SLACK:
        return QuakeIgnored("future")
    if now - event.at > rules.quake.max_age:
        return QuakeIgnored("old")
    distance = distance_km(rules.centre_lat, rules.centre_lon, event.lat, event.lon)
    denials = rules.quake.no_tsunami_words
    tsunami = distance <= rules.quake.tsunami_radius_km and (
        has_tsunami_potential(event.potential, denials) or has_tsunami_potential(event.region, denials))
    felt = names_any(event.felt, rules.quake.felt_places)
    near = distance <= rules.quake.radius_km and event.magnitude >= rules.quake.min_magnitude
    if not (near or tsunami or felt):
        return QuakeIgnored("far_or_weak")
    priority = rules.quake.tsunami_priority if tsunami else rules.quake.priority
    return QuakeAlarm(event, priority, distance, direction(rules.centre_lat, rules.centre_lon, event.lat, event.lon),
                      tsunami, felt)


def has_tsunami_potential(text: str, denials: list[str]) -> bool:
    """'Berpotensi tsunami' / 'Potensi tsunami untuk diteruskan' -> True; 'Tidak berpotensi tsunami' -> False."""
    low = " ".join(text.lower().split())
    return "tsunami" in low and not names_any(low, denials)


def names_any(text: str, places: list[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(place.lower())}(?!\w)", low) for place in places if place.strip())


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def direction(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """Which way the second point lies from the first, on an eight-point compass."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    bearing = (math.degrees(math.atan2(x, y)) + 360) % 360
    return DIRECTIONS[int((bearing + 22.5) // 45) % 8]
