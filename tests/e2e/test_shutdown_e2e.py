"""End to end: the real `sigap112 run` process ends promptly on SIGTERM (systemd, a deploy) while the outbox is
busy, and nothing it had promised to send is lost or sent twice when it starts again."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .steps import NUMBER, card

pytestmark = pytest.mark.e2e
ROUNDS = 3
REPORTS = 2


def test_sigterm_while_cards_go_out_ends_the_bot_within_seconds_and_loses_no_card(
        running: BotProcess, fake: FakeTelegram) -> None:
    # Before the fix a wake of the outbox sender at the moment of its cancellation (Python 3.11's wait_for
    # swallowed the cancel) kept the process alive until it was killed, 20 s later.
    for _ in range(ROUNDS):
        sent = _sent(fake)
        for _ in range(REPORTS):
            fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
        # this process is up and its outbox busy (the cards and confirmations of this round are on their way)
        fake.wait_until(lambda n=sent: _sent(fake) > n, what="the bot to send something")
        assert running.terminate(within=10) == 0
        running.start()
    fake.wait_until(lambda: len(_numbers(fake, "damkar")) == ROUNDS * REPORTS, what="every report's card")
    for number in _numbers(fake, "damkar"):
        for key in world.FIRE_GROUPS:
            card(fake, key, number)
    for key in world.FIRE_GROUPS:
        twice = [n for n, count in Counter(_cards(fake, key)).items() if count > 1]
        assert not twice, f"cards sent twice in {key}: {twice}"


def _sent(fake: FakeTelegram) -> int:
    return sum(len(messages) for messages in list(fake.sent.values()))


def _cards(fake: FakeTelegram, key: str) -> list[str]:
    return [match.group(0) for m in fake.bot_messages(world.GROUPS[key]) if "LAPORAN" in m.text
            if (match := NUMBER.search(m.text))]


def _numbers(fake: FakeTelegram, key: str) -> set[str]:
    return set(_cards(fake, key))
