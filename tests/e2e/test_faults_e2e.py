"""Telegram's error answers through the real process: each handled where tg/errors.py classifies it."""

from __future__ import annotations

import time

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .steps import file_fire

pytestmark = pytest.mark.e2e


def test_a_429_pauses_only_that_group_until_retry_after(running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("retry_after", method="sendMessage", chat_id=world.GROUPS["damkar"], retry_after=8)
    began = time.monotonic()
    number = file_fire(fake)
    fake.wait_for_message(world.GROUPS["pln"], number)
    others_at = time.monotonic() - began
    fake.wait_for_message(world.GROUPS["damkar"], number, timeout=90)
    damkar_at = time.monotonic() - began
    assert others_at < 8 <= damkar_at
    assert len([m for m in fake.bot_messages(world.GROUPS["damkar"]) if number in m.text]) == 1


def test_a_group_upgraded_to_a_supergroup_is_re_keyed_and_gets_its_post(running: BotProcess,
                                                                        fake: FakeTelegram) -> None:
    new_id = -1009999999999
    fake.migrate_group(world.GROUPS["dishub"], new_id)
    number = file_fire(fake)
    fake.wait_for_message(new_id, number)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    assert f"dishub\t{new_id}" in running.cli("groups", "list").stdout


def test_a_post_telegram_cannot_parse_is_sent_as_plain_text(running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("bad_html", method="sendMessage", chat_id=world.GROUPS["pimpinan"])
    number = file_fire(fake)
    card = fake.wait_for_message(world.GROUPS["pimpinan"], number)
    assert "<b>" not in card.text and "Rumah terbakar" in card.text
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
