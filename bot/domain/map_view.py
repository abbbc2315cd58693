"""What the map (the Telegram Mini App) shows: open reports as plain JSON-ready data, never a caller's name or
number, each placed at its coordinates, else its village's centre, else its kecamatan's; and the gazetteer's points
for a map without tiles. Pure: the rows come in, `now` is a parameter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from ..i18n import Catalogue
from .lifecycle import IncidentStatus, TargetStatus
from .places import Gazetteer
from .privacy import Audience
from .rule_schemas import AgencyKind
from .ruleset import Rules


class MapStatus(StrEnum):
    """Where an open report stands, as the marker's ring shows it."""

    UNANSWERED = "unanswered"  # no agency has acted yet
    ANSWERED = "answered"      # acknowledged or on the way
    ON_SCENE = "on_scene"      # someone is there (or done)
    CONFIRMING = "confirming"  # all done, the call center confirms with the caller


@dataclass(frozen=True)
class MapTarget:
    agency_key: str
    status: str  # a TargetStatus


@dataclass(frozen=True)
class MapIncident:
    """An open incident as the map needs it: no caller fields at all, so none can leak."""

    id: int
    number: str
    status: str  # an IncidentStatus
    category: str
    subtype: str | None
    priority: str
    kecamatan: str | None
    village: str | None
    village_code: str | None
    outside_city: bool
    address: str
    description: str
    lat: float | None
    lon: float | None
    created_at: datetime
    targets: tuple[MapTarget, ...]


@dataclass(frozen=True)
class Viewer:
    """Who opened the map: their audience, and for an agency's staff the agency whose reports they see."""

    user_id: int
    audience: Audience
    agency_key: str | None = None


def map_status(incident: MapIncident) -> MapStatus:
    if incident.status == IncidentStatus.AWAITING_CONFIRMATION:
        return MapStatus.CONFIRMING
    steps = {TargetStatus(t.status) for t in incident.targets}
    if steps & {TargetStatus.ON_SCENE, TargetStatus.DONE}:
        return MapStatus.ON_SCENE
    if steps & {TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED}:
        return MapStatus.ANSWERED
    return MapStatus.UNANSWERED


def visible_to(viewer: Viewer, incident: MapIncident) -> bool:
    """An agency's staff see the reports sent to their agency; the call center and oversight see all."""
    if viewer.audience != Audience.RESPONDER:
        return True
    return any(t.agency_key == viewer.agency_key for t in incident.targets)


def position(incident: MapIncident, gazetteer: Gazetteer) -> tuple[float, float, bool] | None:
    """(lat, lon, approximate): the reported point, else the village's centre, else the kecamatan's."""
    if incident.lat is not None and incident.lon is not None:
        return incident.lat, incident.lon, False
    village = gazetteer.village_by_code(incident.village_code) if incident.village_code else None
    if village is not None:
        return village.lat, village.lon, True
    kec = next((k for k in gazetteer.kecamatan if incident.kecamatan in (k.name, k.bps_name)), None)
    return (kec.lat, kec.lon, True) if kec is not None else None


def report_json(incident: MapIncident, rules: Rules, now: datetime, tz: tzinfo) -> dict[str, Any]:
    """One report, compact (the page polls it): agencies as [key, step]; names and words come once with the places."""
    where = position(incident, rules.gazetteer)
    priority = rules.priorities.get(incident.priority)
    return {
        "id": incident.id, "number": incident.number, "category": incident.category,
        "category_label": rules.category_label(incident.category, incident.subtype),
        "priority": incident.priority, "rank": priority.rank if priority else 9,
        "status": map_status(incident).value, "kecamatan": incident.kecamatan or "", "village": incident.village or "",
        "outside": incident.outside_city, "address": incident.address, "description": incident.description,
        "lat": where[0] if where else None, "lon": where[1] if where else None, "approx": where[2] if where else True,
        "age_min": max(0, int((now - incident.created_at).total_seconds() // 60)),
        "time": f"{incident.created_at.astimezone(tz):%d-%m %H:%M}",
        "agencies": [[t.agency_key, t.status] for t in incident.targets
                     if rules.agency_kind(t.agency_key) == AgencyKind.RESPONDER],
    }


def reports_json(viewer: Viewer, incidents: Iterable[MapIncident], rules: Rules, now: datetime,
                 tz: tzinfo) -> dict[str, Any]:
    """The data request's answer: the reports this viewer may see, most urgent and oldest first."""
    shown = [report_json(i, rules, now, tz) for i in incidents if visible_to(viewer, i)]
    shown.sort(key=lambda r: (r["rank"], -r["age_min"]))
    return {"audience": viewer.audience.value, "agency": viewer.agency_key, "reports": shown,
            "updated": f"{now.astimezone(tz):%H:%M:%S}"}


def places_json(rules: Rules, tr: Catalogue) -> dict[str, Any]:
    """The gazetteer's points, the filters' choices and the words of the reports' codes, sent once."""
    gazetteer = rules.gazetteer
    return {
        "kecamatan": [{"name": k.bps_name, "key": k.name, "lat": k.lat, "lon": k.lon} for k in gazetteer.kecamatan],
        "villages": [{"name": v.name, "kecamatan": v.kecamatan, "lat": v.lat, "lon": v.lon}
                     for v in gazetteer.villages],
        "categories": [{"key": k, "label": c.label} for k, c in rules.categories.items()],
        "agencies": [{"key": k, "name": a.name} for k, a in rules.agencies.items() if a.kind == AgencyKind.RESPONDER],
        "priorities": [{"key": k, "label": p.label, "rank": p.rank}
                       for k, p in sorted(rules.priorities.items(), key=lambda kv: kv[1].rank)],
        "statuses": [s.value for s in MapStatus],
        "steps": {step.value: str(tr(f"step_word.{step.value}")) for step in TargetStatus},
    }
