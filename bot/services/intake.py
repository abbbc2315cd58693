"""Intake use cases: /lapor in one message, corrections to a kept draft, the guided form, a location."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from ..db.uow import UnitOfWork
from ..domain import form
from ..domain.callback_data import FormPress
from ..domain.calls import History
from ..domain.model import INTAKE_ROLES, Draft, Problem, Report, Role
from ..domain.parsing import has_known_key, parse_fields, unknown_village, validate
from ..domain.render import place_text
from . import media
from .calls import history_for_phone, record_report_call, report_history
from .context import Actor, Services, role_of, stored_role
from .deliveries import enqueue_card_edits
from .incidents import create_incident
from .outbox_jobs import render_leased

log = logging.getLogger(__name__)
LOCATION_WINDOW = timedelta(minutes=10)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Accepted:
    number: str
    incident_id: int
    category: str
    place: str
    targets: list[str]
    unknown_village: str | None = None  # filed as free text: the call taker is warned to check it
    history: History | None = None  # the caller's number's earlier calls
    # (phone, the report's call, when): its history is read after the report's transaction (see _history_after)
    history_of: tuple[str, int, datetime] | None = None
    # Every post due now went to this instance's sender with the commit (FastLane): its dispatcher need not look
    # at the outbox while they go out (their workers wake it when they are done, for the boards due after them).
    sender_has_all: bool = False


@dataclass(frozen=True)
class Duplicate:
    number: str


@dataclass(frozen=True)
class NeedsFix:
    draft_id: int
    problems: list[Problem]
    fields: dict[str, str]
    history: History | None = None  # the caller's number's earlier calls, shown before the report is filed


@dataclass(frozen=True)
class Refused:
    reason: str  # catalogue key: lapor_not_allowed, lapor_wrong_chat, lapor_no_draft, form_expired, draft_expired,
    # draft_not_allowed


@dataclass(frozen=True)
class RateLimited:
    seconds: int


@dataclass(frozen=True)
class FormView:
    draft_id: int
    prompt: form.Prompt
    fields: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    history: History | None = None  # just typed the caller's phone: its earlier calls


@dataclass(frozen=True)
class Cancelled:
    draft_id: int


IntakeOutcome = Accepted | Duplicate | NeedsFix | Refused | RateLimited | FormView | Cancelled


def _history_after(use_case: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A report filed by `use_case` gets its number's earlier calls read after its transaction ended: the groups'
    cards, given to the sender at the commit, need not wait for that read (nor could a second unit of work open
    inside the first on SQLite)."""
    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outcome = await use_case(*args, **kwargs)
        if isinstance(outcome, Accepted) and outcome.history_of is not None:
            phone, call_id, now = outcome.history_of
            services = args[0]
            assert isinstance(services, Services)
            # The groups' workers, woken by the commit, send their cards first (building this read and its
            # statement took ≈ 2 ms of the event loop before the first card went out).
            await asyncio.sleep(0)
            try:
                history = await report_history(services, phone, now, call_id)
            except Exception:  # the report is filed and its cards are going: it is answered without the history
                log.exception("reading the earlier calls of report %s's number failed", outcome.number)
                history = None
            return replace(outcome, history=history, history_of=None)  # type: ignore[return-value]
        return outcome
    return run


async def _gate(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int, private: bool) -> Refused | None:
    """Who may file here: intake roles, in private or in the call center group. Strangers and unbound groups
    are ignored without an answer."""
    return await _gate_for(uow, await role_of(uow.repo, services, actor.id), actor, chat_id, private)


async def _gate_for(uow: UnitOfWork, role: Role | None, actor: Actor, chat_id: int, private: bool) -> Refused | None:
    """_gate for a role already read."""
    group = None if private else await uow.repo.group_by_chat(chat_id, actor.topic)
    if role is None or (not private and group is None):
        return Refused("ignore")
    if role not in INTAKE_ROLES:
        return Refused("lapor_not_allowed")
    if group is not None and group.agency_key != "call_center":
        return Refused("lapor_wrong_chat")
    return None


async def _open_draft(uow: UnitOfWork, services: Services, chat_id: int, user_id: int,
                      now: datetime) -> Draft | Refused | None:
    """The person's open draft here; one left alone longer than the expiry is closed and answered as such."""
    draft = await uow.repo.open_draft(chat_id, user_id)
    if draft is not None and (expired := await _expire(uow, services, draft, now)):
        return expired
    return draft


