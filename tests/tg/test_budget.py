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


async def test_a_restarted_budget_charged_with_the_last_minute_holds_back_a_busy_group() -> None:
    """A process that starts again is charged with what went out in the last minute (tg/sender.py reads it from
    the outbox): a group that just had its burst waits; one whose posts are a minute old does not."""
    budget = Budget()
    await budget.charge(-1, [1.0 + i * 0.1 for i in range(10)])  # ten posts in the last two seconds
    await budget.charge(-2, [70.0 + i for i in range(10)])  # ten posts more than a minute ago
    await budget.charge(-3, [5.0, 3.0])  # two posts: the burst still has room
    assert not budget.can_send_now(-1)
    assert budget.backlog_within(-1, 0) == 0
    assert budget.can_send_now(-2) and budget.backlog_within(-2, 0) == 10
    assert budget.can_send_now(-3) and 7 <= budget.backlog_within(-3, 0) <= 8
