"""Thin Telegram handlers: read the update, call one use case, answer. No SQL, no rules logic here."""

from __future__ import annotations

import logging
from collections import OrderedDict

from telegram import CallbackQuery, Chat, LinkPreviewOptions, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from ..clock import utcnow
from ..domain.callback_data import decode
from ..domain.model import COMMANDS_BY_ROLE, Role
from ..domain.render import render_fields, render_problems
from ..domain.text import ANSWER_LIMIT, fit, shown_plain
from ..i18n import Html
from ..services import intake, people
from ..services.context import Actor, Services
from .errors import is_content_error
from .keyboards import form_keyboard
from .processor import PerChatProcessor, is_command
from .sender import PLAIN_FALLBACK_LIMIT, OutboxSender

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
EDITS_REMEMBERED = 1000  # edited messages already answered, the most recent ones


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]  # type: ignore[no-any-return]


def sender_of(context: ContextTypes.DEFAULT_TYPE) -> OutboxSender | None:
    return context.bot_data.get("sender")


def actor_of(user: User) -> Actor:
    name = user.full_name or user.username or str(user.id)
    return Actor(user.id, name[:200])


def is_private(chat: Chat) -> bool:
    return chat.type == Chat.PRIVATE


async def reply(message: Message, text: str, **kwargs: object) -> Message:
    """Answer in the chat: the text fits Telegram's limit; refused for its content, it goes as plain text."""
    text = fit(text)
    try:
        return await message.reply_text(text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                        **kwargs)  # type: ignore[arg-type]
    except BadRequest as exc:
        if not is_content_error(exc):
            raise
        log.warning("Telegram refused a reply's content (%s); sending plain text", exc)
        return await message.reply_text(shown_plain(text, PLAIN_FALLBACK_LIMIT), link_preview_options=NO_PREVIEW,
                                        **kwargs)  # type: ignore[arg-type]


async def answer(query: CallbackQuery, text: str, show_alert: bool = False) -> None:
    """Answer a button press: a callback answer is plain text of at most 200 characters (UTF-16)."""
    await query.answer(shown_plain(text, ANSWER_LIMIT), show_alert=show_alert)


async def seen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every update: remember when the last one came (for /healthz)."""
    context.bot_data["last_update_at"] = utcnow()


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is never new input: its author is told, once per message, to send a new one."""
    message, chat = update.edited_message, update.effective_chat
    if message is None or chat is None:
        return  # an edited channel post or business message: nobody to tell
    if message.location is not None:
        return  # a live location moves every few seconds; the first position was taken, the rest is ignored
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.is_bot
    if not (is_private(chat) or is_command(message) or to_bot):
        return  # people correcting their own chat in a group
    told: OrderedDict[tuple[int, int], None] = context.bot_data.setdefault("edits_told", OrderedDict())
    if (chat.id, message.message_id) in told:
        return
    told[(chat.id, message.message_id)] = None
    if len(told) > EDITS_REMEMBERED:
        told.popitem(last=False)
    await reply(message, services_of(context).tr("edit_ignored"))


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot itself was added to or removed from a group."""
    change, chat = update.my_chat_member, update.effective_chat
    if change is None or chat is None or is_private(chat):
        return
    present = change.new_chat_member.status in ("member", "administrator")
    was_present = change.old_chat_member.status in ("member", "administrator", "creator")
    if present == was_present:
        return
    actor = actor_of(change.from_user) if change.from_user else None
    if await people.bot_membership(services_of(context), actor, chat.id, chat.title, present, utcnow()):
        wake_sender(context)


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: Telegram says so in both chats; re-key the bound group at once."""
    message = update.effective_message
    if message is None:
        return
    old, new = ((message.chat_id, message.migrate_to_chat_id) if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat_id))
    if old and new and await people.group_migrated(services_of(context), old, new, utcnow()):
        wake_sender(context)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: greet; tell a newcomer whom to ask."""
    await _introduce(update, context, greeting=True)


async def whoami(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/whoami: anyone gets their id and role (and the group's binding, in a group)."""
    await _introduce(update, context, greeting=False)


def _role_label(svc: Services, role: Role | None) -> str:
    return svc.tr(f"role.{role.value}") if role else svc.tr("whoami_unregistered")


async def _introduce(update: Update, context: ContextTypes.DEFAULT_TYPE, greeting: bool) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc = services_of(context)
    tr = svc.tr
    info = await people.who_am_i(svc, user.id, chat.id)
    agency = tr("agency_suffix", agency=svc.rules.agency_name(info.agency_key)) if info.agency_key else ""
    if greeting:
        text = (tr("start_known", name=user.first_name, role=_role_label(svc, info.role), agency=agency)
                if info.role else tr("start_newcomer", name=user.first_name, user_id=user.id))
    else:
        text = tr("whoami", user_id=user.id, name=user.full_name, role=_role_label(svc, info.role), agency=agency)
        if not is_private(chat):
            group = svc.rules.agency_name(info.group_key) if info.group_key else tr("group_not_bound")
            text = Html(text + tr("whoami_group", chat_id=chat.id, group=group))
    await reply(message, text)


async def bantuan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bantuan: the commands this person may use, with what they do."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc = services_of(context)
    tr = svc.tr
    info = await people.who_am_i(svc, user.id, chat.id)
    lines = [tr("help_header", role=_role_label(svc, info.role))]
    lines += [tr("help_line", command=c, description=tr(f"cmd.{c}")) for c in COMMANDS_BY_ROLE[info.role]]
    if info.role in (Role.RESPONDER, None) or info.group_key:
        lines.append(tr("help_responder"))
    lines.append(tr("help_guides"))
    await reply(message, Html("\n".join(lines)))


