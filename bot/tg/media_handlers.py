"""Handlers for media (issue 13): photos, videos, voice notes, audio and documents a call taker attaches to a
report or a responder sends from the field; /lampir <nomor>; and a short answer to what the bot does not keep
(stickers, polls, contacts, dice, GIFs, round videos)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from ..clock import utcnow
from ..services import media
from .card_handlers import card_of
from .common import at_desk, reply, said, topic_of
from .context import Context


async def media_message(update: Update, context: Context) -> None:
    """A photo, video, voice note, audio or document: kept and relayed, and the sender told where it went."""
    if (got := said(update)) is None:
        return
    incoming = _incoming(got.message, context)
    if incoming is None:
        return
    svc = context.services
    result = await media.receive(svc, got.actor, got.private, incoming, utcnow())
    if isinstance(result, media.Refused):  # in a group, only a reply to the bot is answered (not staff chatter)
        if result.reason != "ignore" and (got.private or incoming.reply_to_bot_text is not None):
            await reply(got.message, svc.tr(result.reason, number=result.number))
        return
    if result.gathering:  # the rest of the album is on its way: it goes out (and is told) when the window passes
        if context.job_queue is not None:
            seconds = svc.rules.media.album_window.total_seconds() + 0.3
            context.job_queue.run_once(flush_albums_job, seconds, name="media-album")  # type: ignore[arg-type]
        return
    context.wake_sender()
    await reply(got.message, media.told(svc, result))


async def field_location(update: Update, context: Context) -> None:
    """A location sent in a group as a reply to a card (or another bot message about one incident): evidence
    from the field, relayed to the call center as a map link. Anything else goes on to the other handlers."""
    if (got := said(update)) is None or (location := got.message.location) is None:
        return
    message, svc = got.message, context.services
    replied = message.reply_to_message
    if replied is None:
        return
    incoming = media.Incoming(
        kind="location", file_id=f"{location.latitude:.6f},{location.longitude:.6f}", file_unique_id=None,
        mime_type=None, file_size=None, caption=None, chat_id=message.chat_id, message_id=message.message_id,
        reply_to=replied.message_id, card_of=card_of(replied, context), thread_id=topic_of(message),
        reply_to_bot_text=(replied.text or replied.caption or "") if replied.from_user is not None
        and replied.from_user.id == context.bot.id else None)
    result = await media.receive(svc, got.actor, got.private, incoming, utcnow())
    if isinstance(result, media.Refused):
        return  # not about an incident here: the location handler of reports may take it
    context.wake_sender()
    await reply(message, media.told(svc, result))
    raise ApplicationHandlerStop


async def not_media(update: Update, context: Context) -> None:
    """A sticker, poll, contact, dice, GIF or round video: in a private chat, or as a reply to the bot in a
    group, a short answer saying what the bot does keep; elsewhere (chatter between staff) nothing."""
    if (got := said(update)) is None:
        return
    message = got.message
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    if not (got.private or to_bot):
        return
    what = next((w for w in ("sticker", "poll", "contact", "dice", "animation", "video_note")
                 if getattr(message, w, None)), "other")
    await reply(message, context.services.tr(f"media_refused.{what}"))


async def lampir(update: Update, context: Context) -> None:
    """/lampir <nomor>: the photos, videos and voice notes this person sends here next go to that report."""
    if (got := said(update)) is None or not await at_desk(got, context):
        return
    svc = context.services
    if not context.args:
        await reply(got.message, svc.tr("usage.lampir"))
        return
    result = await media.attach_to(svc, got.actor, got.chat.id, got.private, context.args[0], utcnow())
    if isinstance(result, media.Refused):
        if result.reason != "ignore":
            await reply(got.message, svc.tr(result.reason, value=context.args[0][:30]))
        return
    await reply(got.message, svc.tr("lampir_ready", number=result,
                                     minutes=int(media.ATTACH_FOR.total_seconds() // 60)))


async def flush_albums_job(context: Context) -> None:
    """An album's gathering window has passed: relay it (the timer is its database row; the sweep looks too)."""
    if await media.flush_albums(context.services, utcnow()):
        context.wake_sender()


def _incoming(message: Message, context: Context) -> media.Incoming | None:
    kind, file = None, None
    if message.photo:
        kind, file = "photo", message.photo[-1]  # the largest size
    else:
        for name in ("video", "voice", "audio", "document"):
            if getattr(message, name, None) is not None:
                kind, file = name, getattr(message, name)
                break
    if kind is None or file is None:
        return None
    replied = message.reply_to_message
    bot_text = None
    if replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id:
        bot_text = replied.text or replied.caption or ""
    return media.Incoming(
        kind=kind, file_id=file.file_id, file_unique_id=file.file_unique_id,
        mime_type=getattr(file, "mime_type", None), file_size=file.file_size, caption=message.caption,
        chat_id=message.chat_id, message_id=message.message_id, media_group_id=message.media_group_id,
        reply_to=replied.message_id if replied is not None else None, reply_to_bot_text=bot_text,
        card_of=card_of(replied, context) if replied is not None else None, thread_id=topic_of(message))
