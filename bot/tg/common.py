"""What every handler shares: who wrote or pressed, in which chat (`said`, `pressed`), and answering safely
(`reply`, `answer`). A handler opens with one of the two and returns when the update has no such thing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest

from ..domain.callback_data import AgencyPress, CallPress, ConfirmPress, FormPress, PhonePress, decode
from ..i18n.text import ANSWER_LIMIT, fit, shown_plain
from ..services import desk
from ..services.context import Actor
from .context import Context
from .errors import is_content_error
from .sender import PLAIN_FALLBACK_LIMIT

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
P = TypeVar("P", FormPress, AgencyPress, ConfirmPress, PhonePress, CallPress)


def actor_of(user: User, topic: int | None = None) -> Actor:
    name = user.full_name or user.username or str(user.id)
    return Actor(user.id, name[:200], topic)


def is_private(chat: Chat) -> bool:
    return chat.type == Chat.PRIVATE


@dataclass(frozen=True)
class Said:
    """A message, its author and its chat."""

    message: Message
    user: User
    chat: Chat

    @property
    def actor(self) -> Actor:
        return actor_of(self.user, self.topic)

    @property
    def private(self) -> bool:
        return is_private(self.chat)

    @property
    def topic(self) -> int | None:
        return topic_of(self.message)


def topic_of(message: object) -> int | None:
    """The forum topic a message is in (None outside forums and in the General topic). In a group that is no
    forum, message_thread_id names a thread of replies, not a topic: it is ignored."""
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None


@dataclass(frozen=True)
class Pressed(Generic[P]):
    """A button press, its presser and chat, and what the button's callback data says."""

    query: CallbackQuery
    user: User
    chat: Chat
    press: P

    @property
    def actor(self) -> Actor:
        return actor_of(self.user, self.topic)

    @property
    def topic(self) -> int | None:
        return topic_of(self.query.message)


def said(update: Update) -> Said | None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return None
    return Said(message, user, chat)


async def pressed(update: Update, context: Context, kind: type[P]) -> Pressed[P] | None:
    """The press, decoded; callback data of another kind (old, forged, malformed) is answered and dropped."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return None
    press = decode(query.data)
    if not isinstance(press, kind):
        await answer(query, context.services.tr("unknown_button"))
        return None
    return Pressed(query, user, chat, press)


async def reply(message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> Message:
    """Answer in the chat: the text fits Telegram's limit; refused for its content, it goes as plain text."""
    text = fit(text)
    try:
        return await message.reply_text(text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                        reply_markup=reply_markup)
    except BadRequest as exc:
        if not is_content_error(exc):
            raise
        log.warning("Telegram refused a reply's content (%s); sending plain text", exc)
        return await message.reply_text(shown_plain(text, PLAIN_FALLBACK_LIMIT), link_preview_options=NO_PREVIEW,
                                        reply_markup=reply_markup)


async def answer(query: CallbackQuery, text: str, show_alert: bool = False) -> None:
    """Answer a button press: a callback answer is plain text of at most 200 characters (UTF-16)."""
    await query.answer(shown_plain(text, ANSWER_LIMIT), show_alert=show_alert)


async def at_desk(got: Said, context: Context) -> bool:
    """Call center staff, in their private chat with the bot or in the call center group (as the desk commands);
    elsewhere they are told where, and anyone else gets no answer."""
    svc = context.services
    refused = await desk.refusal(svc, got.actor, got.chat.id, got.private)
    if refused is None:
        return True
    if refused != "ignore":
        await reply(got.message, svc.tr(refused))
    return False
