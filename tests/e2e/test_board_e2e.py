"""End to end, what the mayor and the leaders see at a glance (issue 14): a live board in the call center,
leadership and monitoring groups, kept up to date without costing a new report its place in the queue, and one
escalation per rung naming every silent agency — through the real `sigap112` process and the fake Bot API."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess
from tests.conftest import RULES_DIR

from .conftest import add_staff, bind_all_groups
from .settle import wait_quiet
from .steps import FAST, NUMBER, card, file_fire, press

pytestmark = pytest.mark.e2e

BOARD = "PAPAN PANTAU"
ALL_FIVE = "Damkar, PLN, Dinkes/RS, Dishub, TNI-Polri"


def boards(fake: FakeTelegram, key: str) -> list[Sent]:
    return [m for m in fake.bot_messages(world.GROUPS[key]) if BOARD in m.text]


def board(fake: FakeTelegram, key: str, contains: str = BOARD, timeout: float = 90.0) -> Sent:
    """The group's board (the one visible), once it shows `contains`."""
    return fake.wait_until(lambda: next((m for m in boards(fake, key) if contains in m.text), None), timeout,
                           f"the {key} board showing {contains!r}; got {[m.text for m in boards(fake, key)]}")


def file_second_fire(fake: FakeTelegram, first: str) -> str:
    """Another fire, a street away (the call taker's confirmation of it, not of the first)."""
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT.replace("Batu Merah", "Mardika"))
    accepted = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.CALL_TAKER)
                                             if "Laporan tercatat" in m.text and first not in m.text), None),
                               what="the second report accepted")
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    return match.group(0)


def first_call(fake: FakeTelegram, method: str, chat_id: int, contains: str,
               message_id: int | None = None) -> int:
    """The index, among every Bot API call the bot made, of the first `method` call to this chat whose text
    contains `contains` (and, for edits, of this message)."""
    with fake._lock:
        calls: list[tuple[str, dict[str, Any]]] = list(fake.calls)
    return next(i for i, (name, params) in enumerate(calls)
                if name == method and params.get("chat_id") == chat_id and contains in str(params.get("text", ""))
                and (message_id is None or params.get("message_id") == message_id))


def test_the_monitoring_board_follows_a_claim_and_a_new_report_goes_first(running: BotProcess,
                                                                          fake: FakeTelegram) -> None:
    monitoring = world.GROUPS["monitoring"]
    empty = board(fake, "monitoring", "Tidak ada laporan terbuka")  # posted when the group was bound
    fake.wait_until(lambda: fake.pinned(monitoring) == [empty.message_id], what="the board pinned")
    number = file_fire(fake)
    shown = board(fake, "monitoring", number)
    assert shown.message_id == empty.message_id  # edited in place: one board, not a stream
    assert f"belum merespons: {ALL_FIVE}" in shown.text and "Negeri Batu Merah" in shown.text
    assert "Terlama menunggu" in shown.text and "1 masuk" in shown.text
    # No caller in the leaders' and the mayor's boards; the call center's shows the address too.
    for key in ("monitoring", "pimpinan"):
        text = board(fake, key, number).text
        assert "Maria" not in text and "7890" not in text and "Sudirman" not in text
    assert "Jl. Jend. Sudirman" in board(fake, "call_center", number).text
    # The new report's card went out before the board edit that shows it (the board waits behind cards).
    card_at = first_call(fake, "sendMessage", monitoring, f"LAPORAN {number}")
    edit_at = first_call(fake, "editMessageText", monitoring, number, empty.message_id)
    assert card_at < edit_at
    press(fake, world.DAMKAR_STAFF, "damkar", number, "Berangkat")
    claimed = time.monotonic()
    after = board(fake, "monitoring", "belum merespons: PLN, Dinkes/RS, Dishub, TNI-Polri", timeout=30)
    assert time.monotonic() - claimed < 20  # within seconds (the group's budget allowing)
    assert after.message_id == empty.message_id and len(boards(fake, "monitoring")) == 1
    assert fake.pinned(monitoring) == [empty.message_id]


