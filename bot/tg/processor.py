"""One chat's backlog never delays another's; what nobody is waiting for is dropped before it costs anything.

Updates from different chats are handled side by side, updates from one chat strictly in order (a call taker's
form, a group's replies). A handler may wait for a busy group's Telegram budget (tg/budget.py) before its reply
can go; only that chat waits.

PTB takes its own concurrency slot *before* it calls `do_process_update` (`BaseUpdateProcessor.process_update` is
final), so a chat's backlog queued in here would hold PTB's slots and stall every other chat. PTB's limit is
therefore set out of reach, and ours is taken only when the chat's turn has come: a chat waiting behind its own
backlog holds no slot.

Every update is sorted first, from memory (`Triage`, no database):
- staff: from a registered person (or ADMIN_IDS), or, in a bound group, a command, a button press, a reply to
  the bot, a location, the bot's own membership. Never dropped for load; they have slots of their own
  (the others may use at most `OTHER_SLOTS`).
- chatter: anything else in a bound group (people talking among themselves). Dropped under pressure.
- stranger: an unknown person in a private chat or in a group no agency uses, channel posts. Only what a
  stranger can be answered (/start, /whoami, /bantuan; the bot's own membership) is handled, at most once a chat
  a minute and `STRANGERS_PER_MINUTE` overall; the rest, and all of it under pressure, is dropped unread.
Who is known is kept in memory and read again every `REFRESH_EVERY` seconds; before a stranger's private
message is dropped it is read once more (at most twice a second, however many strangers write), so that someone
registered a moment ago from the command line is not taken for a stranger. A group no agency uses costs no read.
Each chat's queue is bounded (`QUEUE_LIMIT`)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from telegram import Message, MessageEntity, Update
from telegram.ext import BaseUpdateProcessor

from ..domain.model import COMMANDS_BY_ROLE
from ..services.people import Known

log = logging.getLogger(__name__)

MAX_CONCURRENT = 64
OTHER_SLOTS = 16  # of the MAX_CONCURRENT, what chatter and strangers may hold at once
PTB_UNLIMITED = 1 << 30  # PTB's own semaphore is taken before the chat's turn: never let it be the limit
STRANGER_INTERVAL = 60.0
STRANGERS_PER_MINUTE = 30
REFRESH_EVERY = 30.0  # seconds between reloads of who is known (CLI changes, migrated groups)
MIN_RELOAD_GAP = 0.5  # seconds between two reads of who is known, however many strangers write
STRANGER_COMMANDS = frozenset({*COMMANDS_BY_ROLE[None], "help"})  # what an unknown person is answered


class Kind(Enum):
    STAFF = "staff"
    CHATTER = "chatter"
    STRANGER = "stranger"


# Updates of one chat admitted (running or waiting) at most; staff's bound only what no person types.
QUEUE_LIMIT = {Kind.STAFF: 1000, Kind.CHATTER: 20, Kind.STRANGER: 3}


class Triage:
    """Sorts updates into staff, chatter and strangers, and rations the strangers, all in memory. `load` reads
    who is known (from the database); until it first succeeds every update counts as staff (nothing is lost
    because the database was slow at start-up)."""

    def __init__(self, load: Callable[[], Awaitable[Known]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self.clock = clock
        self.known: Known | None = None
        self._last_answered: dict[tuple[int, str], float] = {}
        self._recent: deque[float] = deque()  # when strangers' updates were let through, the last minute
        self._next_prune = 0.0
        self._loading = asyncio.Lock()
        self._loaded_at = -1.0

    def kind(self, update: object) -> Kind:
        known = self.known
        if known is None or not isinstance(update, Update):
            return Kind.STAFF
        user, chat = update.effective_user, update.effective_chat
        if user is not None and user.id in known.people:
            return Kind.STAFF
        if chat is not None and chat.id in known.groups:
            return Kind.STAFF if _addressed(update) else Kind.CHATTER
        return Kind.STRANGER

    def let_stranger_in(self, update: object) -> bool:
        """Only what a stranger can be answered, at most once a chat a minute (the bot's own membership counted
        apart), and a few overall."""
        membership = _is_membership(update)
        if not (membership or _stranger_command(update)):
            return False
        now = self.clock()
        self._prune(now)
        chat = chat_of(update)
        key = (chat if chat is not None else 0, "member" if membership else "message")
        if now - self._last_answered.get(key, -STRANGER_INTERVAL) < STRANGER_INTERVAL:
            return False
        if len(self._recent) >= STRANGERS_PER_MINUTE:
            return False
        self._last_answered[key] = now
        self._recent.append(now)
        return True

    @property
    def tracked(self) -> int:
        """Chats whose rationing is remembered (it is forgotten a minute later)."""
        return len(self._last_answered)

    def _prune(self, now: float) -> None:
        while self._recent and now - self._recent[0] >= STRANGER_INTERVAL:
            self._recent.popleft()
        if now < self._next_prune:
            return
        self._next_prune = now + STRANGER_INTERVAL
        for key in [k for k, at in self._last_answered.items() if now - at >= STRANGER_INTERVAL]:
            del self._last_answered[key]

    async def refresh(self) -> None:
        if self._load is None:
            return
        began = self.clock()
        try:
            self.known = await self._load()
        except Exception:  # keep the last picture (or none: everyone counts as staff) and try again later
            log.warning("could not load who is known; sorting updates by the last picture", exc_info=True)
        self._loaded_at = began

    async def fresh(self, since: float) -> None:
        """Return once who is known has been read after `since`: one read serves every update waiting for it."""
        if self._load is None:
            return
        async with self._loading:
            if self._loaded_at >= since:
                return
            await asyncio.sleep(max(0.0, self._loaded_at + MIN_RELOAD_GAP - self.clock()))
            await self.refresh()

    def note_bound(self, chat_id: int) -> None:
        """A group was just bound here: its members count from its next update on."""
        if self.known is not None:
            self.known = Known(self.known.people, self.known.groups | {chat_id})

    async def keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            await self.refresh()


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0  # updates running or waiting here


class PerChatProcessor(BaseUpdateProcessor):
    def __init__(self, triage: Triage | None = None, max_concurrent_updates: int = MAX_CONCURRENT,
                 other_slots: int = OTHER_SLOTS) -> None:
        super().__init__(PTB_UNLIMITED)
        self.triage = triage or Triage()
        self.limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._other_slots = asyncio.Semaphore(min(other_slots, max_concurrent_updates))
        self._chats: dict[int, _Chat] = {}
        self._refresher: asyncio.Task[None] | None = None
        self.dropped = 0

    @property
    def under_pressure(self) -> bool:
        """Every slot is taken (or promised to someone waiting)."""
        return self._slots.locked()

    @property
    def tracked_chats(self) -> int:
        """Chats with updates running or waiting (a chat is forgotten when its last one is done)."""
        return len(self._chats)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        arrived = self.triage.clock()
        kind = self.triage.kind(update)
        key = chat_of(update)
        chat = self._chats.get(key) if key is not None else None
        if not self._admit(kind, chat, update):
            self._drop(coroutine)
            return
        if key is None:  # no chat, no person: nothing anyone waits for, except PTB's own updates
            if kind == Kind.STRANGER:
                self._drop(coroutine)
                return
            async with self._slot(kind):
                await coroutine
            return
        chat = self._chats.setdefault(key, _Chat())
        chat.pending += 1
        started = False
        try:
            if kind == Kind.STRANGER and key > 0:  # someone registered a moment ago is no stranger: look again
                await self.triage.fresh(arrived)
                kind = self.triage.kind(update)
            if kind == Kind.STRANGER and not self.triage.let_stranger_in(update):
                return
            async with chat.lock:  # the chat's turn first, holding nothing anyone else needs
                if kind != Kind.STAFF and self.under_pressure:
                    return
                async with self._slot(kind):
                    started = True
                    await coroutine
        finally:
            if not started:
                self._drop(coroutine)
            chat.pending -= 1
            if chat.pending == 0 and self._chats.get(key) is chat:
                del self._chats[key]

    def _admit(self, kind: Kind, chat: _Chat | None, update: object) -> bool:
        if chat is not None and chat.pending >= QUEUE_LIMIT[kind]:
            if kind == Kind.STAFF:
                log.error("chat %s has %d updates waiting; dropping one", chat_of(update), chat.pending)
            return False
        return kind == Kind.STAFF or not self.under_pressure

    @contextlib.asynccontextmanager
    async def _slot(self, kind: Kind) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if kind != Kind.STAFF:
                await stack.enter_async_context(self._other_slots)
            await stack.enter_async_context(self._slots)
            yield

    def _drop(self, coroutine: Awaitable[Any]) -> None:
        self.dropped += 1
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never started: nothing ran, nothing to clean up

    async def initialize(self) -> None:
        await self.triage.refresh()
        self._refresher = asyncio.create_task(self.triage.keep_fresh(), name="triage-refresh")

    async def shutdown(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None


def chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


def _is_membership(update: object) -> bool:
    return isinstance(update, Update) and update.my_chat_member is not None


def _addressed(update: Update) -> bool:
    """In a bound group: is this for the bot (rather than people talking among themselves)?"""
    if update.callback_query is not None or update.my_chat_member is not None:
        return True
    message = update.effective_message
    if message is None:
        return False
    return is_command(message) or message.location is not None or _replies_to_bot(message)


def is_command(message: Message) -> bool:
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities)


def _stranger_command(update: object) -> bool:
    message = update.message if isinstance(update, Update) else None
    if message is None or message.text is None or not is_command(message):
        return False
    return message.text.split()[0][1:].split("@")[0].lower() in STRANGER_COMMANDS


def _replies_to_bot(message: Message) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.is_bot
