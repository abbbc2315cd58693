"""Handlers of the incident lifecycle: agency buttons and replies, the caller confirmation, desk commands."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from ..clock import utcnow
from ..domain.callback_data import AgencyPress, ConfirmPress, PhonePress, card_incident, decode
from ..domain.lifecycle import Action, TargetStatus, Verdict
from ..domain.privacy import Audience, show_phone
from ..domain.render import render_card
from ..domain.text import fit
from ..domain.timeline import active_lines, render_timeline
from ..i18n import Html
from ..services import desk, lifecycle, reveal
from ..services.context import Services
from .handlers import actor_of, answer, is_private, reply, services_of, wake_sender


async def agency_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """✅/🚑/📍/🏁 on a card: one agency's step; always answered with a short popup."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services_of(context)
    press = decode(query.data)
    if not isinstance(press, AgencyPress):
        await answer(query, svc.tr("unknown_button"))
        return
    copy = query.message.message_id if query.message and card_of(query.message, context) == press.incident_id \
        else None
    result = await lifecycle.press(svc, actor_of(user), chat.id, press.incident_id, Action(press.action), utcnow(),
                                   copy_id=copy)
    await answer(query, _press_text(result, press.action, svc, user.id), show_alert=result.verdict != Verdict.OK)
    if result.verdict == Verdict.OK:
        wake_sender(context)


def _press_text(result: lifecycle.PressResult, action: str, svc: Services, user_id: int) -> str:
    tr = svc.tr
    agency = svc.rules.agency_name(result.agency_key) if result.agency_key else ""
    step = tr(f"step_word.{result.status.value}") if isinstance(result.status, TargetStatus) else ""
    if result.verdict == Verdict.OK:
        return tr(f"press.ok.{action}", agency=agency)
    if result.verdict == "unknown":
        return tr("press.unknown")
    return tr(f"press.{result.verdict}", agency=agency, step=step, number=result.number or "", user_id=user_id)


async def confirm_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The call taker's answer after calling the caller back."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services_of(context)
    press = decode(query.data)
    if not isinstance(press, ConfirmPress):
        await answer(query, svc.tr("unknown_button"))
        return
    result = await desk.confirm(svc, actor_of(user), chat.id, press.incident_id, press.answer, utcnow())
    text = _desk_text(result, svc)
    await answer(query, text, show_alert=result.key != "confirm_done")
    if result.key == "confirm_done" and isinstance(query.message, Message):
        await query.message.edit_text(fit(text), parse_mode="HTML")
        wake_sender(context)


