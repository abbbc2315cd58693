"""The update processor with real python-telegram-bot updates: isolation between chats, strangers rationed in
memory, load shed from chatter and strangers only, and no state left behind."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.services.people import Known
from bot.tg.processor import PerChatProcessor, Triage

CALL_TAKER, STRANGER = 1001, 9999
CENTER, UNBOUND = -1001, -1099
_ids = iter(range(1, 1_000_000))


def message(user_id: int, chat_id: int, text: str) -> Update:
    n = next(_ids)
    data: dict[str, Any] = {
        "message_id": n, "date": 0, "text": text,
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": {"id": user_id, "is_bot": False, "first_name": "X"}}
    if text.startswith("/"):
        data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json({"update_id": n, "message": data}, None)


class Loads:
    """Who is known, as the database would say; counts the reads."""

    def __init__(self, people: set[int], groups: set[int]) -> None:
        self.people, self.groups, self.reads = people, groups, 0

    async def __call__(self) -> Known:
        self.reads += 1
        return Known(frozenset(self.people), frozenset(self.groups))


async def started(loads: Loads, slots: int = 64) -> PerChatProcessor:
    processor = PerChatProcessor(Triage(loads), max_concurrent_updates=slots, other_slots=max(1, slots // 4))
    await processor.initialize()
    return processor


async def test_a_chat_waiting_behind_its_own_backlog_holds_no_slot_another_chat_needs() -> None:
    processor = await started(Loads({CALL_TAKER, 1002}, {CENTER}), slots=2)
    release = asyncio.Event()
    done: list[str] = []

    async def slow() -> None:
        await release.wait()
        done.append("center")

    async def quick() -> None:
        done.append("private")

    backlog = [asyncio.create_task(processor.process_update(message(CALL_TAKER, CENTER, "/lapor"), slow()))
               for _ in range(10)]
    await settle()
    await asyncio.wait_for(processor.process_update(message(1002, 1002, "/lapor"), quick()), 1)
    assert done == ["private"]
    release.set()
    await asyncio.gather(*backlog)
    assert done == ["private"] + ["center"] * 10
    assert processor.tracked_chats == 0
    await processor.shutdown()


async def test_a_strangers_flood_is_answered_once_a_minute_without_a_database_read_per_message() -> None:
    loads = Loads({CALL_TAKER}, {CENTER})
    processor = await started(loads)
    ran: list[int] = []

    async def handler(i: int) -> None:
        ran.append(i)

    await asyncio.gather(*[processor.process_update(message(STRANGER, UNBOUND, "/whoami"), handler(i))
                           for i in range(200)])
    await asyncio.gather(*[processor.process_update(message(STRANGER, STRANGER, "/lapor x"), handler(-1))
                           for _ in range(50)])
    assert ran == [0]  # one answer; a stranger's report is not read at all
    assert loads.reads <= 4  # the start, and at most a few looks for someone registered meanwhile
    assert processor.tracked_chats == 0
    await processor.shutdown()


async def test_someone_registered_a_moment_ago_is_not_taken_for_a_stranger() -> None:
    loads = Loads({CALL_TAKER}, {CENTER})
    processor = await started(loads)
    ran: list[str] = []

    async def handler() -> None:
        ran.append("lapor")

    loads.people.add(STRANGER)  # `sigap112 users add` in another process
    await processor.process_update(message(STRANGER, STRANGER, "/lapor x"), handler())
    assert ran == ["lapor"]
    await processor.shutdown()


async def test_under_pressure_chatter_and_strangers_are_shed_but_staff_waits_its_turn() -> None:
    processor = await started(Loads({CALL_TAKER}, {CENTER}), slots=4)
    release = asyncio.Event()
    ran: list[str] = []

    async def busy() -> None:
        await release.wait()

    async def handler(name: str) -> None:
        ran.append(name)

    holding = [asyncio.create_task(processor.process_update(message(CALL_TAKER, -2000 - i, "/lapor"), busy()))
               for i in range(4)]
    await settle()
    assert processor.under_pressure
    await processor.process_update(message(2001, CENTER, "ngobrol saja"), handler("chatter"))
    await processor.process_update(message(STRANGER, STRANGER, "/start"), handler("stranger"))
    staff = asyncio.create_task(processor.process_update(message(CALL_TAKER, CALL_TAKER, "/lapor"),
                                                         handler("staff")))
    await settle()
    assert ran == []
    release.set()
    await asyncio.gather(staff, *holding)
    assert ran == ["staff"]
    await processor.process_update(message(2001, CENTER, "ngobrol saja"), handler("chatter"))
    assert ran == ["staff", "chatter"]  # without pressure chatter is handled as before
    await processor.shutdown()


async def test_the_rationing_of_strangers_is_forgotten_after_a_minute() -> None:
    now = [0.0]
    triage = Triage(clock=lambda: now[0])
    for chat in range(1, 21):
        assert triage.let_stranger_in(message(chat, chat, "/start"))
    assert not triage.let_stranger_in(message(1, 1, "/start"))
    assert triage.tracked == 20
    now[0] = 61.0
    assert triage.let_stranger_in(message(1, 1, "/start"))
    assert triage.tracked == 1


async def settle() -> None:
    """Let every task that is ready run until it waits: no I/O is involved, so a number of turns of the event
    loop does it, however busy the machine (a timed sleep would depend on the machine)."""
    for _ in range(200):
        await asyncio.sleep(0)
