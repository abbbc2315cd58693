"""The call log: /panggilan records a call without posting it anywhere (one tap, or one line), a reply adds the
phone and a note, /nomor shows a number's history; every report filed is a call of kind "darurat"; a hearse
request outside the SOP becomes a call. The supervisors' weekly list of repeat nuisance numbers, and the
retention of phones, run from the sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.calls import (
    HISTORY_WINDOW,
    KIND_CODES,
    NUISANCE,
    CallKind,
    CallLine,
    History,
    call_time,
    counted_history,
    history_of,
    parse_call_line,
    phone_and_note,
    repeat_numbers,
)
from ..domain.model import Role
from ..domain.parsing import normalise_phone
from ..domain.privacy import phone_tail, show_phone
from ..i18n import Html
from . import deliveries
from .context import Actor, Services
from .desk import _desk_gate

DETAILS_WINDOW = timedelta(minutes=10)  # in private, plain text within this time adds to the call just logged
WEEKLY_AT = time(8, 0)  # the weekly list goes out on Monday at 08:00 (local)
REPEAT_AT_LEAST = 2


@dataclass(frozen=True)
class Logged:
    """A call as recorded, and what the call taker sees about its number."""

    kind: str
    called_at: datetime
    phone: str | None
    note: str | None
    history: History | None  # the number's earlier calls; None without a number
    details_open: bool = False  # a reply may still add the phone and a note


@dataclass(frozen=True)
class CallRefused:
    key: str  # catalogue key; "ignore": no answer
    value: str = ""


CallOutcome = Logged | CallRefused


def _logged(row: db.Call, history: History | None) -> Logged:
    return Logged(row.kind, row.called_at, row.phone, row.note, history, row.details_open)


async def _history(uow: UnitOfWork, services: Services, phone: str | None, now: datetime,
                   exclude_id: int | None) -> History | None:
    if phone is None:
        return None
    return counted_history(await uow.repo.kinds_of_phone(phone, now - HISTORY_WINDOW, now, exclude_id))


async def log_line(services: Services, actor: Actor, chat_id: int, private: bool, message_id: int, text: str,
                   now: datetime) -> CallOutcome:
    """/panggilan iseng 0812… catatan: recorded at once. The same message seen again records nothing new."""
    line = parse_call_line(text)
    async with services.db.uow() as uow:
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return CallRefused(refused)
        if not isinstance(line, CallLine):
            return CallRefused(line.key, line.value)
        source = f"msg:{chat_id}:{message_id}"
        row = await uow.repo.call_by_source(source)
        if row is None:
            row = uow.repo.add_call(source, line.kind, line.phone, line.note, now, chat_id, actor.id, actor.name, now)
            await uow.repo.flush()
        result = _logged(row, await _history(uow, services, row.phone, now, row.id))
        await uow.commit()
        return result


async def may_log(services: Services, actor: Actor, chat_id: int, private: bool) -> CallRefused | None:
    """/panggilan alone: who may see the keyboard of kinds here."""
    async with services.db.uow() as uow:
        refused = await _desk_gate(uow, services, actor, chat_id, private)
        return CallRefused(refused) if refused else None


async def log_press(services: Services, actor: Actor, chat_id: int, private: bool, prompt_id: int, code: str,
                    called_at: datetime, now: datetime) -> CallOutcome:
    """A kind tapped on /panggilan's keyboard: the call, as of when /panggilan was answered. Pressed again (or a
    second kind), the same call changes kind; a reply to the message may then add the phone and a note."""
    kind = KIND_CODES.get(code)
    async with services.db.uow() as uow:
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return CallRefused(refused)
        if kind is None:
            return CallRefused("unknown_button")
        source = f"prompt:{chat_id}:{prompt_id}"
        row = await uow.repo.call_by_source(source)
        if row is None:
            row = uow.repo.add_call(source, kind, None, None, min(called_at, now), chat_id, actor.id, actor.name, now,
                                    details_open=True)
        else:
            row.kind, row.updated_at = kind, now
        await uow.repo.flush()
        result = _logged(row, await _history(uow, services, row.phone, now, row.id))
        await uow.commit()
        return result


async def finish(services: Services, actor: Actor, chat_id: int, private: bool, prompt_id: int,
                 now: datetime) -> CallOutcome:
    """Selesai: no phone or note is coming for this call."""
    async with services.db.uow() as uow:
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return CallRefused(refused)
        row = await uow.repo.call_by_source(f"prompt:{chat_id}:{prompt_id}")
        if row is None:
            return CallRefused("call_pick_first")
        row.details_open, row.updated_at = False, now
        result = _logged(row, await _history(uow, services, row.phone, now, row.id))
        await uow.commit()
        return result


async def add_details(services: Services, actor: Actor, chat_id: int, private: bool, reply_to: int | None,
                      text: str, now: datetime) -> CallOutcome | None:
    """'0812… anak-anak tertawa' as a reply to a logged call (or, in private, just after logging one and opening
    with a phone number — any other text there is no call's: a report line, an incident number…): its phone and
    note. None when the text is not meant for a call."""
    given = phone_and_note(text)
    async with services.db.uow() as uow:
        row = await uow.repo.call_by_source(f"prompt:{chat_id}:{reply_to}") if reply_to is not None else None
        if row is None and private and given.phone is not None:
            row = await uow.repo.open_call_of(chat_id, actor.id, now - DETAILS_WINDOW)
        if row is None:
            return None
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return CallRefused(refused)
        if given.bad_phone:
            return CallRefused("call_bad_phone", given.bad_phone)
        if given.phone:
            row.phone = given.phone
        if given.note and given.note not in (row.note or ""):  # the same reply replayed adds nothing
            row.note = given.note if not row.note else f"{row.note} · {given.note}"[:1000]
        row.details_open, row.updated_at = False, now
        result = _logged(row, await _history(uow, services, row.phone, now, row.id))
        await uow.commit()
        return result


@dataclass(frozen=True)
class NumberHistory:
    phone: str
    history: History


async def number_history(services: Services, actor: Actor, chat_id: int, private: bool, text: str,
                         now: datetime) -> NumberHistory | CallRefused:
    """/nomor <telepon>: the number's calls within the retention (call center only; the look-up is audited)."""
    async with services.db.uow() as uow:
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return CallRefused(refused)
        phone = normalise_phone(text)
        if phone is None:
            return CallRefused("call_bad_phone", text)
        since, window = now - services.call_phone_retention, services.call_phone_retention
        # Counted in the database (every call), the latest listed from a page of them.
        listed = history_of(await uow.repo.calls_of_phone(phone, since), now, window).calls
        history = counted_history(await uow.repo.kinds_of_phone(phone, since, now), window, listed)
        uow.repo.event(now, "number_history", actor_id=actor.id, actor_name=actor.name, chat_id=chat_id,
                       detail={"phone": phone_tail(phone), "calls": history.total})
        await uow.commit()
        return NumberHistory(phone, history)


# reports are calls too ------------------------------------------------------------------------------------------
async def record_report_call(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int, incident_id: int,
                             phone: str | None, typed_time: str | None, started: datetime, now: datetime) -> int:
    """A report just filed, as a call of kind "darurat": it came in at `waktu_panggilan:` (WIT), else when the desk
    began the draft. Returns the call's id (report_history reads the number's earlier calls after the commit)."""
    called_at = call_time(typed_time, now, services.tz, started)
    row = uow.repo.add_call(f"incident:{incident_id}", CallKind.DARURAT, phone, None, called_at, chat_id, actor.id,
                            actor.name, now, incident_id=incident_id)
    await uow.repo.flush()
    return row.id


async def report_history(services: Services, phone: str | None, now: datetime, call_id: int) -> History | None:
    """The earlier calls of a report's number for the call taker: read after the report's commit, in a
    transaction of its own, so that the groups' cards do not wait for it."""
    if phone is None:
        return None
    async with services.db.uow() as uow:
        return await _history(uow, services, phone, now, call_id)


async def history_for_phone(uow: UnitOfWork, services: Services, typed: str | None, now: datetime) -> History | None:
    """The history of a phone typed in a draft not filed yet (None when it is no number)."""
    phone = normalise_phone(typed) if typed else None
    return await _history(uow, services, phone, now, None)


async def hearse_call(services: Services, actor: Actor, draft_id: int, now: datetime) -> CallOutcome:
    """A hearse request the SOP does not cover, from its draft: recorded as a call with its route as the reason;
    the draft is closed. Only the draft's owner may."""
    async with services.db.uow() as uow:
        draft = await uow.repo.draft(draft_id)
        if draft is None or draft.user_id != actor.id:
            return CallRefused("not_for_you")
        if refused := await _desk_gate(uow, services, actor, draft.chat_id, draft.chat_id == actor.id):
            return CallRefused(refused)
        if draft.status != "open":
            return CallRefused("form_expired")
        f = draft.fields
        reason = " · ".join(p for p in (f"{f.get('asal', '-')} → {f.get('tujuan', '-')}", f.get("keterangan")) if p)
        phone = normalise_phone(f["telepon"]) if f.get("telepon") else None
        called_at = call_time(f.get("waktu_panggilan"), now, services.tz, draft.created_at)
        row = uow.repo.add_call(f"draft:{draft.id}", CallKind.JENAZAH, phone, reason[:500], called_at, draft.chat_id,
                                actor.id, actor.name, now)
        await uow.repo.set_draft_status(draft.id, "open", "cancelled", now)
        await uow.repo.flush()
        result = _logged(row, await _history(uow, services, phone, now, row.id))
        await uow.commit()
        return result


# the sweep: retention and the supervisors' weekly list ---------------------------------------------------------
async def forget_old_phones(services: Services, now: datetime) -> int:
    """Remove phones older than the retention from the call log (the calls stay); once an hour at most."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    async with services.db.uow() as uow:
        if not await uow.repo.claim_run("call_phone_retention", hour.isoformat(timespec="minutes"), now):
            return 0
        removed = await uow.repo.forget_phones(now - services.call_phone_retention, now)
        if removed:
            uow.repo.event(now, "call_phones_removed", detail={"count": removed})
        await uow.commit()
        return removed


def weekly_due(services: Services, now: datetime) -> datetime | None:
    """This week's Monday 08:00 (local) when it has passed, else None."""
    local = now.astimezone(services.tz)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), WEEKLY_AT, tzinfo=services.tz)
    return monday if monday <= now else None


