"""A responder reveals a caller's full number to call them back: permitted as acting for the agency is, once per
press, and recorded in the incident's timeline (who, when, for which agency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..db import models as db
from ..domain.lifecycle import IncidentStatus, TargetStatus, Verdict
from .context import Actor, Services
from .lifecycle import acting_target

NO_PHONE = "no_phone"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reveal:
    verdict: str  # a Verdict (ok, closed, read_only, not_target, unregistered), no_phone or unknown
    number: str | None = None
    agency_key: str | None = None
    phone: str | None = None  # E.164, only when the verdict is ok


async def reveal_phone(services: Services, actor: Actor, chat_id: int, incident_id: int, now: datetime,
                       thread_id: int | None = None) -> Reveal:
    """📞 pressed in `chat_id`: the number for this person alone, or why not. Permission from the database."""
    async with services.db.uow() as uow:
        incident = await uow.repo.incident(incident_id)
        if incident is None:
            return Reveal(UNKNOWN)
        acting = await acting_target(uow, services, actor, chat_id, incident, thread_id)
        if not isinstance(acting, db.IncidentTarget):
            return Reveal(acting[0], incident.number, acting[1])
        if acting.status == TargetStatus.RELEASED:  # taken off the incident by the desk (/lepas)
            return Reveal(Verdict.NOT_TARGET, incident.number, acting.agency_key)
        if incident.status == IncidentStatus.CLOSED:
            return Reveal(Verdict.CLOSED, incident.number, acting.agency_key)
        if not incident.caller_phone:
            return Reveal(NO_PHONE, incident.number, acting.agency_key)
        uow.repo.event(now, "phone_revealed", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, agency_key=acting.agency_key)
        await uow.commit()
        return Reveal(Verdict.OK, incident.number, acting.agency_key, incident.caller_phone)
