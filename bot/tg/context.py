"""The typed context every handler and job receives, as in PTB's contexttypesbot.py: `context.bot_data` is a
`BotData` (not a dict of string keys), and `context.services` / `context.wake_sender()` say what handlers use it for."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from ..services.context import Services
from ..services.inbox import Stored
from .sender import OutboxSender


class Wakeable(Protocol):
    """The stored-update processor as the webhook sees it (tg/inbox.py InboxProcessor)."""

    def wake(self) -> None: ...

    async def offer(self, rows: list[Stored]) -> set[int]: ...


class BotData:
    """What handlers, jobs and the serving loops share for the life of the application. PTB builds it without
    arguments; `build_application` fills it in before anything runs."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.holder = ""  # this instance's id: it leases deliveries and stored updates under it
        self.sender: OutboxSender | None = None
        self.sender_task: asyncio.Task[None] | None = None
        self.inbox: Wakeable | None = None  # the stored-update processor, once started
        self.last_update_at: datetime | None = None  # for /healthz, /kesehatan and the heartbeat
        self.edits_told: OrderedDict[tuple[int, int], None] = OrderedDict()  # (chat, message) already answered
        self.webapp_url: str | None = None  # the map's public address (WEBAPP_URL); None = no map
        self.board_keys: list[str] = []  # the groups with a live board (BOARD_GROUPS)
        # Updates on a try that may be repeated, and those whose try lost a race in the database (tg/inbox.py).
        self.may_retry: set[int] = set()
        self.lost_race: set[int] = set()

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("BotData used before build_application filled it in")
        return self._services

    def wire(self, services: Services, holder: str) -> None:
        self._services = services
        self.holder = holder

    def wake_sender(self) -> None:
        """New rows are in the outbox: the sender looks now rather than at its next poll."""
        if self.sender is not None:
            self.sender.wake()


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """`CallbackContext` with our shared state typed."""

    @property
    def services(self) -> Services:
        return self.bot_data.services

    def wake_sender(self) -> None:
        self.bot_data.wake_sender()


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)
# The bot and job queue types PTB's builder infers are loose (defaults, rate-limiter arguments); ours are these.
App = Application[ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, Any]
