"""Media under a card (issue 13): one item by file_id, or an album."""

from __future__ import annotations

from typing import Any

from telegram import (
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.ext import ExtBot

from ..i18n.text import CAPTION_LIMIT, shown_plain
from ..services.dispatch import Outgoing, SendOutcome, SendResult
from .budget import OUTBOX


async def send_media(bot: ExtBot[Any], job: Outgoing, parse_mode: str | None) -> SendResult:
    """One item (sendPhoto, sendVideo, ...) or one album (sendMediaGroup) by file_id, under the group's card;
    without HTML (the plain fallback), every caption as a person would see it."""
    reply = ReplyParameters(job.reply_to, allow_sending_without_reply=True) if job.reply_to else None

    def caption(text: str) -> str:
        return text if parse_mode else shown_plain(text, CAPTION_LIMIT)

    if len(job.media) == 1:
        kind, file_id, text = job.media[0]
        options: dict[str, Any] = {"caption": caption(text), "parse_mode": parse_mode,
                                   "reply_parameters": reply, "rate_limit_args": OUTBOX,
                                   "message_thread_id": job.thread_id}
        if kind == "location":  # a map link under the card, in the caption's words
            message = await bot.send_message(job.chat_id, caption(text), parse_mode=parse_mode,
                                             reply_parameters=reply, rate_limit_args=OUTBOX,
                                             message_thread_id=job.thread_id,
                                             link_preview_options=LinkPreviewOptions(is_disabled=True))
        elif kind == "photo":
            message = await bot.send_photo(job.chat_id, file_id, **options)
        elif kind == "video":
            message = await bot.send_video(job.chat_id, file_id, **options)
        elif kind == "voice":
            message = await bot.send_voice(job.chat_id, file_id, **options)
        elif kind == "audio":
            message = await bot.send_audio(job.chat_id, file_id, **options)
        else:
            message = await bot.send_document(job.chat_id, file_id, **options)
        return SendResult(SendOutcome.SENT, message_id=message.message_id)
    album = [_input_media(kind, file_id, caption(text), parse_mode) for kind, file_id, text in job.media]
    messages = await bot.send_media_group(job.chat_id, album, reply_parameters=reply,
                                          message_thread_id=job.thread_id, rate_limit_args=OUTBOX)
    return SendResult(SendOutcome.SENT, message_id=messages[0].message_id)


def _input_media(kind: str, file_id: str, caption: str,
                 parse_mode: str | None) -> InputMediaPhoto | InputMediaVideo | InputMediaAudio | InputMediaDocument:
    if kind == "photo":
        return InputMediaPhoto(file_id, caption=caption, parse_mode=parse_mode)
    if kind == "video":
        return InputMediaVideo(file_id, caption=caption, parse_mode=parse_mode)
    if kind == "audio":
        return InputMediaAudio(file_id, caption=caption, parse_mode=parse_mode)
    return InputMediaDocument(file_id, caption=caption, parse_mode=parse_mode)
