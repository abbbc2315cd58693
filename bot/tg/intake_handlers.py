"""Handlers for reports coming in: /lapor (one message or the guided form), its buttons and typed answers,
corrections, /batal, and a shared location."""

from __future__ import annotations

from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from ..clock import utcnow
from ..domain.callback_data import CallPress, FormPress
from ..domain.calls import history_line
from ..domain.parsing import has_known_key
from ..domain.render import render_fields, render_problems
from ..i18n import Html
from ..i18n.text import fit
from ..services import intake
from ..services.context import Services
from . import call_handlers
from .common import NO_PREVIEW, answer, is_private, pressed, reply, said
from .context import Context
from .keyboards import form_keyboard, keyboard


async def lapor(update: Update, context: Context) -> None:
    """/lapor [lines]: with lines, a one-message report; alone, the guided form."""
    if (got := said(update)) is None or got.message.text is None:
        return
    svc, text = context.services, got.message.text
    body = text.partition("\n")[2] if "\n" in text else " ".join(context.args or [])
    if body.strip():
        outcome = await intake.lapor(svc, got.actor, got.chat.id, got.private, got.message.message_id, body,
                                     utcnow())
    else:
        outcome = await intake.form_start(svc, got.actor, got.chat.id, got.private, utcnow())
    await _answer(got.message, outcome, context)


async def batal(update: Update, context: Context) -> None:
    """/batal: cancel this person's open draft here."""
    if (got := said(update)) is None:
        return
    outcome = await intake.cancel_draft(context.services, got.actor, got.chat.id, got.private, utcnow())
    await _answer(got.message, outcome, context)


async def text_message(update: Update, context: Context) -> None:
    """Plain text (private, or a reply to the bot in a group that is no reply to a card): a form answer or
    corrected report lines."""
    if (got := said(update)) is None or got.message.text is None:
        return
    svc, now = context.services, utcnow()
    # A form waiting for typed text takes it first; otherwise `key: value` lines correct the kept draft.
    outcome = await intake.form_text(svc, got.actor, got.chat.id, got.message.text, now, got.message.message_id)
    if outcome is None and not has_known_key(got.message.text) and await call_handlers.details(got, context):
        return  # the phone and a note of a call just logged
    if outcome is None:
        outcome = await intake.correct(svc, got.actor, got.chat.id, got.private, got.message.text, now)
    if outcome is not None:
        await _answer(got.message, outcome, context)


async def location(update: Update, context: Context) -> None:
    """A Telegram location: coordinates for the open draft or the report just sent."""
    if (got := said(update)) is None or got.message.location is None:
        return
    svc, loc = context.services, got.message.location
    result = await intake.attach_location(svc, got.actor, got.chat.id, loc.latitude, loc.longitude, utcnow())
    if isinstance(result, intake.Refused):
        if result.reason != "ignore":
            await reply(got.message, svc.tr(result.reason))
        return
    lat, lon = f"{result.lat:.5f}", f"{result.lon:.5f}"
    text = (svc.tr("location_attached_incident", lat=lat, lon=lon, number=result.number) if result.number
            else svc.tr("location_attached_draft", lat=lat, lon=lon))
    context.wake_sender()
    await reply(got.message, text)


