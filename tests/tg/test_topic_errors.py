"""Telegram's answers about forum topics are classified in one place: the post waits, the group is not lost."""

from __future__ import annotations

from telegram.error import BadRequest

from bot.services.dispatch import SendOutcome
from bot.tg.errors import classify, is_url_error


def test_a_closed_topic_holds_the_post() -> None:
    result = classify(BadRequest("Bad Request: TOPIC_CLOSED"))
    assert (result.outcome, result.reason) == (SendOutcome.HELD, "topic_closed")


def test_a_deleted_topic_holds_the_post() -> None:
    result = classify(BadRequest("Bad Request: message thread not found"))
    assert (result.outcome, result.reason) == (SendOutcome.HELD, "topic_not_found")


def test_a_picture_telegram_cannot_fetch_is_told_apart_from_other_refusals() -> None:
    assert is_url_error(BadRequest("Bad Request: failed to get HTTP URL content"))
    assert not is_url_error(BadRequest("Bad Request: chat not found"))
