"""The desk acts for agencies and for everyone: `/catat` records a step an agency reported by radio or phone,
through the same transitions as its buttons, marked on every copy and in the timeline as recorded by the call
center; `/kabari` posts a short update to every group of an incident, as a reply to its card there; `/lepas` takes
a wrongly routed agency off an incident."""

from __future__ import annotations

from datetime import datetime

from ..domain.lifecycle import DECLINES, RESULT_OF, Action, IncidentStatus, TargetStatus, Verdict, decide
from ..domain.places import normalise
from ..domain.rule_schemas import AgencyKind
from . import deliveries
from .context import Actor, Services
from .desk import DeskResult, _gated_incident
from .lifecycle import _step, after_change

# The words a call taker types for a step: the glossary's, the buttons' codes, and the English ones.
STEP_WORDS: dict[str, Action] = {
    "diterima": Action.ACK, "terima": Action.ACK, "ack": Action.ACK, "acknowledged": Action.ACK,
    "berangkat": Action.CLAIM, "otw": Action.CLAIM, "clm": Action.CLAIM, "way": Action.CLAIM,
    "tiba": Action.ARRIVE, "arr": Action.ARRIVE, "scene": Action.ARRIVE, "onscene": Action.ARRIVE,
    "selesai": Action.DONE, "don": Action.DONE, "done": Action.DONE,
}


async def record_step(services: Services, actor: Actor, chat_id: int, private: bool, number: str, agency: str,
                      step: str, note: str, now: datetime) -> DeskResult:
    """/catat <nomor> <instansi> <langkah> [catatan]: the step as if the agency had pressed it, by the desk."""
    action = STEP_WORDS.get(normalise(step).replace(" ", ""))
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if action is None:
            return DeskResult("catat_bad_step", {"value": step})
        target = await uow.repo.target(incident.id, agency)
        name = services.rules.agency_name(agency) if agency in services.rules.agencies else agency
        if target is None or services.rules.agency_kind(agency) != AgencyKind.RESPONDER:
            return DeskResult("catat_not_target", {"agency": name, "number": incident.number})
        verdict = decide(action, TargetStatus(target.status), incident.status)
        if verdict != Verdict.OK:
            return DeskResult("catat_refused", {"agency": name, "number": incident.number,
                                                "step": services.tr(f"step_word.{target.status}")})
        # The desk person's own name, marked as recorded by the desk: every card and the timeline say
        # "dicatat Call Center: Rina" in the reader's language, rendered when shown.
        await _step(uow, services, incident, target, RESULT_OF[action], actor, chat_id, now, by_desk=True)
        if note.strip():
            target.note, target.note_at, target.note_by_name = note.strip()[:1000], now, actor.name
            target.note_by_desk = True
            uow.repo.event(now, "note", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                           chat_id=chat_id, agency_key=agency, detail={"note": note.strip()[:1000], "by_desk": True})
        await after_change(uow, services, incident, now)
        await uow.commit()
        return DeskResult("catat_done", {"agency": name, "number": incident.number,
                                         "step": services.tr(f"step_word.{RESULT_OF[action]}")})


UPDATE_MAX = 500


async def post_update(services: Services, actor: Actor, chat_id: int, private: bool, number: str, text: str,
                      now: datetime) -> DeskResult:
    """/kabari <nomor> <teks>: one message to every group of the incident, as a reply to its card there (after
    the card, when the card is still on its way); every card shows it."""
    text = text.strip()[:UPDATE_MAX]
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        uow.repo.event(now, "update", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, detail={"note": text})
        notice = services.tr("kabari_notice", number=incident.number, text=text, name=actor.name)
        groups = [t.agency_key for t in await uow.repo.targets(incident.id)
                  if t.status not in DECLINES and await uow.repo.group_by_key(t.agency_key) is not None]
        for agency_key in groups:
            deliveries.notice_to_agency(uow.repo, agency_key, notice, now, incident.id, reply_to_card=True)
        incident.updated_at = now
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("kabari_done", {"number": incident.number, "groups": str(len(groups))})


REASON_MAX = 300


async def release(services: Services, actor: Actor, chat_id: int, private: bool, number: str, agency: str,
                  reason: str, now: datetime) -> DeskResult:
    """/lepas <nomor> <instansi> [alasan]: a wrongly routed agency is taken off the incident — its chase stops,
    its copy says so (without buttons), every other copy shows it, and the timeline keeps who and why."""
    reason = reason.strip()[:REASON_MAX]
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if agency not in services.rules.agencies:
            return DeskResult("lepas_unknown_agency", {"value": agency, "keys": ", ".join(services.rules.agencies)})
        name = services.rules.agency_name(agency)
        target = await uow.repo.target(incident.id, agency)
        if target is None or services.rules.agency_kind(agency) != AgencyKind.RESPONDER:
            return DeskResult("lepas_not_target", {"agency": name, "number": incident.number})
        if incident.status == IncidentStatus.CLOSED:
            return DeskResult("lepas_closed", {"number": incident.number})
        if target.status in (TargetStatus.RELEASED, TargetStatus.DONE):
            return DeskResult("lepas_refused", {"agency": name, "number": incident.number,
                                                "step": services.tr(f"step_word.{target.status}")})
        await _step(uow, services, incident, target, TargetStatus.RELEASED, actor, chat_id, now)
        if reason:  # the step says who; this says why
            uow.repo.event(now, "released", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                           chat_id=chat_id, agency_key=agency, detail={"note": reason})
            target.note, target.note_at, target.note_by_name, target.note_by_desk = reason, now, actor.name, True
        await after_change(uow, services, incident, now)
        await uow.commit()
        return DeskResult("lepas_done", {"agency": name, "number": incident.number})
