"""Telegram's flood limits, kept by the bot itself so that it never provokes a 429.

Telegram allows about 20 messages a minute to one group, about 30 a second overall and about one a second in a
private chat (short bursts allowed); it does not say how it counts. We assume the strictest reading — any 60 s
window for a group, any 1 s window overall — and keep under it with token buckets (aiolimiter's leaky buckets):
a bucket of B messages refilled at r a second never lets more than B + r·T through in any window of T seconds.

- group: a burst of half the minute's allowance (10), then one every ~6.7 s: at most 19 in any minute. A quiet
  day (fewer than 10 posts a minute to a group) never waits; in a surge the steady pace is what digests fill.
- overall: a burst of 10, then 19 a second: at most 29 in any second.
- private chat: a burst of 5, then one a second.

Every call that puts something in a chat goes through `BudgetLimiter` (PTB's rate-limiter hook), handlers'
replies as well as the outbox, so both draw on the same buckets. A 429 that still comes (another program on the
same token, Telegram counting differently) pauses that chat — only that chat — for `retry_after`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from .errors import retry_after_seconds

log = logging.getLogger(__name__)
# The methods that post into a chat (what Telegram's flood control counts).
COUNTED = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup",
                     "sendLocation", "copyMessage", "forwardMessage",
                     "sendVideo", "sendVoice", "sendAudio", "sendMediaGroup"})
OUTBOX = {"outbox": True}  # rate_limit_args of outbox sends: a 429 goes back to the outbox, which reschedules
HANDLER_RETRIES = 3
REPLY_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # a handler's answer through an outage of about a minute
PRIVATE_BURST = 5
RELEASE_EVERY = 60.0  # seconds between sweeps that forget idle chats


class Budget:
    """`share`: how many instances use the same bot token; each keeps 1/share of every limit."""

    def __init__(self, group_per_minute: float = 20, overall_per_second: float = 30, share: int = 1) -> None:
        group, overall = group_per_minute / share, overall_per_second / share
        group_burst = max(1.0, group // 2)
        group_rate = max(group - 1 - group_burst, 0.5) / 60  # per second
        overall_burst = max(1.0, overall // 3)
        overall_rate = max(overall - 1 - overall_burst, 0.5)
        self._group = (group_burst, group_burst / group_rate)
        private_burst = max(1.0, PRIVATE_BURST // share)
        self._private = (private_burst, private_burst * share)  # the burst, then one a second for all instances
        self._overall = AsyncLimiter(overall_burst, overall_burst / overall_rate)
        self._chats: dict[int, AsyncLimiter] = {}
        self._used_at: dict[int, float] = {}  # when each chat's bucket was last drawn on or waited for
        self._paused_until: dict[int, float] = {}
        self._next_release = time.monotonic() + RELEASE_EVERY

    def seconds_per_message(self, chat_id: int) -> float:
        """The steady pace of a chat once its burst is spent."""
        limiter = self._limiter(chat_id)
        return float(limiter.time_period / limiter.max_rate)

    def backlog_within(self, chat_id: int, seconds: float) -> int:
        """How many messages this chat could be sent within `seconds` from now: what its bucket holds now plus
        what refills meanwhile."""
        limiter = self._limiter(chat_id)
        low, high = 0, int(limiter.max_rate)  # has_capacity(n) holds for n <= what the bucket holds now
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if limiter.has_capacity(middle) else (low, middle - 1)
        return low + int(seconds / self.seconds_per_message(chat_id))

    def can_send_now(self, chat_id: int) -> bool:
        """Whether a message to this chat could go now, without waiting (what ready() would not wait for)."""
        paused = self._paused_until.get(chat_id)
        if paused is not None and paused > time.monotonic():
            return False
        return self._limiter(chat_id).has_capacity() and self._overall.has_capacity()

    async def ready(self, chat_id: int) -> None:
        """Wait until a message to this chat could go now (without taking it), so that what is sent then is
        chosen as late as possible: a backlog that built up meanwhile can go as one digest."""
        limiter = self._limiter(chat_id)
        await self._wait_out_pause(chat_id)
        while not (limiter.has_capacity() and self._overall.has_capacity()):
            await asyncio.sleep(min(self.seconds_per_message(chat_id) / 4, 0.5))
            await self._wait_out_pause(chat_id)

    async def acquire(self, chat_id: int) -> None:
        await self._wait_out_pause(chat_id)
        await self._limiter(chat_id).acquire()
        self._used_at[chat_id] = time.monotonic()
        await self._overall.acquire()

    async def charge_all(self, sent: list[tuple[int, float]]) -> None:
        """charge() every group of `sent`: (chat, seconds ago) of each message. Private chats are not: their
        budget is a second's, and a person waiting for an answer should not wait for a guess."""
        ages: dict[int, list[float]] = {}
        for chat_id, age in sent:
            if chat_id < 0:
                ages.setdefault(chat_id, []).append(max(age, 0.0))
        for chat_id, chat_ages in ages.items():
            await self.charge(chat_id, chat_ages)
        if ages:
            log.info("flood budgets charged with %d posts sent to %d groups in the last minute",
                     sum(map(len, ages.values())), len(ages))

    async def charge(self, chat_id: int, ages: list[float]) -> None:
        """Remember messages sent to this chat `ages` seconds ago (by a previous life of this process, or another
        instance): its bucket holds what of them has not leaked out yet, as if they had been sent from here."""
        limiter = self._limiter(chat_id)
        rate = limiter.max_rate / limiter.time_period  # what leaks out per second
        level, last = 0.0, None
        for age in sorted(ages, reverse=True):  # oldest first
            if last is not None:
                level = max(0.0, level - (last - age) * rate)
            level, last = level + 1, age
        if last is not None:
            level = max(0.0, level - last * rate)
        amount = min(level, limiter.max_rate)
        if amount > 0 and limiter.has_capacity(amount):  # then acquire() takes it at once
            await limiter.acquire(amount)
            self._used_at[chat_id] = time.monotonic()

    @property
    def tracked_chats(self) -> int:
        """Chats whose budget is remembered (forgotten once their bucket is full again and no pause is on)."""
        return len(self._chats.keys() | self._paused_until.keys())

    def release_idle(self, now: float | None = None) -> int:
        """Forget the chats whose bucket has refilled completely and whose pause is over: such a chat's state is
        the same as a new one's. Returns how many were forgotten."""
        now = time.monotonic() if now is None else now
        idle = [chat for chat, limiter in self._chats.items()
                if now - self._used_at.get(chat, now) > limiter.time_period + 1]
        for chat in idle:
            del self._chats[chat]
            self._used_at.pop(chat, None)
        for chat in [c for c, until in self._paused_until.items() if until <= now]:
            del self._paused_until[chat]
        return len(idle)

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing goes to it before `seconds` have passed."""
        until = time.monotonic() + seconds
        self._paused_until[chat_id] = max(until, self._paused_until.get(chat_id, 0.0))

    async def _wait_out_pause(self, chat_id: int) -> None:
        pause = self._paused_until.get(chat_id, 0.0) - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        now = time.monotonic()
        if now >= self._next_release:
            self._next_release = now + RELEASE_EVERY
            self.release_idle(now)
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(*(self._group if chat_id < 0 else self._private))
            self._chats[chat_id] = limiter
        self._used_at[chat_id] = now
        return limiter


class BudgetLimiter(BaseRateLimiter[dict[str, bool]]):
    """PTB's hook around every Bot API call: posts into a chat take from the budget; a handler's reply that still
    meets a 429 waits and tries again (a person is waiting for it), an outbox send hands the 429 back."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._stopping = asyncio.Event()

    def stop_retrying(self) -> None:
        """Shutdown: an answer waiting to be tried again is given up now (it would hold the stop for a minute)."""
        self._stopping.set()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] |
                                                                      list[dict[str, Any]]]],
                              args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: dict[str, bool] | None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint not in COUNTED or not isinstance(chat_id, int):
            return await callback(*args, **kwargs)
        from_outbox = bool(rate_limit_args and rate_limit_args.get("outbox"))
        attempt = 0
        while True:
            for _ in range(_weight(endpoint, data)):
                await self.budget.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except NetworkError as exc:  # Telegram unreachable for a moment (502, reset, timeout)
                attempt += 1
                if (from_outbox or isinstance(exc, BadRequest) or attempt > len(REPLY_BACKOFF)
                        or self._stopping.is_set()):
                    raise
                # A handler's answer — a report's number — is not given up for a short outage: tried again
                # (an answer that timed out may come twice; one lost would leave the call taker without it).
                log.warning("Telegram unreachable (%s) while answering in %s; trying again", exc, chat_id)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REPLY_BACKOFF[attempt - 1]):
                        await self._stopping.wait()
                if self._stopping.is_set():
                    raise  # shutting down: no last try (it could hang until the read timeout)
                continue
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.budget.pause(chat_id, seconds)
                attempt += 1
                if from_outbox or attempt > HANDLER_RETRIES or self._stopping.is_set():
                    raise
                log.warning("Telegram asked to wait %.0f s before writing to %s again; waiting", seconds, chat_id)


def _weight(endpoint: str, data: dict[str, Any]) -> int:
    """How many messages a call puts in the chat: an album is one message per item (media, issue 13)."""
    media = data.get("media") if endpoint == "sendMediaGroup" else None
    return max(1, len(media)) if isinstance(media, list | tuple) else 1
