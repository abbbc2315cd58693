"""The Telegram budget forgets a chat once its state is the same as a new chat's."""

from __future__ import annotations

import time

from bot.tg.budget import Budget


async def test_chats_whose_bucket_refilled_are_forgotten_and_busy_ones_kept() -> None:
    budget = Budget(overall_per_second=10_000)
    for chat in [*range(1, 51), *range(-50, 0)]:
        await budget.acquire(chat)
    budget.pause(-7, 30)
    assert budget.tracked_chats == 100
    assert budget.release_idle() == 0  # just used: a new bucket would let a burst through
    later = time.monotonic() + 120
    budget.release_idle(later)
    assert budget.tracked_chats == 0
    await budget.acquire(-1)  # a forgotten chat starts again with a full bucket
    assert budget.tracked_chats == 1
