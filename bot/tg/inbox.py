"""Exactly-once intake. Our own long-polling loop replaces PTB's Updater: a batch from getUpdates is stored
(services/inbox.py, one transaction) before the next getUpdates acknowledges it, so a crash between the two loses
nothing — Telegram sends the batch again and the duplicates are ignored. The processor feeds stored updates to the
application in update-id order, through its update processor (tg/processor.py keeps chats side by side and each
chat in order), and marks each one processed when its handlers finished. At start-up it replays what a crash left."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import warnings
from collections.abc import Collection
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.warnings import PTBUserWarning

from ..clock import utcnow
from ..config import Settings
from ..services import inbox
from ..services.context import RACE_TRIES, Services
from .budget import BudgetLimiter
from .context import App

# The polling loop reads getUpdates as raw JSON on purpose (see poll); PTB's hint to use Bot.get_updates is not for us.
warnings.filterwarnings("ignore", message=".*Bot.getUpdates.*", category=PTBUserWarning)

log = logging.getLogger(__name__)
POLL_TIMEOUT = 20  # seconds Telegram holds a getUpdates open when there is nothing
MAX_IN_FLIGHT = 1000  # updates handed to the application at once; the rest wait in the inbox
IDLE_POLL = 5.0
PRUNE_EVERY = 600.0
STOP_GRACE = 15.0
MARK_SETTLE = 0.2  # seconds between an update's handlers finishing and its mark (see _mark_loop)
# How long the polling loop lets the handlers of updates it just handed over run before it asks for more: its
# next getUpdates (≈ 1.5 ms of building a request) would otherwise land between their statements, on a report's
# way to its groups. Normally they finish first (≈ 20 ms); a handler held longer (a reply waiting out a 429)
# delays the next getUpdates by this much at most — the updates wait at Telegram, nothing is lost.
HANDLERS_FIRST = 0.05
# How long the outbox's timers (boards, retries, reminders) give way to handlers running (a report being filed):
# a board rendered meanwhile interleaves its statements with the filing's and held a report back ≈ 80 ms.
INTAKE_FIRST = 0.1


class InboxProcessor:
    def __init__(self, application: App, services: Services, holder: str) -> None:
        self.app = application
        self.services = services
        self.holder = holder
        self._in_flight: set[int] = set()
        self._finished: list[int] = []
        # Handed over before they were stored (see poll): not marked processed until their store committed, since
        # a mark before the row exists would be lost and the update replayed after a restart.
        self._unstored: set[int] = set()
        # Their store failed while their handlers ran: when these end, the update is run again, not marked.
        self._again: set[int] = set()
        self._running: set[int] = set()  # handed over, handlers not finished yet
        self._ran = asyncio.Event()  # a handler finished
        self._wake = asyncio.Event()
        self._marks = asyncio.Event()
        # Held while pending rows are read and handed over, and while marked ones leave `_in_flight`: a read that
        # began before a mark was committed must still find that update in flight, or it would run it twice.
        self._handover = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_prune = 0.0
        self._stopping = False
        # Whether the last read of the inbox found every stored update of this instance (none left behind for
        # lack of room): then updates stored now may be handed over at once, in order, without reading them back.
        self._caught_up = False

    def wake(self) -> None:
        """New updates are in the inbox."""
        self._wake.set()

    async def offer(self, rows: list[inbox.Stored], unstored: bool = False) -> set[int]:
        """Updates just stored (`unstored`: to be stored once their handlers ran, see poll): handed over now when
        nothing older waits in the inbox; otherwise the feed reads them in their turn. The ids handed over now."""
        handed: set[int] = set()
        async with self._handover:
            if self._caught_up and not self._stopping and len(self._in_flight) + len(rows) <= MAX_IN_FLIGHT:
                for row in rows:
                    if row.update_id not in self._in_flight:
                        self._in_flight.add(row.update_id)
                        if unstored:
                            self._unstored.add(row.update_id)
                        self._hand_over(row)
                        handed.add(row.update_id)
                return handed
            if unstored:  # the feed reads them once they are stored
                return handed
            self._caught_up = False  # these wait in the inbox now: the feed reads them, and later ones after them
        self.wake()
        return handed

    def not_stored(self, update_ids: Collection[int]) -> None:
        """Their store failed (the database is down): handed over early, their handlers may have failed with it.
        They are forgotten, unmarked (those still running once they end), so that they run again — from
        Telegram's next delivery of the batch, or from the inbox if that stored them meanwhile (handlers are
        idempotent)."""
        gone = self._unstored.intersection(update_ids)
        self._unstored.difference_update(gone)
        self._again |= gone & self._running
        self._finished = [i for i in self._finished if i not in gone]
        self._in_flight.difference_update(gone - self._running)

    def stored(self, update_ids: Collection[int]) -> None:
        """The store of these updates committed: those handed over before it may be marked processed now."""
        if self._unstored.intersection(update_ids):
            self._unstored.difference_update(update_ids)
            self._marks.set()

    async def let_run(self, update_ids: set[int] | None, within: float) -> None:
        """Until the handlers of these updates (None: of every update) finished, `within` seconds at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._running if update_ids is None else update_ids & self._running:
                    self._ran.clear()
                    await self._ran.wait()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._feed_loop(), name="inbox-feed"),
                       asyncio.create_task(self._mark_loop(), name="inbox-marks")]

    async def stop_feeding(self) -> None:
        """No new updates are handed over; those in flight finish (Application.stop waits for them)."""
        self._stopping = True
        self._wake.set()
        feeder = self._tasks[0] if self._tasks else None
        if feeder is not None:
            feeder.cancel()
            await asyncio.gather(feeder, return_exceptions=True)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._flush_marks()

    async def _feed_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await self._feed()
                if loop.time() - self._last_prune > PRUNE_EVERY:
                    self._last_prune = loop.time()
                    removed = await inbox.prune(self.services, utcnow())
                    if removed:
                        log.info("pruned %d processed updates from the inbox", removed)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the rows stay and are fed at the next pass
                log.exception("feeding stored updates failed; retrying")
            # asyncio.timeout, not wait_for: on Python 3.11 a wait_for whose event is set just as the task is
            # cancelled returns instead of raising (the shutdown then waited for ever).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_POLL):
                    await self._wake.wait()
            self._wake.clear()

    async def _feed(self) -> None:
        async with self._handover:
            room = MAX_IN_FLIGHT - len(self._in_flight)
            if room <= 0:
                return
            limit = len(self._in_flight) + room
            rows = await inbox.pending(self.services, self.holder, limit)
            for row in rows:
                if row.update_id in self._in_flight:
                    continue
                self._in_flight.add(row.update_id)
                self._hand_over(row)
            self._caught_up = len(rows) < limit

    def _hand_over(self, row: inbox.Stored) -> None:
        try:
            update = Update.de_json(row.payload, self.app.bot)
        except Exception:  # cannot be read at all: recorded as done rather than retried for ever
            log.exception("update %s in the inbox cannot be read; skipping it", row.update_id)
            self._done(row.update_id)
            return
        self._running.add(row.update_id)
        self.app.create_task(self._process(row.update_id, update), update=update,
                             name=f"inbox-update-{row.update_id}")

    async def _process(self, update_id: int, update: Update) -> None:
        # Errors in handlers go to the error handler inside process_update; a cancelled update stays unprocessed.
        try:
            await self.app.update_processor.process_update(update, self._run(update_id, update))
        except asyncio.CancelledError:
            raise
        except Exception:  # not a handler's error (those reach the error handler): do not retry it for ever
            log.exception("update %s could not be processed", update_id)
        self._done(update_id)

    async def _run(self, update_id: int, update: Update) -> None:
        """The handlers, run again (in the chat's turn, before its next update) when their transaction lost a race
        in the database — a deadlock or a serialization failure, rolled back whole: the error handler notes it
        (general_handlers.on_error) instead of telling the person something went wrong. The last try is
        reported as any error."""
        data = self.app.bot_data
        for attempt in range(RACE_TRIES):
            if attempt < RACE_TRIES - 1:
                data.may_retry.add(update_id)
            try:
                await self.app.process_update(update)
            finally:
                data.may_retry.discard(update_id)
            if update_id not in data.lost_race:
                return
            data.lost_race.discard(update_id)
            await asyncio.sleep(random.uniform(0.05, 0.15) * 2 ** attempt)

    def _done(self, update_id: int) -> None:
        self._running.discard(update_id)
        self._ran.set()
        if update_id in self._again:  # see not_stored
            self._again.discard(update_id)
            self._in_flight.discard(update_id)
            self.wake()
            return
        self._finished.append(update_id)
        self._marks.set()

    async def _mark_loop(self) -> None:
        """Finished updates are marked in one transaction per wake-up, not one each."""
        while True:
            await self._marks.wait()
            # A moment later: the posts a report queued go out first, and the marks of a burst share one commit
            # (a crash meanwhile only replays updates, which every handler takes idempotently).
            await asyncio.sleep(MARK_SETTLE)
            self._marks.clear()
            try:
                await self._flush_marks()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("marking updates processed failed; retrying")
                await asyncio.sleep(1.0)
                self._marks.set()
            if not self._caught_up and len(self._in_flight) < MAX_IN_FLIGHT // 2:
                self.wake()  # room again for updates left in the inbox

    async def _flush_marks(self) -> None:
        ids = [i for i in self._finished if i not in self._unstored]
        if not ids:
            return
        await inbox.mark_processed(self.services, ids, utcnow())
        marked = set(ids)
        self._finished = [i for i in self._finished if i not in marked]
        async with self._handover:
            self._in_flight.difference_update(ids)


