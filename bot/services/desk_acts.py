"""The desk acts for agencies and for everyone: `/catat` records a step an agency reported by radio or phone,
through the same transitions as its buttons, marked on every copy and in the timeline as recorded by the call
center; `/kabari` posts a short update to every group of an incident, as a reply to its card there."""

from __future__ import annotations

import html
from datetime import datetime

from ..domain.lifecycle import RESULT_OF, Action, TargetStatus, Verdict, decide
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
        # Stored as a name (plain text, escaped where shown): "dicatat Call Center: Rina" on every copy.
        by_desk = Actor(actor.id, html.unescape(services.tr("catat_by", name=actor.name)))
        await _step(uow, services, incident, target, RESULT_OF[action], by_desk, chat_id, now)
        if note.strip():
            target.note, target.note_at, target.note_by_name = note.strip()[:1000], now, by_desk.name
            uow.repo.event(now, "note", incident_id=incident.id, actor_id=actor.id, actor_name=by_desk.name,
                           chat_id=chat_id, agency_key=agency, detail={"note": note.strip()[:1000]})
        await after_change(uow, services, incident, now)
        await uow.commit()
        return DeskResult("catat_done", {"agency": name, "number": incident.number,
                                         "step": services.tr(f"step_word.{RESULT_OF[action]}")})


UPDATE_MAX = 500


async def post_update(services: Services, actor: Actor, chat_id: int, private: bool, number: str, text: str,
                      now: datetime) -> DeskResult:
    """/kabari <nomor> <teks>: one reply to the card in every group that has one; every card shows it."""
    text = text.strip()[:UPDATE_MAX]
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        uow.repo.event(now, "update", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, detail={"note": text})
        notice = services.tr("kabari_notice", number=incident.number, text=text, name=actor.name)
        first_copy: dict[str, int] = {}
        for posted in await uow.repo.posted_messages(incident.id):
            first_copy.setdefault(posted.agency_key, posted.message_id)
        for agency_key, message_id in first_copy.items():
            deliveries.notice_to_agency(uow.repo, agency_key, notice, now, incident.id, reply_to=message_id)
        incident.updated_at = now
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("kabari_done", {"number": incident.number, "groups": str(len(first_copy))})
