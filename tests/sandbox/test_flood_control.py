"""The Bot API emulator enforces Telegram's flood control with real 429 answers, per chat and overall."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_api import FakeTelegram, FloodControl, Limits


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram(limits=Limits()).start()
    server.add_user(5, "Rina")
    server.started_private.add(5)
    for n in range(40):
        server.add_group(-100 - n, f"Grup {n}")
    yield server
    server.stop()


def send(fake: FakeTelegram, chat_id: int) -> dict[str, Any]:
    response = httpx.post(f"{fake.url}/bot{fake.token}/sendMessage", json={"chat_id": chat_id, "text": "halo"})
    return response.json()  # type: ignore[no-any-return]


def test_a_group_takes_twenty_messages_a_minute_then_answers_429_with_the_wait(fake: FakeTelegram) -> None:
    began = time.monotonic()
    assert all(send(fake, -100)["ok"] for _ in range(20))
    refused = send(fake, -100)
    took = time.monotonic() - began  # a busy machine may take seconds for the 20: the wait shrinks by as much
    assert refused["error_code"] == 429
    assert refused["description"].startswith("Too Many Requests: retry after ")
    assert 58 - took <= refused["parameters"]["retry_after"] <= 60
    assert send(fake, -101)["ok"], "another group is not held up"
    assert fake.flood_429s == [(-100, refused["parameters"]["retry_after"])]
    assert len(fake.bot_messages(-100)) == 20, "a refused message is not posted"


def test_a_private_chat_allows_a_short_burst_then_about_one_a_second() -> None:
    # The clock is a parameter here, so the test does not depend on how fast a busy machine sends.
    flood = FloodControl(Limits())
    for _ in range(Limits().private_burst):
        assert flood.wait_needed(5, 100.0) == 0
        flood.record(5, 100.0)
    assert flood.wait_needed(5, 100.0) == pytest.approx(1.0)
    assert flood.wait_needed(5, 101.0) == 0, "one more a second later"
    flood.record(5, 101.0)
    assert flood.wait_needed(5, 101.5) == pytest.approx(0.5)


def test_a_refused_private_message_is_answered_429_with_the_wait(fake: FakeTelegram) -> None:
    answers = [send(fake, 5) for _ in range(40)]  # however slow the machine, 40 quick sends pass a burst of 10
    refused = next(a for a in answers if not a["ok"])
    assert refused["error_code"] == 429 and refused["parameters"]["retry_after"] == 1


def test_about_thirty_messages_a_second_overall() -> None:
    flood = FloodControl(Limits())
    for n in range(30):
        assert flood.wait_needed(-100 - n, 50.0) == 0
        flood.record(-100 - n, 50.0)
    assert flood.wait_needed(-200, 50.0) > 0, "the 31st in one second waits"
    assert flood.wait_needed(-200, 51.0) == 0


def test_without_limits_everything_goes_through() -> None:
    server = FakeTelegram(limits=None).start()
    server.add_group(-100, "Grup")
    try:
        assert all(send(server, -100)["ok"] for _ in range(40))
    finally:
        server.stop()
