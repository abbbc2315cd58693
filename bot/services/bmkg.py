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
from ..domain.bmkg import (
    FEEDS,
    REVISION_WINDOW,
    FeedProblem,
    QuakeAlarm,
    QuakeEvent,
    QuakeIgnored,
    decide,
    distance_km,
    parse_quakes,
    same_event,
)
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
        except Exception as exc:  # a database hiccup: recorded (when the database lets us), the job runs again
            log.exception("BMKG feed %s failed", feed)
            try:
                await record(services, f"bmkg:{feed}", now, type(exc).__name__, result, good=False)
            except Exception:
                log.exception("BMKG feed %s: its failure could not be recorded", feed)
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
        try:  # one event that cannot be handled never stops the rest of the feed
            outcome = await ingest(services, event, base_url, now, feed)
        except Exception as exc:
            log.exception("BMKG event %s from %s failed", event.key, feed)
            problems.append(f"event {event.key}: {type(exc).__name__}")
            continue
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


async def ingest(services: Services, event: QuakeEvent, base_url: str, now: datetime,
                 feed: str = FEEDS[0]) -> tuple[str, str] | str:
    """One event as `feed` gives it: ('created', number), ('revised', number), 'same', or why it is ignored."""
    assert services.bmkg is not None
    decision = decide(event, services.bmkg, now)
    if isinstance(decision, QuakeIgnored):
        return decision.reason
    async with services.db.uow() as uow:
        seen = await uow.repo.bmkg_quake(event.key) or await _moved(uow, event)
        if seen is None:
            return await _create(uow, services, decision, base_url, feed, now)
        if seen.incident_id is None:
            return "same"
        if event.shakemap and not seen.shakemap:
            # the first copy that names the shakemap (the incident may come from one that does not); the
            # incident is locked first, in the order a revision takes (two instances: no deadlock)
            await uow.repo.lock_incident(seen.incident_id)
            if await uow.repo.claim_shakemap(seen.id, event.shakemap):
                await _shakemap(uow, seen.incident_id, base_url, event.shakemap, now)
        # A revision only when this feed's own copy changed: the feeds lag one another, and comparing autogempa's
        # revised copy with gempaterkini's older one would flip the incident back and forth every poll.
        before = dict(seen.feed_fingerprints or {})
        changed = before.get(feed) not in (None, event.fingerprint)
        if before.get(feed) != event.fingerprint:
            seen.feed_fingerprints = {**before, feed: event.fingerprint}
        # Only some feeds say where it was felt (gempaterkini never does): the first that does adds it.
        adds_felt = bool(event.felt) and not seen.felt
        if not changed and not decision.tsunami and not adds_felt:
            await uow.commit()
            return "same"
        return await _revise(uow, services, seen, decision, changed or adds_felt, now, adds_felt)


async def _shakemap(uow: UnitOfWork, incident_id: int, base_url: str, shakemap: str, now: datetime,
                    targets: list[str] | None = None) -> None:
    """BMKG's shakemap picture for the groups of the incident's agencies, each as a reply to its card."""
    if targets is None:
        targets = [t.agency_key for t in await uow.repo.targets_of([incident_id])]
    for key in targets:
        if await uow.repo.group_by_key(key) is not None:
            deliveries.photo(uow.repo, incident_id, key, f"{base_url.rstrip('/')}/{shakemap}", now)


async def _moved(uow: UnitOfWork, event: QuakeEvent) -> db.BmkgQuake | None:
    """The event already seen that this copy revises (its time or epicentre moved a little), the nearest one."""
    rows = await uow.repo.bmkg_quakes_between(event.at - REVISION_WINDOW, event.at + REVISION_WINDOW)
    near = [row for row in rows if same_event(event, row.event_at, row.lat, row.lon)]
    return min(near, key=lambda row: distance_km(row.lat, row.lon, event.lat, event.lon), default=None)


