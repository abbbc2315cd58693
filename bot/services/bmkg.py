"""BMKG's earthquake feeds: poll, decide with the domain, and turn an event near Ambon into an incident routed like
any report (one per event; a revision edits every copy). A failing feed is recorded, never raised."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain import model as dm
from ..domain.bmkg import FEEDS, FeedProblem, QuakeAlarm, QuakeEvent, QuakeIgnored, decide, parse_quakes
from ..feeds import Fetched, FetchFailed
from . import deliveries, followups
from .context import Actor, Services
from .incidents import create_incident

log = logging.getLogger(__name__)
CITY_RADIUS_KM = 12  # an epicentre farther than this from the centroid lies outside Kota Ambon
Fetch = Callable[[str, str | None, str | None], Awaitable[Fetched | FetchFailed]]


@dataclass
class PollResult:
    created: list[str] = field(default_factory=list)  # incident numbers
    revised: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.revised)


async def poll(services: Services, fetch: Fetch, base_url: str, now: datetime) -> PollResult:
    """Every BMKG earthquake feed once (conditional GETs); each feed fails alone."""
    result = PollResult()
    for feed in FEEDS:
        try:
            await _poll_feed(services, fetch, base_url.rstrip("/"), feed, now, result)
        except Exception as exc:  # a database hiccup: recorded next time, the job runs again
            log.exception("BMKG feed %s failed", feed)
            result.errors.append(f"{feed}: {type(exc).__name__}")
    return result


async def _poll_feed(services: Services, fetch: Fetch, base_url: str, feed: str, now: datetime,
                     result: PollResult) -> None:
    name = f"bmkg:{feed}"
    async with services.db.uow() as uow:
        state = await uow.repo.feed_state(name, now)
        etag, modified = state.etag, state.last_modified
        await uow.commit()
    answer = await fetch(f"{base_url}/{feed}", etag, modified)
    if isinstance(answer, FetchFailed):
        return await record(services, name, now, answer.detail, result, good=False)
    if answer.not_modified:
        return await record(services, name, now, None, result)
    parsed = parse_quakes(answer.body)
    if isinstance(parsed, FeedProblem):
        return await record(services, name, now, f"{parsed.code}: {parsed.detail}", result, good=False)
    problems = []
    for event in parsed:
        outcome = await ingest(services, event, base_url, now)
        if outcome == "future":
            problems.append(f"future event {event.key}")
        elif isinstance(outcome, tuple):
            (result.created if outcome[0] == "created" else result.revised).append(outcome[1])
    # The validators are stored only now, after every event was handled: a crash before this asks again.
    await record(services, name, now, "; ".join(problems) or None, result, validators=(answer.etag,
                                                                                      answer.last_modified))


async def record(services: Services, name: str, now: datetime, error: str | None, result: PollResult, *,
                 good: bool = True, validators: tuple[str | None, str | None] | None = None) -> None:
    """A poll's outcome: a good answer moves last_ok_at; an error is kept with its time (a good answer may carry
    one too: an event from the future)."""
    async with services.db.uow() as uow:
        state = await uow.repo.feed_state(name, now)
        if good:
            state.last_ok_at = now
        if error is not None:
            state.last_error_at, state.last_error = now, error[:300]
            result.errors.append(f"{name}: {error}")
        if validators is not None:
            state.etag, state.last_modified = validators
        state.updated_at = now
        await uow.commit()


async def ingest(services: Services, event: QuakeEvent, base_url: str, now: datetime) -> tuple[str, str] | str:
    """One event: ('created', number), ('revised', number), 'same', or why it is ignored."""
    assert services.bmkg is not None
    decision = decide(event, services.bmkg, now)
    if isinstance(decision, QuakeIgnored):
        return decision.reason
    async with services.db.uow() as uow:
        seen = await uow.repo.bmkg_quake(event.key)
        if seen is None:
            return await _create(uow, services, decision, base_url, now)
        if seen.incident_id is None or (seen.fingerprint == event.fingerprint and not decision.tsunami):
            return "same"
        return await _revise(uow, services, seen, decision, now)


async def _create(uow: UnitOfWork, services: Services, alarm: QuakeAlarm, base_url: str,
                  now: datetime) -> tuple[str, str] | str:
    event = alarm.event
    actor = Actor(0, str(services.tr("bmkg_source")))
    row = await uow.repo.claim_bmkg_quake(event.key, event.magnitude, event.depth_km, event.fingerprint, now)
    if row is None:  # another instance was first
        await uow.rollback()
        return "same"
    call_center = await uow.repo.group_by_key("call_center")
    incident, targets = await create_incident(uow, services, _report(services, alarm), actor,
                                              call_center.chat_id if call_center else 0, f"bmkg:{event.key}", now)
    if call_center is None:  # nobody to tell that every group got it
        incident.delivery_reported_at = now
    row.incident_id = incident.id
    if event.shakemap:
        for key in targets:
            if await uow.repo.group_by_key(key) is not None:
                deliveries.photo(uow.repo, incident.id, key, f"{base_url.rstrip('/')}/{event.shakemap}", now)
    uow.repo.event(now, "bmkg_quake", incident_id=incident.id, actor_name=actor.name,
                   detail={"key": event.key, "magnitude": event.magnitude, "distance_km": round(alarm.distance_km)})
    await uow.commit()
    log.info("BMKG event %s became incident %s", event.key, incident.number)
    return "created", incident.number


async def _revise(uow: UnitOfWork, services: Services, seen: db.BmkgQuake, alarm: QuakeAlarm,
                  now: datetime) -> tuple[str, str] | str:
    """BMKG revised the event (magnitude, depth, wording): the incident says it now, on every copy."""
    event = alarm.event
    assert seen.incident_id is not None
    await uow.repo.lock_incident(seen.incident_id)
    incident = await uow.repo.incident(seen.incident_id)
    assert incident is not None
    report = _report(services, alarm)
    raises = _rank(services, report.priority) < _rank(services, incident.priority)
    if seen.fingerprint == event.fingerprint and not raises:
        await uow.rollback()
        return "same"
    incident.description, incident.address = report.description, report.address
    incident.lat, incident.lon = report.lat, report.lon
    if raises:  # a revision may raise the priority (a tsunami potential stated later), never lower it
        incident.priority = report.priority
        await followups.hasten(uow, services, incident)
    uow.repo.event(now, "bmkg_revised", incident_id=incident.id, actor_name=str(services.tr("bmkg_source")),
                   detail={"from": {"magnitude": seen.magnitude, "depth_km": seen.depth_km},
                           "to": {"magnitude": event.magnitude, "depth_km": event.depth_km}})
    seen.magnitude, seen.depth_km, seen.fingerprint, seen.updated_at = (event.magnitude, event.depth_km,
                                                                        event.fingerprint, now)
    await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
    await uow.commit()
    return "revised", incident.number


def _rank(services: Services, priority: str) -> int:
    found = services.rules.priorities.get(priority)
    return found.rank if found else 99


def _report(services: Services, alarm: QuakeAlarm) -> dm.Report:
    assert services.bmkg is not None
    tr, rules, event = services.tr, services.bmkg.quake, alarm.event
    depth = tr("bmkg_depth", km=f"{event.depth_km:g}") if event.depth_km is not None else tr("bmkg_depth_unknown")
    lines = [tr("bmkg_quake_summary", magnitude=f"{event.magnitude:.1f}", depth=depth,
                distance=f"{alarm.distance_km:.0f}", direction=tr(f"bmkg_dir.{alarm.direction}"),
                centre=rules.centre_name, time=event.at.astimezone(services.tz).strftime("%d-%m-%Y %H.%M.%S"))]
    if alarm.tsunami:
        lines.append(tr("bmkg_tsunami"))
    for key, value in (("bmkg_said_region", event.region), ("bmkg_said_potential", event.potential),
                       ("bmkg_said_felt", event.felt)):
        if value:
            lines.append(tr(key, text=value))
    return dm.Report(category=rules.category, subtype=rules.subtype, priority=alarm.priority, kecamatan=None,
                     kecamatan_code=None, village=None, village_code=None,
                     outside_city=alarm.distance_km > CITY_RADIUS_KM,  # where the epicentre lies
                     # The catalogue escapes parameters for HTML; a report's text is plain (escaped when rendered)
                     address=html.unescape(event.region or tr("bmkg_no_region"))[:300],
                     description=html.unescape("\n".join(lines))[:1500],
                     lat=event.lat, lon=event.lon)