async def poll(application: App, processor: InboxProcessor,
               services: Services, holder: str) -> None:
    """Long polling: fetch, store, and only then let the next getUpdates acknowledge the batch."""
    bot, offset, failures = application.bot, 0, 0
    await _delete_webhook(application)
    while True:
        try:
            # Raw JSON, not Bot.get_updates: one update this version of python-telegram-bot cannot read (a field
            # Telegram added) would make the whole batch fail for ever and stop all intake. Each is stored as
            # Telegram sent it; one that cannot be read is skipped alone when it is handed over.
            batch = await bot.do_api_request("getUpdates", api_kwargs={
                "offset": offset, "timeout": POLL_TIMEOUT, "allowed_updates": list(Update.ALL_TYPES)},
                read_timeout=POLL_TIMEOUT + 10)
            updates = _readable_ids(batch)
            if updates:
                # From the second batch on (Telegram has confirmed one: this one holds only updates no earlier
                # life of the bot saw), the handlers run first and the batch is stored after them: a report's way
                # to its groups neither waits for the inbox's commit nor shares the event loop and the database
                # with it (≈ 2 ms). The next getUpdates, which lets Telegram forget the batch, still waits for
                # the store; a crash before it commits gets the batch again (handlers are idempotent).
                early = await processor.offer(sorted((inbox.Stored(update_id, payload)
                                                      for payload, update_id in updates),
                                                     key=lambda s: s.update_id), unstored=True) if offset else set()
                if early:
                    await processor.let_run(early, HANDLERS_FIRST)
                try:
                    stored = await inbox.store(services, [payload for payload, _ in updates], holder, utcnow())
                except Exception:
                    processor.not_stored(early)
                    raise
                processor.stored([update_id for _, update_id in updates])
                offset = max(update_id for _, update_id in updates) + 1
                application.bot_data.last_update_at = utcnow()
                if handed := await processor.offer(stored):  # those not handed over early
                    await processor.let_run(handed, HANDLERS_FIRST)  # before the next getUpdates: see there
            failures = 0
        except asyncio.CancelledError:
            raise
        except Conflict:
            log.warning("another getUpdates or a webhook is active; removing the webhook and trying again")
            await asyncio.sleep(2.0)
            await _delete_webhook(application)
        except Exception as exc:  # Telegram or the network is down, or the database: the batch is fetched again
            failures += 1
            wait = min(1.0 * failures, 5.0)
            log.warning("getting updates failed (%s); retrying in %.0f s", _short(exc), wait)
            await asyncio.sleep(wait)