async def _create(uow: UnitOfWork, services: Services, alarm: QuakeAlarm, base_url: str, feed: str,
                  now: datetime) -> tuple[str, str] | str:
    event = alarm.event
    actor = Actor(0, str(services.tr("bmkg_source")))
    row = await uow.repo.claim_bmkg_quake(event.key, event.magnitude, event.depth_km, event.fingerprint, event.at,
                                          event.lat, event.lon, feed, now)
    if row is None:  # another instance was first
        await uow.rollback()
        return "same"
    call_center = await uow.repo.group_by_key("call_center")
    row.felt = event.felt[:500] or None
    incident, targets, _, _ = await create_incident(uow, services, _report(services, alarm), actor,
                                              call_center.chat_id if call_center else 0, f"bmkg:{event.key}", now)
    if call_center is None:  # nobody to tell that every group got it
        incident.delivery_reported_at = now
    row.incident_id = incident.id
    if event.shakemap:
        row.shakemap = event.shakemap  # a file name of at most 100 characters (domain.bmkg)
        await _shakemap(uow, incident.id, base_url, event.shakemap, now, targets)
    uow.repo.event(now, "bmkg_quake", incident_id=incident.id, actor_name=actor.name,
                   detail={"key": event.key, "magnitude": event.magnitude, "distance_km": round(alarm.distance_km)})
    await uow.commit()
    log.info("BMKG event %s became incident %s", event.key, incident.number)
    return "created", incident.number


async def _revise(uow: UnitOfWork, services: Services, seen: db.BmkgQuake, alarm: QuakeAlarm, changed: bool,
                  now: datetime, adds_felt: bool = False) -> tuple[str, str] | str:
    """BMKG revised the event (magnitude, depth, time, epicentre): the incident says it now, on every copy. A copy
    that did not change in its own feed may only raise the priority (a tsunami potential stated)."""
    event = alarm.event
    assert seen.incident_id is not None
    await uow.repo.lock_incident(seen.incident_id)
    incident = await uow.repo.incident(seen.incident_id)
    assert incident is not None
    felt = event.felt or seen.felt  # a copy that does not say where it was felt keeps what another feed said
    report = _report(services, alarm, felt)
    raises = _rank(services, report.priority) < _rank(services, incident.priority)
    if not raises and not adds_felt and (not changed or seen.fingerprint == event.fingerprint):
        await uow.commit()  # what this feed says is kept
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
    seen.event_at, seen.lat, seen.lon, seen.felt = event.at, event.lat, event.lon, (felt or "")[:500] or None
    await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
    await uow.commit()
    return "revised", incident.number


def _rank(services: Services, priority: str) -> int:
    found = services.rules.priorities.get(priority)
    return found.rank if found else 99


def _report(services: Services, alarm: QuakeAlarm, felt: str | None = None) -> dm.Report:
    assert services.bmkg is not None
    tr, rules, event = services.tr, services.bmkg.quake, alarm.event
    depth = tr("bmkg_depth", km=f"{event.depth_km:g}") if event.depth_km is not None else tr("bmkg_depth_unknown")
    lines = [tr("bmkg_quake_summary", magnitude=f"{event.magnitude:.1f}", depth=depth,
                distance=f"{alarm.distance_km:.0f}", direction=tr(f"bmkg_dir.{alarm.direction}"),
                centre=rules.centre_name, time=event.at.astimezone(services.tz).strftime("%d-%m-%Y %H.%M.%S"))]
    if alarm.tsunami:
        lines.append(tr("bmkg_tsunami"))
    for key, value in (("bmkg_said_region", event.region), ("bmkg_said_potential", event.potential),
                       ("bmkg_said_felt", felt or event.felt)):
        if value:
            lines.append(tr(key, text=value))
    return dm.Report(category=rules.category, subtype=rules.subtype, priority=alarm.priority, kecamatan=None,
                     kecamatan_code=None, village=None, village_code=None,
                     outside_city=alarm.distance_km > CITY_RADIUS_KM,  # where the epicentre lies
                     # The catalogue escapes parameters for HTML; a report's text is plain (escaped when rendered)
                     address=html.unescape(event.region or tr("bmkg_no_region"))[:300],
                     description=html.unescape("\n".join(lines))[:1500],
                     lat=event.lat, lon=event.lon)
