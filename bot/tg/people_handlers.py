"""Handlers for people and groups: /start, /whoami, /bantuan, an admin's /daftar_grup, the bot's own membership
in a group, and a group's move to a supergroup."""

from __future__ import annotations

from telegram import Update

from ..clock import utcnow
from ..domain.model import COMMANDS_BY_ROLE, Role
from ..i18n import Html
from ..services import group_health, people
from ..services.context import Services
from .common import Said, actor_of, is_private, reply, said
from .context import Context
from .processor import PerChatProcessor


async def membership(update: Update, context: Context) -> None:
    """The bot itself was added to or removed from a group."""
    change, chat = update.my_chat_member, update.effective_chat
    if change is None or chat is None or is_private(chat):
        return
    present = change.new_chat_member.status in ("member", "administrator")
    was_present = change.old_chat_member.status in ("member", "administrator", "creator")
    if present == was_present:
        return
    actor = actor_of(change.from_user) if change.from_user else None
    if await people.bot_membership(context.services, actor, chat.id, chat.title, present, utcnow()):
        context.wake_sender()


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: Telegram says so in both chats; re-key the bound group at once."""
    message = update.effective_message
    if message is None:
        return
    old, new = ((message.chat_id, message.migrate_to_chat_id) if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat_id))
    if old and new and await people.group_migrated(context.services, old, new, utcnow()):
        context.wake_sender()


async def topic_reopened(update: Update, context: Context) -> None:
    """A forum topic was reopened (Telegram's service message in it): the posts held for it go at once."""
    message = update.effective_message
    if message is None or message.message_thread_id is None:
        return
    if await group_health.topic_reopened(context.services, message.chat_id, message.message_thread_id, utcnow()):
        context.wake_sender()


async def start(update: Update, context: Context) -> None:
    """/start: greet; tell a newcomer whom to ask."""
    if got := said(update):
        await _introduce(got, context, greeting=True)


async def whoami(update: Update, context: Context) -> None:
    """/whoami: anyone gets their id and role (and the group's binding, in a group)."""
    if got := said(update):
        await _introduce(got, context, greeting=False)


def _role_label(svc: Services, role: Role | None) -> str:
    return svc.tr(f"role.{role.value}") if role else svc.tr("whoami_unregistered")


async def _introduce(got: Said, context: Context, greeting: bool) -> None:
    svc, user = context.services, got.user
    tr = svc.tr
    info = await people.who_am_i(svc, user.id, got.chat.id, got.topic)
    agency = tr("agency_suffix", agency=svc.rules.agency_name(info.agency_key)) if info.agency_key else ""
    if greeting:
        text = (tr("start_known", name=user.first_name, role=_role_label(svc, info.role), agency=agency)
                if info.role else tr("start_newcomer", name=user.first_name, user_id=user.id))
    else:
        text = tr("whoami", user_id=user.id, name=user.full_name, role=_role_label(svc, info.role), agency=agency)
        if not got.private:
            group = svc.rules.agency_name(info.group_key) if info.group_key else tr("group_not_bound")
            text = Html(text + tr("whoami_group", chat_id=got.chat.id, group=group))
    await reply(got.message, text)


async def bantuan(update: Update, context: Context) -> None:
    """/bantuan: the commands this person may use, with what they do."""
    if (got := said(update)) is None:
        return
    svc = context.services
    tr = svc.tr
    info = await people.who_am_i(svc, got.user.id, got.chat.id, got.topic)
    lines = [tr("help_header", role=_role_label(svc, info.role))]
    lines += [tr("help_line", command=c, description=tr(f"cmd.{c}")) for c in COMMANDS_BY_ROLE[info.role]]
    if info.role in (Role.RESPONDER, None) or info.group_key:
        lines.append(tr("help_responder"))
    lines.append(tr("help_guides"))
    await reply(got.message, Html("\n".join(lines)))


async def daftar_grup(update: Update, context: Context) -> None:
    """/daftar_grup <key>: an admin binds this group to an agency."""
    if (got := said(update)) is None:
        return
    svc, chat = context.services, got.chat
    tr, keys = svc.tr, ", ".join(svc.rules.agencies)
    if got.private:
        await reply(got.message, tr("bind_private"))
        return
    if not context.args:
        await reply(got.message, tr("bind_usage", keys=keys))
        return
    key = context.args[0].strip().lower()
    try:
        binding = await people.bind_group(svc, got.actor, chat.id, chat.title, key, utcnow(), got.topic)
    except people.NotAdmin:
        await reply(got.message, tr("bind_not_admin"))
        return
    except people.UnknownAgency:
        await reply(got.message, tr("bind_unknown_key", key=key, keys=keys))
        return
    if isinstance(context.application.update_processor, PerChatProcessor):
        context.application.update_processor.triage.note_bound(chat.id)  # its members count from now on
    agency = svc.rules.agency_name(key)
    text = (tr("bind_moved", agency=agency, key=key, old_chat=binding.previous_chat_of_key)
            if binding.previous_chat_of_key else tr("bind_done", agency=agency, key=key))
    if binding.previous_key_of_chat and binding.previous_key_of_chat != key:
        old_agency = svc.rules.agency_name(binding.previous_key_of_chat)
        text = Html(text + "\n" + tr("bind_replaced_key", old_agency=old_agency))
    if got.topic is not None:  # a topic of a forum supergroup: only this topic gets the agency's posts
        text = Html(text + "\n" + tr("bind_topic", topic=got.topic))
    await reply(got.message, text)