async def daftar_grup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/daftar_grup <key>: an admin binds this group to an agency."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc = services_of(context)
    tr, keys = svc.tr, ", ".join(svc.rules.agencies)
    if is_private(chat):
        await reply(message, tr("bind_private"))
        return
    if not context.args:
        await reply(message, tr("bind_usage", keys=keys))
        return
    key = context.args[0].strip().lower()
    try:
        binding = await people.bind_group(svc, actor_of(user), chat.id, chat.title, key, utcnow())
    except people.NotAdmin:
        await reply(message, tr("bind_not_admin"))
        return
    except people.UnknownAgency:
        await reply(message, tr("bind_unknown_key", key=key, keys=keys))
        return
    if isinstance(context.application.update_processor, PerChatProcessor):
        context.application.update_processor.triage.note_bound(chat.id)  # its members count from now on
    agency = svc.rules.agency_name(key)
    text = (tr("bind_moved", agency=agency, key=key, old_chat=binding.previous_chat_of_key)
            if binding.previous_chat_of_key else tr("bind_done", agency=agency, key=key))
    if binding.previous_key_of_chat and binding.previous_key_of_chat != key:
        old_agency = svc.rules.agency_name(binding.previous_key_of_chat)
        text = Html(text + "\n" + tr("bind_replaced_key", old_agency=old_agency))
    await reply(message, text)


async def lapor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lapor [lines]: with lines, a one-message report; alone, the guided form."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.text is None:
        return
    svc = services_of(context)
    body = message.text.partition("\n")[2] if "\n" in message.text else " ".join(context.args or [])
    if body.strip():
        outcome = await intake.lapor(svc, actor_of(user), chat.id, is_private(chat), message.message_id, body,
                                     utcnow())
    else:
        outcome = await intake.form_start(svc, actor_of(user), chat.id, is_private(chat), utcnow())
    await _answer(message, outcome, context)


async def batal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/batal: cancel this person's open draft here."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    outcome = await intake.cancel_draft(services_of(context), actor_of(user), chat.id, is_private(chat), utcnow())
    await _answer(message, outcome, context)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text (private, or a reply to the bot in a group): a form answer or corrected report lines."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.text is None:
        return
    if not is_private(chat) and message.reply_to_message is not None:
        from .desk_handlers import card_reply

        if await card_reply(message, context):
            return
    svc, actor, now = services_of(context), actor_of(user), utcnow()
    # A form waiting for typed text takes it first; otherwise `key: value` lines correct the kept draft.
    outcome = await intake.form_text(svc, actor, chat.id, message.text, now, message.message_id)
    if outcome is None:
        outcome = await intake.correct(svc, actor, chat.id, is_private(chat), message.text, now)
    if outcome is not None:
        await _answer(message, outcome, context)


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Telegram location: coordinates for the open draft or the report just sent."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.location is None:
        return
    svc = services_of(context)
    loc = message.location
    result = await intake.attach_location(svc, actor_of(user), chat.id, loc.latitude, loc.longitude, utcnow())
    if isinstance(result, intake.Refused):
        if result.reason != "ignore":
            await reply(message, svc.tr(result.reason))
        return
    lat, lon = f"{result.lat:.5f}", f"{result.lon:.5f}"
    text = (svc.tr("location_attached_incident", lat=lat, lon=lon, number=result.number) if result.number
            else svc.tr("location_attached_draft", lat=lat, lon=lon))
    wake_sender(context)
    await reply(message, text)


async def form_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on the guided form; always answered, even when nothing changes."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    svc = services_of(context)
    press = decode(query.data)
    if press is None:
        await answer(query, svc.tr("unknown_button"))
        return
    outcome = await intake.form_press(svc, actor_of(user), press, utcnow())
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
        wake_sender(context)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other callback data (old, forged or malformed): answer it and change nothing."""
    if update.callback_query is not None:
        await answer(update.callback_query, services_of(context).tr("unknown_button"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error; tell the person something went wrong and that nothing they sent was lost."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await reply(update.effective_message, services_of(context).tr("error_generic"))
        except Exception:  # the network may be what failed; the log has it
            log.debug("could not tell the user about the error", exc_info=True)


async def _answer(message: Message, outcome: intake.IntakeOutcome, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services_of(context)
    if isinstance(outcome, intake.Refused) and outcome.reason == "ignore":
        return
    if isinstance(outcome, intake.Accepted):
        wake_sender(context)  # the groups' posts need not wait for this answer
    text, markup = _render(outcome, svc, message.chat)
    await reply(message, text, reply_markup=markup)


def _render(outcome: intake.IntakeOutcome, svc: Services, chat: Chat) -> tuple[str, object]:
    tr = svc.tr
    if isinstance(outcome, intake.Accepted):
        targets = ", ".join(svc.rules.agency_name(k) for k in outcome.targets)
        return tr("lapor_accepted", number=outcome.number, category=outcome.category, place=outcome.place,
                  targets=targets), None
    if isinstance(outcome, intake.Duplicate):
        return tr("lapor_duplicate", number=outcome.number), None
    if isinstance(outcome, intake.NeedsFix):
        return _needs_fix(outcome, svc, chat), None
    if isinstance(outcome, intake.RateLimited):
        return tr("rate_limited", seconds=outcome.seconds), None
    if isinstance(outcome, intake.Cancelled):
        return tr("form_cancelled"), None
    if isinstance(outcome, intake.FormView):
        return _form_text(outcome, svc), form_keyboard(outcome.prompt, tr)
    return tr(outcome.reason), None


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


def wake_sender(context: ContextTypes.DEFAULT_TYPE) -> None:
    sender = sender_of(context)
    if sender is not None:
        sender.wake()
