"""The one place where Telegram's errors are classified: permanent, transient, rate-limited, migrated, benign."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from ..services.dispatch import CONTENT, SendOutcome, SendResult


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


# What Telegram says when the message itself is wrong, not the chat: the group is fine, the text must change.
_CONTENT = ("can't parse entities", "message is too long", "message caption is too long", "message_too_long",
            "text is too long", "message text is empty", "entities_too_long", "entity_text_invalid")


# What Telegram says when a file_id or an album is wrong (media, issue 13): this message fails, the group is fine.
_MEDIA = ("wrong file identifier", "can't use file of type", "wrong number of media", "can't be mixed",
          "media_invalid", "wrong type of the web page content", "failed to get http url content", "file_id",
          "there is no photo", "there is no video", "there is no document", "type of file mismatch")


def is_media_error(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in _MEDIA)


def is_content_error(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in _CONTENT)


# What Telegram says when it cannot fetch a picture given by URL (the page is down, not an image, too large).
_URL = ("wrong file identifier/http url specified", "failed to get http url content",
        "wrong type of the web page content", "wrong remote file identifier")


def is_url_error(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in _URL)


def topic_trouble(message: str) -> str | None:
    """A forum topic closed (TOPIC_CLOSED) or deleted ("message thread not found"): the reason, else None."""
    if "topic_closed" in message or "topic closed" in message:
        return "topic_closed"
    if "message thread not found" in message or "topic_deleted" in message or "topic_id_invalid" in message:
        return "topic_not_found"
    return None


def classify(exc: TelegramError) -> SendResult:
    """What an error from Telegram means for the delivery that caused it."""
    detail = f"{type(exc).__name__}: {exc.message}"[:300]
    if isinstance(exc, RetryAfter):
        return SendResult(SendOutcome.RATE_LIMITED, detail=detail, retry_after=retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return SendResult(SendOutcome.MIGRATED, detail=detail, new_chat_id=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        kicked = "kicked" in exc.message.lower() or "not a member" in exc.message.lower()
        return SendResult(SendOutcome.PERMANENT, detail=detail, reason="kicked" if kicked else "forbidden")
    if isinstance(exc, BadRequest):
        message = exc.message.lower()
        if topic := topic_trouble(message):  # the group is there, the agency's topic is not usable
            return SendResult(SendOutcome.HELD, detail=detail, reason=topic)
        if "chat not found" in message or "group chat was deactivated" in message:
            return SendResult(SendOutcome.PERMANENT, detail=detail, reason="chat_not_found")
        if is_content_error(exc) or is_media_error(exc):  # this one message failed; the group is still reachable
            return SendResult(SendOutcome.PERMANENT, detail=detail, reason=CONTENT)
        return SendResult(SendOutcome.PERMANENT, detail=detail, reason="bad_request")
    if isinstance(exc, InvalidToken):
        return SendResult(SendOutcome.RETRY, detail=detail)
    if isinstance(exc, NetworkError):  # timeouts, 5xx, connection refused: transient
        return SendResult(SendOutcome.RETRY, detail=detail)
    return SendResult(SendOutcome.RETRY, detail=detail)
