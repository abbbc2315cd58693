"""End to end with second-scale rules: a silent agency is chased up the ladder, through a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .conftest import add_staff, bind_all_groups
from .settle import wait_quiet, wait_recorded
from .steps import card, file_fire, press

pytestmark = pytest.mark.e2e


def test_a_silent_agency_is_chased_up_the_ladder_through_a_restart(process: BotProcess, fake: FakeTelegram,
                                                                    fast_rules: Path) -> None:
    process.env.update(RULES_DIR=str(fast_rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    number = file_fire(fake)
    press(fake, world.PLN_STAFF, "pln", number, "Diterima")
    for key in ("damkar", "dishub", "tni_polri"):
        press(fake, world.DAMKAR_STAFF, key, number, "Berangkat")
    reminder = fake.wait_for_message(world.GROUPS["dinkes"], "Pengingat 1/1", timeout=90)
    assert reminder.reply_to == card(fake, "dinkes", number).message_id and number in reminder.text
    assert not any("Pengingat" in m.text for m in fake.bot_messages(world.GROUPS["pln"]))
    # Kill when the reminder's delivery is recorded: only a message in flight at the kill may ever repeat.
    wait_recorded(fake, process, [reminder])
    process.kill()
    process.start()
    escalation = fake.wait_for_message(world.GROUPS["call_center"], "ESKALASI", timeout=90)
    assert "Dinkes/RS belum menerima laporan" in escalation.text
    assert "PLN: ✅ diterima" in escalation.text and "Damkar: 🚗 berangkat" in escalation.text
    leaders = fake.wait_for_message(world.GROUPS["pimpinan"], "ESKALASI", timeout=90)
    assert "Dinkes/RS" in leaders.text
    press(fake, world.DAMKAR_STAFF, "dinkes", number, "Diterima")
    wait_quiet(fake, process)  # a whole sweep after the press, and everything it would send sent
    assert len([m for m in fake.bot_messages(world.GROUPS["dinkes"]) if "Pengingat" in m.text]) == 1
    assert len([m for m in fake.bot_messages(world.GROUPS["call_center"]) if "ESKALASI" in m.text]) == 1
    assert len([m for m in fake.bot_messages(world.GROUPS["pimpinan"]) if "ESKALASI" in m.text]) == 1
    assert all("ESKALASI" not in m.text for m in fake.bot_messages(world.GROUPS["monitoring"]))
