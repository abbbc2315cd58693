"""LANGUAGE=en through the real process: a shift's work — help, a report, the agencies' steps, a note, the
status, the daily recap with its chart — and not one Indonesian word the bot wrote itself in any chat, button,
callback answer or command menu. What people typed (the report's fields, a note) and the names of places are
theirs and stay as typed; command names are Indonesian on purpose (/lapor, /status)."""

from __future__ import annotations

import re

import pytest

from bot.domain.ruleset import Rules
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess
from tests.words import INDONESIAN

from .conftest import register
from .steps import NUMBER

pytestmark = pytest.mark.e2e
# What the people in this test typed, and the places of the gazetteer the report names: shown as they are.
TYPED = ["Jl. Jend. Sudirman, belakang masjid", "Rumah terbakar, 2 orang terjebak di lantai 2", "Ibu Maria",
         "OTW 2 unit", "Batu Merah", "Sirimau", "Kota Ambon"]


def without_what_people_typed(text: str, keys: list[str]) -> str:
    """`keys`: the agencies' keys in the rules (identifiers an admin types in /daftar_grup, such as pimpinan)."""
    for typed in TYPED:
        text = text.replace(typed, " ")
    text = re.sub(r"\S+\.md\b", " ", text)  # the guides' file names
    text = re.sub(r"\b(" + "|".join(map(re.escape, keys)) + r")\b", " ", text)
    return re.sub(r"/[a-z_]+", " ", text)  # command names


def card(fake: FakeTelegram, key: str, number: str) -> Sent:
    return fake.wait_until(lambda: next((m for m in fake.bot_messages(world.GROUPS[key])
                                         if f"REPORT {number}" in m.text), None), what=f"{key} card")


def press(fake: FakeTelegram, user: int, key: str, number: str, label: str) -> dict:  # type: ignore[type-arg]
    message = card(fake, key, number)
    data = next(d for text, d in message.buttons() if label in text)
    return fake.wait_for_answer(fake.press(user, world.GROUPS[key], message.message_id, data))


def test_in_english_the_bot_writes_no_indonesian_word_of_its_own(process: BotProcess, fake: FakeTelegram,
                                                                   e2e_database_url: str, rules: Rules) -> None:
    register(e2e_database_url, rules, [(world.CALL_TAKER, "Rina", "call_taker"),
                                       (world.LEADER, "Pak Kadis", "leader")])
    process.env.update(LANGUAGE="en")
    process.start()
    fake.wait_polling()
    for key, chat_id in world.GROUPS.items():
        fake.send_text(world.ADMIN, chat_id, f"/daftar_grup {key}")
    for chat_id in world.GROUPS.values():
        fake.wait_for_message(chat_id, "is now registered")

    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/start")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/bantuan")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    match = NUMBER.search(fake.wait_for_message(world.CALL_TAKER, "Report recorded").text)
    assert match
    number = match.group(0)
    fake.wait_for_message(world.CALL_TAKER, "delivered to every group")
    answers = [press(fake, world.PLN_STAFF, "pln", number, "Acknowledged"),
               press(fake, world.DAMKAR_STAFF, "damkar", number, "On the way")]
    fake.send_text(world.DAMKAR_STAFF, world.GROUPS["damkar"], "OTW 2 unit",
                   reply_to=card(fake, "damkar", number).message_id)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    fake.send_text(world.LEADER, world.GROUPS["pimpinan"], "/rekap")
    fake.wait_until(lambda: any(m.kind == "photo" for m in fake.bot_messages(world.GROUPS["pimpinan"])),
                    what="the recap's chart")
    fake.wait_for_message(world.CALL_TAKER, f"History of {number}")
    fake.wait_until(lambda: "OTW 2 unit" in card(fake, "damkar", number).text, what="the note on the cards")

    written = []
    for chat_id in [world.CALL_TAKER, *world.GROUPS.values()]:
        for message in fake.bot_messages(chat_id):
            written += [message.text, *message.edits, *(label for label, _ in message.buttons())]
    written += [str(a.get("text", "")) for a in answers]
    written += [command["description"] for call in fake.calls_of("setMyCommands") for command in call["commands"]]
    found = sorted({f"{w.group(0)!r} in {text[:120]!r}" for text in written
                    for w in INDONESIAN.finditer(without_what_people_typed(text, list(rules.agencies)))})
    assert found == [], "\n".join(found)
