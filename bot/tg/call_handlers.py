"""Handlers for the call log: /panggilan (a keyboard of kinds, or one line), its buttons, a reply with the phone and
a note, /nomor; and the call taker's view of a number's history. Nothing here posts to any group."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from ..clock import utcnow
from ..domain import calls as calls_view
from ..domain.callback_data import CallPress
from ..domain.calls import CODE_OF, PICKABLE, history_text
from ..domain.privacy import show_phone
from ..i18n import Html
from ..i18n.text import fit
from ..services import calls
from ..services.context import Services
from .common import NO_PREVIEW, Said, answer, is_private, pressed, reply, said
from .context import Context
from .keyboards import Rows, keyboard

KIND_ROWS = 2  # kinds per row: big enough to hit at 3 a.m.


def kinds_rows(svc: Services) -> Rows:
    buttons = [(str(svc.tr(f"call_btn.{kind}")), CallPress(CODE_OF[kind]).encode()) for kind in PICKABLE]
    return [buttons[i:i + KIND_ROWS] for i in range(0, len(buttons), KIND_ROWS)]


async def panggilan(update: Update, context: Context) -> None:
    """/panggilan [jenis] [telepon] [catatan]: log a call; alone, a keyboard of kinds."""
    if (got := said(update)) is None or got.message.text is None:
        return
    svc, now = context.services, utcnow()
    body = " ".join(context.args or [])
    if not body.strip():
        refused = await calls.may_log(svc, got.actor, got.chat.id, got.private)
        if refused is not None:
            await _refused(got.message, refused, svc)
            return
        await reply(got.message, svc.tr("call_pick"), reply_markup=keyboard(kinds_rows(svc)))
        return
    result = await calls.log_line(svc, got.actor, got.chat.id, got.private, got.message.message_id, body, now)
    if isinstance(result, calls.CallRefused):
        await _refused(got.message, result, svc)
        return
    await reply(got.message, logged_text(result, svc))


async def nomor(update: Update, context: Context) -> None:
    """/nomor <telepon>: the number's calls (call center only)."""
    if (got := said(update)) is None:
        return
    svc = context.services
    if not context.args:
        await reply(got.message, svc.tr("usage.nomor"))
        return
    result = await calls.number_history(svc, got.actor, got.chat.id, got.private, " ".join(context.args), utcnow())
    if isinstance(result, calls.CallRefused):
        await _refused(got.message, result, svc)
        return
    await reply(got.message, history_text(show_phone(result.phone), result.history, svc.tr, svc.tz))


async def call_button(update: Update, context: Context) -> None:
    """A kind tapped, Selesai, or a refused hearse recorded as a call; always answered."""
    if (got := await pressed(update, context, CallPress)) is None:
        return
    svc, query, press, now = context.services, got.query, got.press, utcnow()
    message = query.message if isinstance(query.message, Message) else None
    private = is_private(got.chat)
    if press.code == "jnz" and press.ref:
        result = await calls.hearse_call(svc, got.actor, press.ref, now)
    elif message is None:
        result = calls.CallRefused("unknown_button")
    elif press.code == "ok":
        result = await calls.finish(svc, got.actor, got.chat.id, private, message.message_id, now)
    else:
        result = await calls.log_press(svc, got.actor, got.chat.id, private, message.message_id, press.code,
                                       message.date, now)
    if isinstance(result, calls.CallRefused):
        text = svc.tr(result.key, value=result.value) if result.key != "ignore" else svc.tr("unknown_button")
        await answer(query, text, show_alert=result.key == "not_for_you")
        return
    await answer(query, svc.tr("cb_ok"))
    if message is not None:
        done = [[(str(svc.tr("call_btn.done")), CallPress("ok").encode())]] if result.details_open else []
        try:
            await message.edit_text(fit(logged_text(result, svc)), parse_mode=ParseMode.HTML,
                                    reply_markup=keyboard(done), link_preview_options=NO_PREVIEW)
        except BadRequest as exc:  # pressed twice: already shown
            if "not modified" not in exc.message.lower():
                raise


async def details(got: Said, context: Context) -> bool:
    """Text that adds the phone and a note to a call just logged (a reply to it, or in private right after);
    False when the text is not for a call."""
    svc, message = context.services, got.message
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    result = await calls.add_details(svc, got.actor, got.chat.id, got.private,
                                     replied.message_id if to_bot and replied else None, message.text or "", utcnow())
    if result is None:
        return False
    if isinstance(result, calls.CallRefused):
        await _refused(message, result, svc)
        return True
    await reply(message, logged_text(result, svc))
    return True


def logged_text(result: calls.Logged, svc: Services) -> Html:
    return calls_view.logged_text(result.kind, result.called_at, result.phone, result.note, result.history,
                                  result.details_open, svc.tr, svc.tz)


async def _refused(message: Message, refused: calls.CallRefused, svc: Services) -> None:
    if refused.key != "ignore":
        await reply(message, svc.tr(refused.key, value=refused.value))
