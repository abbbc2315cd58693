"""Handlers for an incident's card in an agency group: its step buttons (✅/🚑/📍/🏁), 📞, and replies to it."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from ..clock import utcnow
from ..domain.callback_data import AgencyPress, PhonePress, card_incident
from ..domain.lifecycle import Action, TargetStatus, Verdict
from ..domain.model import numbers_in
from ..domain.privacy import show_phone
from ..services import lifecycle, reveal
from ..services.context import Services
from .common import answer, pressed, reply, said
from .context import Context
from .keyboards import callback_datas


async def agency_button(update: Update, context: Context) -> None:
    """✅/🚑/📍/🏁 on a card: one agency's step; always answered with a short popup."""
    if (got := await pressed(update, context, AgencyPress)) is None:
        return
    svc, query, press = context.services, got.query, got.press
    copy = query.message.message_id if query.message and card_of(query.message, context) == press.incident_id \
        else None
    result = await lifecycle.press(svc, got.actor, got.chat.id, press.incident_id, Action(press.action), utcnow(),
                                   copy_id=copy, thread_id=got.topic)
    await answer(query, _press_text(result, press.action, svc, got.user.id),
                 show_alert=result.verdict != Verdict.OK)
    if result.verdict == Verdict.OK:
        context.wake_sender()


def _press_text(result: lifecycle.PressResult, action: str, svc: Services, user_id: int) -> str:
    tr = svc.tr
    agency = svc.rules.agency_name(result.agency_key) if result.agency_key else ""
    step = tr(f"step_word.{result.status.value}") if isinstance(result.status, TargetStatus) else ""
    if result.verdict == Verdict.OK:
        return tr(f"press.ok.{action}", agency=agency)
    if result.verdict == "unknown":
        return tr("press.unknown")
    return tr(f"press.{result.verdict}", agency=agency, step=step, number=result.number or "", user_id=user_id)


async def phone_button(update: Update, context: Context) -> None:
    """📞 on a responder's card: the caller's full number in an alert only the presser sees, or a polite no."""
    if (got := await pressed(update, context, PhonePress)) is None:
        return
    svc = context.services
    result = await reveal.reveal_phone(svc, got.actor, got.chat.id, got.press.incident_id, utcnow(), got.topic)
    await answer(got.query, _reveal_text(result, svc, got.user.id), show_alert=True)


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


async def card_reply(update: Update, context: Context) -> None:
    """A reply in a group (its own handler group, before the others): claim with a note, a progress note, or a
    comment — and then no other handler sees it. A reply to anything else goes on to the other handlers."""
    if (got := said(update)) is None:
        return
    message, svc = got.message, context.services
    if message.reply_to_message is None or message.text is None:
        return
    replied = message.reply_to_message
    result = await lifecycle.reply(svc, got.actor, got.chat.id, replied.message_id, message.text, utcnow(),
                                   message_id=message.message_id, card_of=card_of(replied, context),
                                   about=named_by_bot(replied, context), thread_id=got.topic)
    if result is None:
        return
    agency = svc.rules.agency_name(result.agency_key) if result.agency_key else ""
    note = message.text.strip()[:200]
    await reply(message, svc.tr(result.kind, agency=agency, number=result.number, note=note, step="",
                                user_id=got.user.id))
    context.wake_sender()
    raise ApplicationHandlerStop


def named_by_bot(message: object, context: Context) -> str | None:
    """The one incident number a message of the bot's names (a reminder, an alert), else None."""
    if not isinstance(message, Message) or message.from_user is None or message.from_user.id != context.bot.id:
        return None
    numbers = numbers_in(message.text or "")
    return numbers[0] if len(numbers) == 1 else None


def card_of(message: object, context: Context) -> int | None:
    """The incident of a card the bot posted, read from its step buttons (recorded or not)."""
    if not isinstance(message, Message) or message.from_user is None or message.from_user.id != context.bot.id:
        return None
    datas = callback_datas(message.reply_markup)
    return card_incident(datas) if datas else None

