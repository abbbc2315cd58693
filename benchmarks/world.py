"""What the delivery benchmarks share: the emulator with a call center's people and groups, the real `sigap112`
process bound to them, and a clock on every message Telegram accepts."""

from __future__ import annotations

import re
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.fake_api import FakeTelegram, Limits, Sent
from bot.sandbox.process import BotProcess
from bot.sandbox.world import ADMIN, GROUPS  # the same small call center as the demo and the end-to-end tests

__all__ = ["ADMIN", "GROUPS", "NUMBER", "Clock", "percentile", "running_bot", "summary"]

NUMBER = re.compile(r"112-\d{4}-\d{5}")


@dataclass
class Clock:
    """Every message Telegram accepted from the bot, with the moment it did (time.monotonic)."""

    posts: list[tuple[float, int, Sent]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def listener(self, what: str, chat_id: int, details: dict[str, Any]) -> None:
        if what == "sent":
            with self.changed:
                self.posts.append((time.monotonic(), chat_id, details["sent"]))
                self.changed.notify_all()


@contextmanager
def running_bot(database_url: str, call_takers: list[int], *, limits: Limits | None,
                env: dict[str, str]) -> Iterator[tuple[FakeTelegram, BotProcess, Clock]]:
    """The emulator (with or without Telegram's flood limits), the call takers and every agency group, and the
    real bot process with a migrated database, everyone registered and every group bound."""
    fake = FakeTelegram(limits=limits).start()
    fake.add_user(ADMIN, "Admin")
    for n, user_id in enumerate(call_takers):
        fake.add_user(user_id, f"Petugas {n + 1}")
        fake.started_private.add(user_id)
    for key, chat_id in GROUPS.items():
        fake.add_group(chat_id, f"Grup {key}")
    clock = Clock()
    fake.listeners.append(clock.listener)
    with tempfile.TemporaryDirectory(prefix="sigap112-bench-") as work:
        bot = BotProcess(fake, database_url, Path(work), admin_ids=[ADMIN],
                         extra_env={"LOG_LEVEL": "WARNING", "INSTANCE_ID": "bench", **env})
        bot.cli("db", "upgrade")
        for n, user_id in enumerate(call_takers):
            bot.cli("users", "add", "--id", str(user_id), "--name", f"Petugas {n + 1}", "--role", "call_taker")
        for key, chat_id in GROUPS.items():
            bot.cli("groups", "add", "--chat-id", str(chat_id), "--key", key)
        bot.start()
        try:
            fake.wait_polling()
            yield fake, bot, clock
        finally:
            bot.stop()
            fake.stop()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float], seconds: bool = False) -> str:
    scale, unit = (1, "s") if seconds else (1000, "ms")
    return (f"p50 {statistics.median(values) * scale:.1f} {unit}, p99 {percentile(values, 99) * scale:.1f} {unit}, "
            f"max {max(values) * scale:.1f} {unit} (n={len(values)})")
