"""Handlers for any update: note when it came, ignore edits, answer stale buttons, report errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from ..clock import utcnow
from ..services.context import lost_race
from .common import answer, is_private, reply
from .context import Context
from .processor import is_command

log = logging.getLogger(__name__)
EDITS_REMEMBERED = 1000  # edited messages already answered, the most recent ones


async def seen(update: Update, context: Context) -> None:
    """Every update: remember when the last one came (for /healthz)."""
    context.bot_data.last_update_at = utcnow()


async def edited(update: Update, context: Context) -> None:
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
    told = context.bot_data.edits_told
    if (chat.id, message.message_id) in told:
        return
    told[(chat.id, message.message_id)] = None
    if len(told) > EDITS_REMEMBERED:
        told.popitem(last=False)
    await reply(message, context.services.tr("edit_ignored"))


async def unknown_button(update: Update, context: Context) -> None:
    """Any other callback data (old, forged or malformed): answer it and change nothing."""
    if update.callback_query is not None:
        await answer(update.callback_query, context.services.tr("unknown_button"))


async def on_error(update: object, context: Context) -> None:
    """Log the error; tell the person something went wrong and that nothing they sent was lost. No later handler
    group takes the update after an error (a failed card reply is not then read as form text)."""
    if isinstance(update, Update) and update.update_id in context.bot_data.may_retry and lost_race(context.error):
        # A deadlock or serialization failure rolled the handler's transaction back: the inbox runs the update
        # again (handlers are idempotent), and the person hears nothing of it.
        log.warning("update %s lost a race in the database (%s); running it again", update.update_id,
                    type(context.error).__name__)
        context.bot_data.lost_race.add(update.update_id)
        raise ApplicationHandlerStop
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await reply(update.effective_message, context.services.tr("error_generic"))
        except Exception:  # the network may be what failed; the log has it
            log.debug("could not tell the user about the error", exc_info=True)
    if isinstance(update, Update):
        raise ApplicationHandlerStop
