"""Handlers for the call center desk: /tutup, /buka, /tambah, /prioritas, /catatan, /catat, /kabari, /lepas, /ubah,
/tunda, /status, /aktif, and the call taker's answer after calling the caller back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Message, Update

from ..clock import utcnow
from ..domain.callback_data import ConfirmPress
from ..domain.render import render_card
from ..domain.timeline import active_lines, render_timeline
from ..i18n import Html
from ..i18n.text import fit
from ..services import corrections, desk, desk_acts
from ..services.context import Services
from .common import Said, answer, pressed, reply, said
from .context import Context

# A desk command's use case: the services, who typed it where, and the command's arguments (enough of them).
DeskCall = Callable[[Services, Said, list[str]], Awaitable[desk.DeskResult]]


async def _close(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.close(svc, got.actor, got.chat.id, got.private, args[0], args[1].lower(), " ".join(args[2:]),
                            utcnow())


async def _reopen(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.reopen(svc, got.actor, got.chat.id, got.private, args[0], utcnow())


async def _add_agency(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.add_agency(svc, got.actor, got.chat.id, got.private, args[0], args[1].lower(), utcnow())


async def _set_priority(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.set_priority(svc, got.actor, got.chat.id, got.private, args[0], args[1].lower(), utcnow())


async def _add_note(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.add_note(svc, got.actor, got.chat.id, got.private, args[0], " ".join(args[1:]), utcnow())


async def _record_step(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk_acts.record_step(svc, got.actor, got.chat.id, got.private, args[0], args[1].lower(), args[2],
                                       " ".join(args[3:]), utcnow())


async def _post_update(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk_acts.post_update(svc, got.actor, got.chat.id, got.private, args[0], " ".join(args[1:]),
                                       utcnow())


async def _release(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk_acts.release(svc, got.actor, got.chat.id, got.private, args[0], args[1].lower(),
                                   " ".join(args[2:]), utcnow())


async def _edit_report(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    # The lines after the number, as typed (the arguments have lost the line breaks the keys need).
    body = (got.message.text or "").split(None, 2)[2] if len(args) > 1 else ""
    return await corrections.edit_report(svc, got.actor, got.chat.id, got.private, args[0], body, utcnow())


async def _snooze(svc: Services, got: Said, args: list[str]) -> desk.DeskResult:
    return await desk.snooze(svc, got.actor, got.chat.id, got.private, args[0], args[1], " ".join(args[2:]),
                             utcnow())


async def _run_desk(update: Update, context: Context, usage: str, min_args: int, call: DeskCall,
                    wake_sender: bool = True) -> None:
    """Usage when arguments are missing; else the use case, its answer, and the sender woken for what it queued."""
    if (got := said(update)) is None:
        return
    svc, args = context.services, context.args or []
    if len(args) < min_args:
        await reply(got.message, svc.tr(usage))
        return
    result = await call(svc, got, args)
    if result.key == "ignore":
        return
    await reply(got.message, desk_text(result, svc))
    if wake_sender:
        context.wake_sender()


async def tutup(update: Update, context: Context) -> None:
    """/tutup <nomor> <hasil> [catatan]: close with an outcome."""
    await _run_desk(update, context, "usage.tutup", 2, _close)


async def buka(update: Update, context: Context) -> None:
    """/buka <nomor>: reopen a closed incident."""
    await _run_desk(update, context, "usage.buka", 1, _reopen)


async def tambah(update: Update, context: Context) -> None:
    """/tambah <nomor> <instansi>: bring in another agency."""
    await _run_desk(update, context, "usage.tambah", 2, _add_agency)


async def prioritas(update: Update, context: Context) -> None:
    """/prioritas <nomor> <prioritas>: change the priority."""
    await _run_desk(update, context, "usage.prioritas", 2, _set_priority)


async def catatan(update: Update, context: Context) -> None:
    """/catatan <nomor> <teks>: a call center note in the timeline."""
    await _run_desk(update, context, "usage.catatan", 2, _add_note)


async def catat(update: Update, context: Context) -> None:
    """/catat <nomor> <instansi> <langkah> [catatan]: a step an agency reported by radio or phone."""
    await _run_desk(update, context, "usage.catat", 3, _record_step)


async def kabari(update: Update, context: Context) -> None:
    """/kabari <nomor> <teks>: a short update to every group of the incident."""
    await _run_desk(update, context, "usage.kabari", 2, _post_update)


async def lepas(update: Update, context: Context) -> None:
    """/lepas <nomor> <instansi> [alasan]: take a wrongly routed agency off an incident."""
    await _run_desk(update, context, "usage.lepas", 2, _release)


async def ubah(update: Update, context: Context) -> None:
    """/ubah <nomor> + `kunci: nilai` lines: correct a filed report."""
    await _run_desk(update, context, "usage.ubah", 1, _edit_report)


async def tunda(update: Update, context: Context) -> None:
    """/tunda <nomor> <durasi> <alasan>: pause the chase on one incident (supervisors)."""
    await _run_desk(update, context, "usage.tunda", 3, _snooze, wake_sender=False)  # a pause sends nothing


async def status(update: Update, context: Context) -> None:
    """/status <nomor>: the card and the whole timeline."""
    if (got := said(update)) is None:
        return
    svc = context.services
    if not context.args:
        await reply(got.message, svc.tr("usage.status"))
        return
    result = await desk.timeline(svc, got.actor, got.chat.id, got.private, context.args[0], utcnow())
    if isinstance(result, desk.DeskResult):
        if result.key != "ignore":
            await reply(got.message, desk_text(result, svc))
        return
    card = render_card(result.incident, svc.rules, svc.tr, svc.tz, audience=result.audience,
                       targets=result.targets)
    labels = {k: p.label for k, p in svc.rules.priorities.items()}
    await reply(got.message, render_timeline(result.number, card, result.entries, svc.tr, svc.tz, labels))


async def aktif(update: Update, context: Context) -> None:
    """/aktif: open incidents, their age and the agencies that have not responded."""
    if (got := said(update)) is None:
        return
    svc, now = context.services, utcnow()
    result = await desk.active(svc, got.actor, got.chat.id, got.private)
    if isinstance(result, desk.DeskResult):
        if result.key != "ignore":
            await reply(got.message, desk_text(result, svc))
        return
    await reply(got.message, active_lines(result, svc.tr, now))


async def confirm_button(update: Update, context: Context) -> None:
    """The call taker's answer after calling the caller back."""
    if (got := await pressed(update, context, ConfirmPress)) is None:
        return
    svc, query = context.services, got.query
    result = await desk.confirm(svc, got.actor, got.chat.id, got.press.incident_id, got.press.answer, utcnow())
    text = desk_text(result, svc)
    await answer(query, text, show_alert=result.key != "confirm_done")
    if result.key == "confirm_done" and isinstance(query.message, Message):
        await query.message.edit_text(fit(text), parse_mode="HTML")
        context.wake_sender()


def desk_text(result: desk.DeskResult, svc: Services) -> Html:
    tr = svc.tr
    params: dict[str, object] = dict(result.params)
    if result.key == "desk_closed":
        params["outcome"] = tr(f"outcome.{params['outcome']}")
    if result.key == "confirm_done":
        params["result"] = tr(f"confirm_result.{params['result']}")
    return tr(result.key, **params)