def _readable_ids(batch: Any) -> list[tuple[dict[str, Any], int]]:
    """The updates of a getUpdates answer with their ids; anything without an integer update_id is not one."""
    if not isinstance(batch, list):
        return []
    return [(u, u["update_id"]) for u in batch
            if isinstance(u, dict) and isinstance(u.get("update_id"), int) and not isinstance(u["update_id"], bool)]


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


async def _delete_webhook(application: App) -> None:
    while True:
        try:
            await application.bot.delete_webhook(drop_pending_updates=False)
            return
        except TelegramError as exc:
            log.warning("could not remove the webhook (%s); retrying", _short(exc))
            await asyncio.sleep(2.0)


async def serve_polling(application: App, settings: Settings) -> None:
    """Run until SIGTERM/SIGINT: the application, the inbox processor, and the polling loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    services = application.bot_data.services
    if not await initialize(application, stop):
        return
    try:
        processor = await start(application)
        web_runner = None
        if settings.web_port is not None or settings.webapp_url:  # aiohttp's server loads only for the map
            from . import miniapp

            web_runner = await miniapp.start_server(application, settings)
        poller = asyncio.create_task(poll(application, processor, services, settings.instance_id), name="polling")
        log.info("polling Telegram for updates (stored in the inbox before they are acknowledged)")
        await stop.wait()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        if web_runner is not None:
            await web_runner.cleanup()
        await finish(application, processor)
    finally:
        await application.shutdown()


async def initialize(application: App, stop: asyncio.Event) -> bool:
    """Application.initialize (it asks Telegram who the bot is), tried again while Telegram cannot be reached:
    a restart during an outage waits for Telegram instead of ending. False when stopped while waiting."""
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except NetworkError as exc:  # timeouts and 5xx included; a wrong token (InvalidToken) is raised
            log.warning("Telegram cannot be reached at start-up (%s); trying again", _short(exc))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await stop.wait()
    return False


async def start(application: App) -> InboxProcessor:
    """post_init, the application, then the processor (which first replays what a crash left unprocessed)."""
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    processor = InboxProcessor(application, application.bot_data.services, application.bot_data.holder)
    application.bot_data.inbox = processor
    if (sender := application.bot_data.sender) is not None:
        sender.intake_first = lambda: processor.let_run(None, INTAKE_FIRST)
    await processor.start()
    return processor


async def finish(application: App, processor: InboxProcessor) -> None:
    await processor.stop_feeding()
    if isinstance(limiter := application.bot.rate_limiter, BudgetLimiter):
        limiter.stop_retrying()  # an answer waiting out an outage does not hold the stop
    try:
        await asyncio.wait_for(application.stop(), STOP_GRACE)  # waits for the updates in flight
    except TimeoutError:
        log.warning("updates still running after %.0f s; they stay in the inbox for the next start", STOP_GRACE)
    await processor.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