async def _save(uow: UnitOfWork, draft: Draft, **changes: Any) -> Draft:
    """Store changes to a draft; the draft as it is now."""
    await uow.repo.update_draft(draft.id, **changes)
    return replace(draft, **changes)


async def _expire(uow: UnitOfWork, services: Services, draft: Draft, now: datetime) -> Refused | None:
    if now - draft.updated_at < services.draft_expiry:
        return None
    await uow.repo.set_draft_status(draft.id, "open", "expired", now)
    await uow.commit()
    return Refused("draft_expired")


async def _may_continue(uow: UnitOfWork, services: Services, actor: Actor, draft: Draft,
                        now: datetime) -> Refused | None:
    """Every step of a draft asks again who may file: someone removed meanwhile loses the draft."""
    if await role_of(uow.repo, services, actor.id) in INTAKE_ROLES:
        return None
    await uow.repo.set_draft_status(draft.id, "open", "cancelled", now)
    await uow.commit()
    return Refused("draft_not_allowed")


@_history_after
async def lapor(services: Services, actor: Actor, chat_id: int, private: bool, message_id: int, text: str,
                now: datetime) -> IntakeOutcome:
    """/lapor with `key: value` lines. A message seen before returns the incident it already made."""
    source_key = f"msg:{chat_id}:{message_id}"
    async with services.db.uow() as uow:
        # One read for the gate, a replay, the rate limit and what this report closes (each a round trip before).
        first = await uow.repo.lapor_first_read(actor.id, chat_id, source_key, now - RATE_WINDOW)
        role = stored_role(services, actor.id, first.role)
        if refused := await _gate_for(uow, role, actor, chat_id, private):
            return refused
        if first.existing is not None:
            return Duplicate(first.existing)
        if first.call_open:  # a report now: text that follows is not a call's
            await uow.repo.close_call_details(chat_id, actor.id)
        if first.draft_open:
            await uow.repo.replace_open_drafts(chat_id, actor.id, now)
        fields = parse_fields(text)
        override = role in SOP_OVERRIDE_ROLES
        report = validate(fields, services.rules, sop_override=override)
        if not isinstance(report, list) and first.recent < services.lapor_per_minute:
            # Complete and allowed: filed at once, without a draft (one to correct is kept only when it is not).
            return await _submit(uow, services, actor, None, fields, chat_id, now, report, source_key, now)
        draft = await uow.repo.add_draft(chat_id, actor.id, fields, None, now)
        return await _try_submit(uow, services, actor, draft, source_key, now, override)


@_history_after
async def correct(services: Services, actor: Actor, chat_id: int, private: bool, text: str,
                  now: datetime) -> IntakeOutcome | None:
    """Corrected `key: value` lines for the open draft. None when the text holds no such line."""
    if not has_known_key(text):
        return None
    new_fields = parse_fields(text)
    async with services.db.uow() as uow:
        if refused := await _gate(uow, services, actor, chat_id, private):
            return refused
        draft = await _open_draft(uow, services, chat_id, actor.id, now)
        if draft is None:
            return Refused("lapor_no_draft")
        if isinstance(draft, Refused):
            return draft
        fields = {**draft.fields, **new_fields}
        step = form.next_step(fields, services.rules) if draft.step is not None else None
        draft = await _save(uow, draft, fields=fields, updated_at=now, step=step)
        return await _try_submit(uow, services, actor, draft, f"draft:{draft.id}", now)


SOP_OVERRIDE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


async def _try_submit(uow: UnitOfWork, services: Services, actor: Actor, draft: Draft, source_key: str,
                      now: datetime, override: bool | None = None) -> IntakeOutcome:
    """`override`: whether the person may file outside the SOP, when already known."""
    if override is None:
        override = await role_of(uow.repo, services, actor.id) in SOP_OVERRIDE_ROLES
    result = validate(draft.fields, services.rules, sop_override=override)
    if isinstance(result, list):
        history = await history_for_phone(uow, services, draft.fields.get("telepon"), now)
        await uow.commit()
        return NeedsFix(draft.id, result, dict(draft.fields), history)
    if limited := await _rate_limited(uow, services, actor, now):
        await uow.commit()
        return limited
    return await _submit(uow, services, actor, draft, draft.fields, draft.chat_id, draft.created_at, result,
                         source_key, now)


