"""The one place where Telegram's errors are classified: permanent, transient, rate-limited, migrated, benign."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from ..services.outbox import Outcome, Result


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


def is_bad_html(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and "can't parse entities" in exc.message.lower()


def classify(exc: TelegramError) -> Result:
    """What an error from Telegram means for the delivery that caused it."""
    detail = f"{type(exc).__name__}: {exc.message}"[:300]
    if isinstance(exc, RetryAfter):
        return Result(Outcome.RATE_LIMITED, detail=detail, retry_after=retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Result(Outcome.MIGRATED, detail=detail, new_chat_id=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        kicked = "kicked" in exc.message.lower() or "not a member" in exc.message.lower()
        return Result(Outcome.PERMANENT, detail=detail, reason="kicked" if kicked else "forbidden")
    if isinstance(exc, BadRequest):
        message = exc.message.lower()
        if "chat not found" in message or "group chat was deactivated" in message:
            return Result(Outcome.PERMANENT, detail=detail, reason="chat_not_found")
        return Result(Outcome.PERMANENT, detail=detail, reason="bad_request")
    if isinstance(exc, InvalidToken):
        return Result(Outcome.RETRY, detail=detail)
    if isinstance(exc, NetworkError):  # timeouts, 5xx, connection refused: transient
        return Result(Outcome.RETRY, detail=detail)
    return Result(Outcome.RETRY, detail=detail)
