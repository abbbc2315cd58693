"""Creating an incident: number, targets and one outbox row per target group, all in one transaction."""

from __future__ import annotations

from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain import model as dm
from ..domain.rules import AgencyKind
from . import deliveries
from .context import Actor, Services


def to_domain(row: db.Incident) -> dm.Incident:
    """The stored incident as the pure domain sees it."""
    report = dm.Report(
        category=row.category, subtype=row.subtype, priority=row.priority, kecamatan=row.kecamatan,
        kecamatan_code=row.kecamatan_code, village=row.village, village_code=row.village_code,
        outside_city=row.outside_city, address=row.address, description=row.description,
        caller_name=row.caller_name, caller_phone=row.caller_phone, lat=row.lat, lon=row.lon,
        origin=row.origin, destination=row.destination)
    return dm.Incident(row.id, row.number, report, row.created_at, row.created_by_name, row.status, row.outcome,
                       row.outcome_note, row.duplicate_of, row.closed_at, row.closed_by_name, row.confirmation)


async def create_incident(uow: UnitOfWork, services: Services, report: dm.Report, actor: Actor, chat_id: int,
                          source_key: str, now: datetime) -> tuple[db.Incident, list[str]]:
    year = now.astimezone(services.tz).year
    seq = await uow.repo.next_seq(year)
    rules = services.rules
    row = db.Incident(
        number=dm.incident_number(year, seq), year=year, seq=seq, source_key=source_key,
        category=report.category, subtype=report.subtype, priority=report.priority,
        cap_category=rules.cap_category(report.category, report.subtype), kecamatan=report.kecamatan,
        kecamatan_code=report.kecamatan_code, village=report.village, village_code=report.village_code,
        outside_city=report.outside_city, address=report.address, description=report.description,
        caller_name=report.caller_name, caller_phone=report.caller_phone, lat=report.lat, lon=report.lon,
        origin=report.origin, destination=report.destination, status="open", created_by=actor.id,
        created_by_name=actor.name, created_chat_id=chat_id, created_at=now, updated_at=now)
    uow.repo.add(row)
    await uow.repo.flush()
    targets = rules.targets(report.category, report.subtype)
    for key in targets:
        uow.repo.add(db.IncidentTarget(incident_id=row.id, agency_key=key, created_at=now))
        deliveries.card(uow.repo, row.id, key, await uow.repo.group_by_key(key) is not None, now)
        if rules.agency_kind(key) == AgencyKind.RESPONDER:
            arm_new_target(uow, services, row, key, now)
    uow.repo.event(now, "created", incident_id=row.id, actor_id=actor.id, actor_name=actor.name,
                   chat_id=chat_id, to_state="open",
                   detail={"targets": targets, "category": report.category, "subtype": report.subtype})
    await uow.repo.flush()
    return row, targets


def arm_new_target(uow: UnitOfWork, services: Services, row: db.Incident, key: str, now: datetime) -> None:
    from .followups import arm_new_target as arm

    arm(uow, services, row, key, now)
