"""Follow-ups: obligations as rows, armed when a report is made or claimed, settled the moment the agency acts,
and one sweep that takes every due rung (a conditional UPDATE on (id, step): never twice, across restarts
and processes) and sends a reminder to the agency or an escalation up the ladder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db import models as db
from ..db.mappers import to_domain
from ..db.uow import UnitOfWork
from ..domain.ladders_and_shifts import AGENCY, RungScope, cadence_rungs, rung_taken, rungs, scoped_rungs
from ..domain.lifecycle import DECLINES, IncidentStatus, TargetStatus
from ..domain.model import Followup
from ..domain.render import place_text, target_line
from ..i18n import Html
from . import deliveries
from .context import Services
from .views import target_views

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
# A rung that fails (say its category or priority was renamed in the rules) is tried again this much later,
# so that it neither blocks the rest of the sweep nor fills the log at every sweep.
RETRY_FAILED_AFTER = timedelta(minutes=5)
MAX_ROUNDS = 20  # bounds one sweep; whatever is left is due again at the next one
# Which obligations an agency's new step settles.
SETTLES = {
    TargetStatus.ACKNOWLEDGED: ("acknowledge",),
    TargetStatus.CLAIMED: ("acknowledge",),
    TargetStatus.ON_SCENE: ("acknowledge", "on_scene"),
    TargetStatus.DONE: ("acknowledge", "on_scene", "update", "resolve"),
    TargetStatus.DECLINED: ("acknowledge", "on_scene", "update", "resolve"),  # no chase of an agency that said no
    TargetStatus.NO_UNIT: ("acknowledge", "on_scene", "update", "resolve"),
    TargetStatus.RELEASED: ("acknowledge", "on_scene", "update", "resolve"),
}


def schedule(services: Services, incident: db.Incident, kind: str) -> list[tuple[timedelta, str]]:
    policy = services.rules.policy(incident.category, incident.priority)
    return cadence_rungs(policy.update) if kind == "update" else rungs(getattr(policy, kind))


def scope(services: Services, incident: db.Incident, kind: str, step: int) -> RungScope:
    """Whose silence takes this rung (reminders and update cadences: every agency's own)."""
    if kind == "update":
        return "all"
    return scoped_rungs(getattr(services.rules.policy(incident.category, incident.priority), kind))[step][2]


def arm(uow: UnitOfWork, services: Services, incident: db.Incident, agency_key: str, kind: str,
        now: datetime) -> None:
    plan = schedule(services, incident, kind)
    uow.repo.add_followup(incident.id, agency_key, kind, now, now + plan[0][0] if plan else None)


def arm_new_target(uow: UnitOfWork, services: Services, incident: db.Incident, agency_key: str,
                   now: datetime) -> None:
    arm(uow, services, incident, agency_key, "acknowledge", now)
    arm(uow, services, incident, agency_key, "resolve", now)


async def on_step(uow: UnitOfWork, services: Services, incident: db.Incident, agency_key: str,
                  before: str, after: TargetStatus, now: datetime) -> None:
    """The agency acted: settle what that answers; a claim starts the on-scene and the update clocks."""
    await uow.repo.settle_followups(incident.id, agency_key, SETTLES[after], now)
    claimed_now = after in (TargetStatus.CLAIMED,) and before in (TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED)
    if claimed_now:
        arm(uow, services, incident, agency_key, "on_scene", now)
    if after in (TargetStatus.CLAIMED, TargetStatus.ON_SCENE) and not await uow.repo.has_followup(
            incident.id, agency_key, "update"):
        arm(uow, services, incident, agency_key, "update", now)


async def on_news(uow: UnitOfWork, services: Services, incident: db.Incident, agency_key: str,
                  now: datetime) -> None:
    """A step or a note from the agency restarts its update cadence."""
    if await uow.repo.settle_followups(incident.id, agency_key, ("update",), now):
        arm(uow, services, incident, agency_key, "update", now)


async def cancel_all(uow: UnitOfWork, incident_id: int, now: datetime) -> None:
    await uow.repo.settle_followups(incident_id, None, ("acknowledge", "on_scene", "update", "resolve"), now,
                                    status="cancelled")


async def hasten(uow: UnitOfWork, services: Services, incident: db.Incident) -> int:
    """The priority (or the category) changed: each waiting chase falls due on the new plan when that is sooner —
    min(its due time, its start + the new plan's wait for its step); never later. How many were brought forward."""
    moved = 0
    for row in await uow.repo.pending_followups(incident.id):
        plan = schedule(services, incident, row.kind)
        if row.due_at is None or row.step >= len(plan):
            continue
        sooner = row.started_at + plan[row.step][0]
        if sooner < row.due_at and await uow.repo.move_followup(row.id, row.step, row.step, sooner):
            moved += 1
    return moved


async def rearm_after_reopen(uow: UnitOfWork, services: Services, incident: db.Incident, now: datetime) -> None:
    for target in await uow.repo.targets(incident.id):
        if services.rules.agency_kind(target.agency_key) == "responder" and target.status != TargetStatus.DONE \
                and target.status not in DECLINES:  # an agency that said no is not chased again
            arm(uow, services, incident, target.agency_key, "resolve", now)


@dataclass(frozen=True)
class SweepResult:
    reminders: int = 0
    escalations: int = 0
    postponed: int = 0
    failed: int = 0


async def sweep(services: Services, now: datetime, batch: int = SWEEP_BATCH) -> SweepResult:
    """Act on every due rung (rungs due at the same moment all go in this sweep). Its cost follows the number
    of due rows: they are found through an index on (status, due_at)."""
    result = SweepResult()
    for _ in range(MAX_ROUNDS):
        async with services.db.uow() as uow:
            due = await uow.repo.due_followups(now, batch)
        if not due:
            break
        for followup_id, step in due:
            outcome = await _take_rung_isolated(services, followup_id, step, now)
            result = SweepResult(result.reminders + (outcome == "reminder"),
                                 result.escalations + (outcome == "escalation"),
                                 result.postponed + (outcome == "postponed"), result.failed + (outcome == "failed"))
    return result


async def _take_rung_isolated(services: Services, followup_id: int, step: int, now: datetime) -> str | None:
    """One rung's failure is logged and that rung moved on; the others are still taken."""
    try:
        return await _take_rung(services, followup_id, step, now)
    except Exception:
        log.exception("follow-up %s (step %s) failed; retrying it in %s", followup_id, step, RETRY_FAILED_AFTER)
    try:
        async with services.db.uow() as uow:
            await uow.repo.move_followup(followup_id, step, step, now + RETRY_FAILED_AFTER)
            await uow.commit()
    except Exception:
        log.exception("could not postpone the failed follow-up %s", followup_id)
    return "failed"


async def _take_rung(services: Services, followup_id: int, step: int, now: datetime) -> str | None:
    async with services.db.uow() as uow:
        row = await uow.repo.followup(followup_id)
        if row is None:
            return None
        incident = await uow.repo.lock_incident(row.incident_id)
        assert incident is not None
        if incident.snoozed_until is not None and incident.snoozed_until > now and row.due_at is not None:
            # The ladder resumes after the snooze where it stood, keeping its spacing (no burst of overdue rungs).
            shift = incident.snoozed_until - row.due_at
            postponed = await uow.repo.move_followup(followup_id, step, step, incident.snoozed_until,
                                                     started_at=row.started_at + shift)
            await uow.commit()
            return "postponed" if postponed else None
        plan = schedule(services, incident, row.kind)
        following = row.started_at + plan[step + 1][0] if step + 1 < len(plan) else None
        if not await uow.repo.move_followup(followup_id, step, step + 1, following):
            return None  # another sweep took this rung
        if step >= len(plan) or incident.status == IncidentStatus.CLOSED:
            await uow.commit()
            return None
        to = plan[step][1]
        if to != AGENCY:
            return await _escalate(uow, services, incident, row, to, step, plan, now)
        await _send_rung(uow, services, incident, row, to, step, plan, now)
        await uow.commit()
        return "reminder"


async def _escalate(uow: UnitOfWork, services: Services, incident: db.Incident, row: Followup, to: str,
                    step: int, plan: list[tuple[timedelta, str]], now: datetime) -> str | None:
    """One message per incident per rung: every agency whose same obligation is due at this rung is taken with
    it (conditional moves, as the rung itself) and named in it. The rules may keep a rung to the lead agency's
    (or a supporting agency's) silence; a rung not taken still moves every ladder on, quietly."""
    taken = [row]
    for sibling in await uow.repo.rung_siblings(incident.id, row.kind, step, now):
        if sibling.id == row.id:
            continue
        following = sibling.started_at + plan[step + 1][0] if step + 1 < len(plan) else None
        if await uow.repo.move_followup(sibling.id, step, step + 1, following):
            taken.append(sibling)
    silent = [f.agency_key for f in taken]
    lead = services.rules.lead_agency(incident.category, incident.subtype)
    if not rung_taken(scope(services, incident, row.kind, step), silent, lead):
        await uow.commit()
        return None
    what = services.tr(f"followup_what.{row.kind}")
    waited = _minutes(now - row.started_at)
    names = ", ".join(services.rules.agency_name(key) for key in silent)
    text = await escalation_text(uow, services, incident, names, what, waited)
    deliveries.notice_to_agency(uow.repo, to, text, now, incident.id)
    for followup in taken:  # one event per agency: the statistics count escalations per agency
        uow.repo.event(now, "escalated", incident_id=incident.id, agency_key=followup.agency_key, to_state=to,
                       detail={"obligation": followup.kind, "step": step,
                               "minutes": _minutes(now - followup.started_at)})
    await uow.commit()
    return "escalation"


async def _send_rung(uow: UnitOfWork, services: Services, incident: db.Incident, row: Followup, to: str,
                     step: int, plan: list[tuple[timedelta, str]], now: datetime) -> None:
    """A reminder in the obligated agency's own group, as a reply to its card."""
    tr, rules = services.tr, services.rules
    agency = rules.agency_name(row.agency_key)
    waited = _minutes(now - row.started_at)
    what = tr(f"followup_what.{row.kind}")
    count = sum(1 for _, t in plan if t == AGENCY)
    index = sum(1 for _, t in plan[: step + 1] if t == AGENCY)
    text = tr("followup_reminder", index=index, count=count, agency=agency, what=what, number=incident.number,
              minutes=waited)
    deliveries.notice_to_agency(uow.repo, row.agency_key, text, now, incident.id, reply_to_card=True)
    uow.repo.event(now, "reminder", incident_id=incident.id, agency_key=row.agency_key, to_state=to,
                   detail={"obligation": row.kind, "step": step, "minutes": waited})


async def escalation_text(uow: UnitOfWork, services: Services, incident: db.Incident, agency: str, what: str,
                          minutes: int) -> Html:
    """The escalation names the silent agencies and shows everyone's status now (who has since acted)."""
    tr, rules = services.tr, services.rules
    report = to_domain(incident).report
    lines = [target_line(v, tr, services.tz) for v in await target_views(uow, services, incident.id)]
    return tr("followup_escalation", number=incident.number, agency=agency, what=what, minutes=minutes,
              category=rules.category_label(incident.category, incident.subtype), place=place_text(report, tr, rules),
              priority=rules.priorities[incident.priority].label, status=Html("\n".join(lines)))


def _minutes(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() / 60))

