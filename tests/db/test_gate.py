"""SQLite's gate: one unit of work at a time, urgent ones (recording a send) first, cancelled waiters skipped."""

from __future__ import annotations

import asyncio

import pytest

from bot.db.uow import Gate


async def test_an_urgent_unit_of_work_goes_before_the_ones_already_waiting() -> None:
    gate, order = Gate(), []
    await gate.acquire()

    async def work(name: str, urgent: bool) -> None:
        await gate.acquire(urgent)
        order.append(name)
        gate.release()

    tasks = [asyncio.create_task(work("claim 1", False)), asyncio.create_task(work("claim 2", False))]
    await asyncio.sleep(0)  # one turn of the event loop (not a timed wait): the claims queue at the gate
    tasks.append(asyncio.create_task(work("record", True)))
    await asyncio.sleep(0)  # one turn: the record queues behind them
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["record", "claim 1", "claim 2"]


async def test_a_waiter_cancelled_while_waiting_does_not_keep_the_gate() -> None:
    gate = Gate()
    await gate.acquire()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)  # one turn: the waiter is queued
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # free again
    gate.release()