def test_a_group_where_the_bot_may_not_pin_gets_the_board_re_posted_and_loses_nothing(
        process: BotProcess, fake: FakeTelegram) -> None:
    leaders = world.GROUPS["pimpinan"]
    fake.forbid_pinning(leaders)
    process.env.update(BOARD_REPOST_EVERY="1s")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    first = board(fake, "pimpinan", "Tidak ada laporan terbuka")
    number = file_fire(fake)
    leaders_card = card(fake, "pimpinan", number)  # the card now stands below the board
    press(fake, world.DAMKAR_STAFF, "damkar", number, "Berangkat")

    def reposted_at_bottom() -> Sent | None:
        last = fake.last(leaders)
        return last if BOARD in last.text and "belum merespons: PLN, Dinkes/RS" in last.text else None

    seen = [(m.message_id, m.text[:200]) for m in fake.bot_messages(leaders)]
    latest = fake.wait_until(reposted_at_bottom, what=f"the board re-posted below the card; before: {seen}")
    assert latest.message_id > leaders_card.message_id and latest.message_id != first.message_id
    assert fake.pinned(leaders) == [] and fake.calls_of("pinChatMessage")  # tried, refused, re-posted instead
    # the old boards are taken away (deleted once the new one is in) ...
    fake.wait_until(lambda: len(boards(fake, "pimpinan")) == 1, what="one board left in the leaders' group")
    assert first.message_id in [m.message_id for m in fake.deleted(leaders)]
    # ... and nothing else: the card is still there, up to date.
    fake.wait_until(lambda: "Damkar: 🚗 berangkat" in card(fake, "pimpinan", number).text, what="the claim on the card")
    # The monitoring group may pin: its board stays where it is, pinned.
    watch = board(fake, "monitoring", "belum merespons: PLN, Dinkes/RS")
    assert fake.pinned(world.GROUPS["monitoring"]) == [watch.message_id] and len(boards(fake, "monitoring")) == 1


# The fast ladder of steps.FAST without reminders, the mayor's monitoring group told only of the lead's silence.
LEAD_BLOCK = """  {name}:
    acknowledge: {{within: 1h, reminders: 0,
                  ladder: [{{after: 8s, to: call_center}}, {{after: 12s, to: pimpinan}},
                           {{after: 12s, to: monitoring, agencies: lead}}]}}
    on_scene: {{within: 1h, ladder: []}}
    update: {{every: 1h, reminders: 0}}
    resolve: {{within: 1d, ladder: []}}
"""


@pytest.fixture
def lead_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    blocks = "".join(LEAD_BLOCK.format(name=name) for name in ("kritis", "tinggi", "sedang", "rendah"))
    (rules / "escalation.yaml").write_text(FAST.format(blocks=blocks))
    return rules


def test_a_fire_with_five_silent_agencies_gives_one_escalation_per_rung_naming_all_five(
        process: BotProcess, fake: FakeTelegram, lead_rules: Path) -> None:
    process.env.update(RULES_DIR=str(lead_rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    silent_fire = file_fire(fake)
    led_fire = file_second_fire(fake, silent_fire)
    press(fake, world.DAMKAR_STAFF, "damkar", led_fire, "Diterima")  # the fire's lead agency answers this one
    for key in ("call_center", "pimpinan", "monitoring"):
        fake.wait_for_message(world.GROUPS[key], f"ESKALASI {silent_fire}")
    fake.wait_for_message(world.GROUPS["pimpinan"], f"ESKALASI {led_fire}")
    wait_quiet(fake, process)

    def escalations(key: str, number: str) -> list[Sent]:
        return [m for m in fake.bot_messages(world.GROUPS[key]) if f"ESKALASI {number}" in m.text]

    for key in ("call_center", "pimpinan", "monitoring"):
        [message] = escalations(key, silent_fire)  # one per rung, not one per agency
        assert f"{ALL_FIVE} belum menerima laporan" in message.text
    for key in ("call_center", "pimpinan"):
        [message] = escalations(key, led_fire)
        assert "PLN, Dinkes/RS, Dishub, TNI-Polri belum menerima laporan" in message.text
        assert "Damkar: ✅ diterima" in message.text
    # The mayor's group hears only of the lead agency's silence (escalation.yaml `agencies: lead`).
    assert escalations("monitoring", led_fire) == []