RATE_WINDOW = timedelta(minutes=1)  # services.lapor_per_minute reports in it at most


async def _rate_limited(uow: UnitOfWork, services: Services, actor: Actor, now: datetime) -> RateLimited | None:
    recent = await uow.repo.incidents_created_by(actor.id, now - RATE_WINDOW)
    if recent >= services.lapor_per_minute:
        return RateLimited(60)
    return None


async def _submit(uow: UnitOfWork, services: Services, actor: Actor, draft: Draft | None, fields: dict[str, str],
                  chat_id: int, began: datetime, report: Report, source_key: str, now: datetime) -> IntakeOutcome:
    """File the report (`draft`: the draft it was written in, None for a complete /lapor filed at once; `began`:
    when the call taker began it)."""
    if draft is not None and not await uow.repo.set_draft_status(draft.id, "open", "submitted", now):
        await uow.rollback()
        return Refused("form_expired")
    row, targets, cards, all_leased = await create_incident(uow, services, report, actor, chat_id, source_key, now,
                                                            fast=True)
    if draft is not None:
        await uow.repo.update_draft(draft.id, incident_id=row.id)
    if reason := fields.get("alasan_sop"):  # a supervisor filed a hearse outside the SOP
        uow.repo.event(now, "hearse_sop_override", incident_id=row.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, detail={"note": reason})
    call_id = await record_report_call(uow, services, actor, chat_id, row.id, report.caller_phone,
                                       fields.get("waktu_panggilan"), began, now)
    if draft is not None:
        await media.adopt_draft(uow, services, draft.id, row, now)  # photos sent while it was open go out now
    jobs = await render_leased(uow, services, cards, now, filed=targets if draft is None else None)
    await uow.commit()
    services.lane.give(jobs)
    rules = services.rules
    return Accepted(row.number, row.id, rules.category_label(report.category, report.subtype),
                    place_text(report, services.tr, rules), targets,
                    report.village if unknown_village(report) else None,
                    history_of=(report.caller_phone, call_id, now) if report.caller_phone else None,
                    sender_has_all=all_leased and draft is None)


async def cancel_draft(services: Services, actor: Actor, chat_id: int, private: bool, now: datetime) -> IntakeOutcome:
    async with services.db.uow() as uow:
        if refused := await _gate(uow, services, actor, chat_id, private):
            return refused
        draft = await _open_draft(uow, services, chat_id, actor.id, now)
        if draft is None:
            return Refused("lapor_no_draft")
        if isinstance(draft, Refused):
            return draft
        await uow.repo.set_draft_status(draft.id, "open", "cancelled", now)
        await uow.commit()
        return Cancelled(draft.id)


# the guided form --------------------------------------------------------------------------------------------
async def form_start(services: Services, actor: Actor, chat_id: int, private: bool, now: datetime) -> IntakeOutcome:
    async with services.db.uow() as uow:
        if refused := await _gate(uow, services, actor, chat_id, private):
            return refused
        await uow.repo.close_call_details(chat_id, actor.id)  # a report now: text that follows is not a call's
        if old := await uow.repo.open_draft(chat_id, actor.id):
            await uow.repo.update_draft(old.id, status="replaced", updated_at=now)
        draft = await uow.repo.add_draft(chat_id, actor.id, {}, "kategori", now)
        view = FormView(draft.id, form.prompt(draft.id, {}, services.rules), {})
        await uow.commit()
        return view


@_history_after
async def form_press(services: Services, actor: Actor, press: FormPress, now: datetime) -> IntakeOutcome:
    """A button of the form. Only the draft's owner may press; a finished draft answers 'expired'."""
    async with services.db.uow() as uow:
        draft = await uow.repo.draft(press.draft_id)
        if draft is None or draft.user_id != actor.id:
            return Refused("not_for_you")
        if draft.status != "open":
            return Refused("draft_expired" if draft.status == "expired" else "form_expired")
        if refused := await _may_continue(uow, services, actor, draft, now) or await _expire(uow, services, draft,
                                                                                             now):
            return refused
        rules = services.rules
        if press.op == "cancel":
            await uow.repo.set_draft_status(draft.id, "open", "cancelled", now)
            await uow.commit()
            return Cancelled(draft.id)
        if press.op == "send":
            return await _try_submit(uow, services, actor, draft, f"draft:{draft.id}", now)
        if press.op == "edits":
            return FormView(draft.id, form.edit_menu(draft.id, draft.fields, rules), dict(draft.fields))
        fields = _apply_press(draft.fields, press, rules)
        draft = await _save(uow, draft, fields=fields, updated_at=now, step=form.next_step(fields, rules))
        view = _view(draft, services)
        await uow.commit()
        return view