async def card_reply(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A reply to a card: claim with a note, a progress note, or a comment. False when it is no card."""
    user, svc = message.from_user, services_of(context)
    if user is None or message.reply_to_message is None or message.text is None:
        return False
    result = await lifecycle.reply(svc, actor_of(user), message.chat.id, message.reply_to_message.message_id,
                                   message.text, utcnow(), message_id=message.message_id,
                                   card_of=card_of(message.reply_to_message, context))
    if result is None:
        return False
    agency = svc.rules.agency_name(result.agency_key) if result.agency_key else ""
    note = message.text.strip()[:200]
    await reply(message, svc.tr(result.kind, agency=agency, number=result.number, note=note, step="",
                                user_id=user.id))
    wake_sender(context)
    return True


def card_of(message: object, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The incident of a card the bot posted, read from its step buttons (recorded or not)."""
    if not isinstance(message, Message) or message.from_user is None or message.from_user.id != context.bot.id:
        return None
    markup = message.reply_markup
    datas = [b.callback_data for row in markup.inline_keyboard for b in row] if markup else []
    return card_incident([d for d in datas if isinstance(d, str)]) if datas else None


def _desk_text(result: desk.DeskResult, svc: Services) -> Html:
    tr = svc.tr
    params: dict[str, object] = dict(result.params)
    if result.key == "desk_closed":
        params["outcome"] = tr(f"outcome.{params['outcome']}")
    if result.key == "confirm_done":
        params["result"] = tr(f"confirm_result.{params['result']}")
    return tr(result.key, **params)


async def _run_desk(update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, min_args: int,
                    call) -> None:  # type: ignore[no-untyped-def]
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc, args = services_of(context), context.args or []
    if len(args) < min_args:
        await reply(message, svc.tr(usage))
        return
    result = await call(svc, actor_of(user), chat.id, is_private(chat), args)
    if isinstance(result, desk.DeskResult) and result.key == "ignore":
        return
    await reply(message, _desk_text(result, svc))
    wake_sender(context)


async def tutup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tutup <nomor> <hasil> [catatan]: close with an outcome."""
    await _run_desk(update, context, "usage.tutup", 2, lambda s, a, c, p, args: desk.close(
        s, a, c, p, args[0], args[1].lower(), " ".join(args[2:]), utcnow()))


async def buka(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/buka <nomor>: reopen a closed incident."""
    await _run_desk(update, context, "usage.buka", 1, lambda s, a, c, p, args: desk.reopen(
        s, a, c, p, args[0], utcnow()))


async def tambah(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tambah <nomor> <instansi>: bring in another agency."""
    await _run_desk(update, context, "usage.tambah", 2, lambda s, a, c, p, args: desk.add_agency(
        s, a, c, p, args[0], args[1].lower(), utcnow()))


async def prioritas(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/prioritas <nomor> <prioritas>: change the priority."""
    await _run_desk(update, context, "usage.prioritas", 2, lambda s, a, c, p, args: desk.set_priority(
        s, a, c, p, args[0], args[1].lower(), utcnow()))


async def catatan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/catatan <nomor> <teks>: a call center note in the timeline."""
    await _run_desk(update, context, "usage.catatan", 2, lambda s, a, c, p, args: desk.add_note(
        s, a, c, p, args[0], " ".join(args[1:]), utcnow()))


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status <nomor>: the card and the whole timeline."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc = services_of(context)
    if not context.args:
        await reply(message, svc.tr("usage.status"))
        return
    result = await desk.timeline(svc, actor_of(user), chat.id, is_private(chat), context.args[0], utcnow())
    if isinstance(result, desk.DeskResult):
        if result.key != "ignore":
            await reply(message, _desk_text(result, svc))
        return
    card = render_card(result.incident, svc.rules, svc.tr, svc.tz, audience=Audience.DESK,
                       targets=result.targets)
    labels = {k: p.label for k, p in svc.rules.priorities.items()}
    await reply(message, render_timeline(result.number, card, result.entries, svc.tr, svc.tz, labels))


async def aktif(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/aktif: open incidents, their age and the agencies that have not responded."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc, now = services_of(context), utcnow()
    result = await desk.active(svc, actor_of(user), chat.id, is_private(chat))
    if isinstance(result, desk.DeskResult):
        if result.key != "ignore":
            await reply(message, _desk_text(result, svc))
        return
    await reply(message, active_lines(result, svc.tr, now))


async def phone_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """📞 on a responder's card: the caller's full number in an alert only the presser sees, or a polite no."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services_of(context)
    press = decode(query.data)
    if not isinstance(press, PhonePress):
        await answer(query, svc.tr("unknown_button"))
        return
    result = await reveal.reveal_phone(svc, actor_of(user), chat.id, press.incident_id, utcnow())
    await answer(query, _reveal_text(result, svc, user.id), show_alert=True)


def _reveal_text(result: reveal.Reveal, svc: Services, user_id: int) -> str:
    tr = svc.tr
    agency = svc.rules.agency_name(result.agency_key) if result.agency_key else ""
    if result.verdict == Verdict.OK and result.phone:
        return tr("phone.ok", number=result.number or "", phone=show_phone(result.phone))
    if result.verdict == reveal.UNKNOWN:
        return tr("press.unknown")
    key = {Verdict.UNREGISTERED: "phone.unregistered", Verdict.CLOSED: "phone.closed",
           reveal.NO_PHONE: "phone.none"}.get(result.verdict, "phone.not_allowed")
    return tr(key, agency=agency, number=result.number or "", user_id=user_id)