async def form_button(update: Update, context: Context) -> None:
    """A press on the guided form; always answered, even when nothing changes."""
    if (got := await pressed(update, context, FormPress)) is None:
        return
    svc, query = context.services, got.query
    outcome = await intake.form_press(svc, got.actor, got.press, utcnow())
    if isinstance(outcome, intake.Refused):
        await answer(query, svc.tr(outcome.reason), show_alert=outcome.reason == "not_for_you")
        return
    await answer(query, svc.tr("cb_ok"))
    if isinstance(query.message, Message):
        text, markup = _render(outcome, svc, query.message.chat)
        try:
            await query.message.edit_text(fit(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                                          link_preview_options=NO_PREVIEW)
        except BadRequest as exc:  # a press that changes nothing (an old or forged button): already shown
            if "not modified" not in exc.message.lower():
                raise
    if isinstance(outcome, intake.Accepted):
        context.wake_sender()


async def _answer(message: Message, outcome: intake.IntakeOutcome, context: Context) -> None:
    svc = context.services
    if isinstance(outcome, intake.Refused) and outcome.reason == "ignore":
        return
    if isinstance(outcome, intake.Accepted) and not outcome.sender_has_all:
        context.wake_sender()  # the groups' posts need not wait for this answer
    text, markup = _render(outcome, svc, message.chat)
    await reply(message, text, reply_markup=markup)


def _render(outcome: intake.IntakeOutcome, svc: Services, chat: Chat) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = svc.tr
    if isinstance(outcome, intake.Accepted):
        targets = ", ".join(svc.rules.agency_name(k) for k in outcome.targets)
        text = tr("lapor_accepted", number=outcome.number, category=outcome.category, place=outcome.place,
                  targets=targets)
        if outcome.unknown_village:
            text = Html(f"{text}\n{tr('lapor_unknown_village', value=outcome.unknown_village)}")
        if outcome.history is not None and (seen := history_line(outcome.history, tr, svc.tz)):
            text = Html(f"{text}\n{seen}")  # the caller's number has called before
        return text, None
    if isinstance(outcome, intake.Duplicate):
        return tr("lapor_duplicate", number=outcome.number), None
    if isinstance(outcome, intake.NeedsFix):
        markup = _hearse_keyboard(outcome, svc)
        text = _needs_fix(outcome, svc, chat)
        if outcome.history is not None and (seen := history_line(outcome.history, tr, svc.tz)):
            text = Html(f"{seen}\n\n{text}")  # the caller's number has called before: seen first
        return (Html(text + "\n\n" + tr("hearse_sop_choices")) if markup else text), markup
    if isinstance(outcome, intake.RateLimited):
        return tr("rate_limited", seconds=outcome.seconds), None
    if isinstance(outcome, intake.Cancelled):
        return tr("form_cancelled"), None
    if isinstance(outcome, intake.FormView):
        text = _form_text(outcome, svc)
        if outcome.history is not None and (seen := history_line(outcome.history, tr, svc.tz)):
            text = Html(f"{seen}\n\n{text}")
        return text, form_keyboard(outcome.prompt, tr)
    return tr(outcome.reason), None


def _hearse_keyboard(outcome: intake.NeedsFix, svc: Services) -> InlineKeyboardMarkup | None:
    """A hearse outside the SOP: one tap records it as a call instead (the draft is closed)."""
    if not any(p.code == "hearse_sop" for p in outcome.problems):
        return None
    return keyboard([[(str(svc.tr("call_btn.hearse")), CallPress("jnz", outcome.draft_id).encode())]])


def _needs_fix(outcome: intake.NeedsFix, svc: Services, chat: Chat) -> Html:
    tr = svc.tr
    first = outcome.problems[0]
    suggestion = first.params.get("suggestions", "").split(",")[0].strip() or "…"
    example = f"{first.field}: {suggestion}"
    how = tr("lapor_problems_reply") if not is_private(chat) else ""
    text = tr("lapor_problems", problems=render_problems(outcome.problems, tr), how=how, example=example)
    return Html(text + "\n\n" + tr("lapor_draft_fields", fields=render_fields(outcome.fields, tr)))


def _form_text(view: intake.FormView, svc: Services) -> Html:
    tr = svc.tr
    if view.prompt.text_key == "form_summary":
        fields = render_fields(view.fields, tr)
        if view.problems:
            return tr("form_summary_problems", fields=fields, problems=render_problems(view.problems, tr))
        return tr("form_summary", fields=fields)
    text = tr(view.prompt.text_key, **view.prompt.params)
    if view.problems:
        return Html(tr("form_bad_value", problem=render_problems(view.problems, tr)) + "\n" + text)
    return text