_PRESS_STEP = {"kat": "kategori", "jen": "jenis", "kec": "kecamatan", "kel": "kelurahan"}


def _apply_press(fields: dict[str, str], press: FormPress, rules) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if press.op in _PRESS_STEP:
        return form.choose(fields, _PRESS_STEP[press.op], press.value, rules)
    if press.op == "skip" and press.value in form.SKIPPABLE:
        return form.choose(fields, press.value, "-", rules)
    if press.op == "edit" and press.value in form.STEPS:
        return form.reopen(fields, press.value)
    return fields  # "back" and anything unknown: show the current step again


def _view(draft: Draft, services: Services) -> FormView:
    prompt = form.prompt(draft.id, draft.fields, services.rules)
    problems: list[Problem] = []
    if prompt.text_key == "form_summary":
        result = validate(draft.fields, services.rules)
        problems = result if isinstance(result, list) else []
    return FormView(draft.id, prompt, dict(draft.fields), problems)


@_history_after
async def form_text(services: Services, actor: Actor, chat_id: int, text: str, now: datetime,
                    message_id: int | None = None) -> IntakeOutcome | None:
    """A typed answer to the form's current question; None when no form waits for text here. A message already
    applied (the same update processed again after a crash) shows the form as it is, and answers nothing."""
    async with services.db.uow() as uow:
        draft = await uow.repo.open_draft(chat_id, actor.id)
        if draft is None:
            return None
        if refused := await _may_continue(uow, services, actor, draft, now) or await _expire(uow, services, draft,
                                                                                             now):
            return refused
        if message_id is not None and draft.last_message_id is not None and message_id <= draft.last_message_id:
            return _view(draft, services)
        if draft.step is None or draft.step in form.BUTTON_STEPS or draft.step == form.SUMMARY:
            return None
        step = draft.step
        draft = await _save(uow, draft, last_message_id=message_id)  # not committed when the answer is refused
        result = form.answer(draft.fields, step, text)
        if isinstance(result, Problem):
            return FormView(draft.id, form.prompt(draft.id, draft.fields, services.rules), dict(draft.fields),
                            [result])
        draft = await _save(uow, draft, fields=result, updated_at=now, step=form.next_step(result, services.rules))
        view = _view(draft, services)
        if step == "telepon":
            view = replace(view, history=await history_for_phone(uow, services, result.get("telepon"), now))
        await uow.commit()
        return view


# a location sent after a report -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LocationAdded:
    lat: float
    lon: float
    number: str | None  # None: added to the open draft


async def attach_location(services: Services, actor: Actor, chat_id: int, lat: float, lon: float,
                          now: datetime) -> LocationAdded | Refused:
    """A Telegram location goes to the open draft, else to this person's report of the last 10 minutes."""
    async with services.db.uow() as uow:
        role = await role_of(uow.repo, services, actor.id)
        if role not in INTAKE_ROLES:
            return Refused("ignore" if role is None else "lapor_not_allowed")
        draft = await _open_draft(uow, services, chat_id, actor.id, now)
        if isinstance(draft, Draft):
            await _save(uow, draft, fields={**draft.fields, "koordinat": f"{lat:.6f}, {lon:.6f}"}, updated_at=now)
            await uow.commit()
            return LocationAdded(lat, lon, None)
        incident = await uow.repo.latest_incident_by(actor.id, now - LOCATION_WINDOW)
        if incident is None or incident.lat is not None:
            return Refused("location_nothing")
        incident.lat, incident.lon, incident.updated_at = lat, lon, now
        uow.repo.event(now, "location_added", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, detail={"lat": lat, "lon": lon})
        await enqueue_card_edits(uow.repo, incident.id, now)  # the map link appears on every copy
        await uow.commit()
        return LocationAdded(lat, lon, incident.number)