async def post_weekly_repeats(uow: UnitOfWork, services: Services, week_at: datetime, now: datetime) -> int:
    """To every supervisor and admin, privately (the numbers are shown whole): the numbers with repeated prank or
    silent calls in the last 7 days."""
    rows = await uow.repo.nuisance_numbers(sorted(NUISANCE), week_at - timedelta(days=7), week_at)
    repeats = repeat_numbers(rows, REPEAT_AT_LEAST)
    tr, tz = services.tr, services.tz
    lines = [tr("weekly_repeats_title", start=f"{week_at - timedelta(days=7):%d-%m}", end=f"{week_at:%d-%m}")]
    lines += [tr("weekly_repeats_line", phone=show_phone(r.phone), count=r.count,
                 last=r.last.astimezone(tz).strftime("%d-%m %H.%M")) for r in repeats[:50]]
    if not repeats:
        lines.append(tr("weekly_repeats_none"))
    text = Html("\n".join(lines))
    supervisors = await uow.repo.people_with_role({Role.SUPERVISOR.value, Role.ADMIN.value})
    for chat_id in sorted({p.telegram_id for p in supervisors} | set(services.admin_ids)):
        deliveries.notice(uow.repo, chat_id, text, now)
    uow.repo.event(now, "weekly_repeat_numbers", detail={"count": len(repeats)})
    return len(repeats)
