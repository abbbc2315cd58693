"""Creating an incident: number, targets and one outbox row per target group, all in one transaction."""

from __future__ import annotations

from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain import model as dm
from ..domain.rule_schemas import AgencyKind
from . import deliveries, followups
from .context import Actor, Services
from .dispatch import LEASE
from .views import bound_groups


async def create_incident(uow: UnitOfWork, services: Services, report: dm.Report, actor: Actor, chat_id: int,
                          source_key: str, now: datetime,
                          fast: bool = False) -> tuple[db.Incident, list[str], list[db.Delivery], bool]:
    """`fast`: the cards this instance's sender can send at once are leased to it and returned; the caller
    renders them last in its transaction (outbox_jobs.render_leased) and gives them to services.lane after its
    commit (dispatch.FastLane). Without `fast`, none is. Last: whether every card to be sent now was leased so
    (nothing of this report then waits for the outbox's dispatcher)."""
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
    bound = set(await bound_groups(uow))  # one read, not one per agency (the cards' rendering shares it)
    holder, at_once = services.lane.open_for([k for k in targets if k in bound]) if fast else (None, set())
    cards = []
    for key in targets:
        uow.repo.add_new_target(row.id, key, now)
        lease = (holder, now + LEASE) if holder is not None and key in at_once else None
        card = deliveries.card(uow.repo, row.id, key, key in bound, now, lease)
        if lease is not None:
            cards.append(card)
        if rules.agency_kind(key) == AgencyKind.RESPONDER:
            followups.arm_new_target(uow, services, row, key, now)
    uow.repo.event(now, "created", incident_id=row.id, actor_id=actor.id, actor_name=actor.name,
                   chat_id=chat_id, to_state="open",
                   detail={"targets": targets, "category": report.category, "subtype": report.subtype})
    await deliveries.refresh_boards(uow.repo, now)  # after the cards: a new report's cards always go first
    await uow.repo.flush()
    return row, targets, cards, holder is not None and all(k in at_once for k in targets if k in bound)
