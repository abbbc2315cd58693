"""Delivers the outbox: one worker per destination chat, so a slow, rate-limited or broken group never holds
up another. Telegram's budgets are kept by tg/budget.py; a worker waits for its chat's budget *before* choosing
what to send, so that in a surge it picks the whole backlog up as one digest."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from ..clock import utcnow
from ..domain.model import DeliveryKind
from ..i18n.text import CAPTION_LIMIT, TEXT_LIMIT, fit, plain_fit, shown_plain, visible
from ..services import outbox, stats
from ..services.context import Services
from ..services.dispatch import CONTENT, NOTED_KINDS, Outgoing, Route, SendOutcome, SendResult
from .budget import OUTBOX, Budget
from .errors import classify, is_content_error, is_not_modified, is_url_error
from .keyboards import keyboard
from .send_media import send_media

log = logging.getLogger(__name__)
IDLE_POLL = 5.0
STOP_GRACE = 5.0  # at shutdown, how long a send on its way may take to finish and be recorded
RECORD_GRACE = 8.0  # then how long the records of posts Telegram accepted may still take (a slow disk)
EMPTY_PAUSE = 0.05  # a route whose worker found nothing it could lease (rows being changed) waits this much
REMEMBER = 60.0  # seconds of sends a restarted sender charges its flood budgets with (Telegram counts per minute)
# New posts go out one card each while the group's budget can send them all within this time; a longer backlog
# goes out as a digest, so that no group falls more than about a minute behind (the rest is room for edits).
MAX_BEHIND = 30.0
# When Telegram refuses a text we measured as fitting, the plain-text fallback is cut this much harder.
PLAIN_FALLBACK_LIMIT = TEXT_LIMIT // 2


class OutboxSender:
    def __init__(self, bot: ExtBot[Any], services: Services, holder: str, budget: Budget) -> None:
        self.bot = bot
        self.services = services
        self.holder = holder
        self.budget = budget
        self._wake = asyncio.Event()
        self._workers: dict[Route, asyncio.Task[None]] = {}
        # Workers woken together claim together and record together: one transaction each, not one per group.
        self._claims: outbox.GroupCommit[outbox.Claim, Outgoing | None] = outbox.GroupCommit(
            services, lambda uow, items: outbox.claim_all(uow, services, items), first=True)
        # Telegram's message ids are noted first, in a small transaction: until then a crash sends a post again.
        self._notes: outbox.GroupCommit[outbox.Noted, None] = outbox.GroupCommit(services, outbox.note_all,
                                                                                 first=True)
        self._records: outbox.GroupCommit[outbox.Sent, None] = outbox.GroupCommit(
            services, lambda uow, items: outbox.record_in(uow, services, items), urgent=True)
        self._sending: set[Route] = set()  # routes whose worker is between claiming a delivery and recording it
        # Records of what Telegram answered: finished even when their worker is stopped (else sent again).
        self._booking: set[asyncio.Task[None]] = set()
        # New cards leased and rendered in their report's transaction (services.dispatch.FastLane), per route.
        self._ready: dict[Route, list[Outgoing]] = {}
        self._chat_of: dict[str, int] = {}  # each agency's group as last seen (for its budget)
        self._stopping = False
        self.waiting = False  # idle between two looks at the outbox
        self._empty_at: dict[Route, float] = {}  # routes whose worker last found nothing to send, and when
        # Set by the inbox: waits (a moment at most) while handlers run. Work the dispatcher's own timer brings
        # (a board, a retry, a reminder) gives way to a report being filed; what a handler woke it for does not.
        self.intake_first: Callable[[], Awaitable[None]] | None = None

    def wake(self) -> None:
        """New rows are in the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        self._stopping = False  # before the first await: a stop asked for before the task began cancels it there
        released = await outbox.release_leases(self.services, self.holder, utcnow())
        if released:
            log.info("released %d deliveries leased by an earlier run of %s", released, self.holder)
        await self._remember_budget()
        self.services.lane.connect(self.holder, self._open_for, self._give)
        while not self._stopping:
            try:
                timeout = await self._dispatch()
            except Exception:  # a database hiccup must not stop delivery for good
                log.exception("outbox dispatch failed; retrying")
                timeout = IDLE_POLL
            # asyncio.timeout, not wait_for: on Python 3.11 a wait_for whose event is set just as the task is
            # cancelled returns instead of raising, and the loop went on for ever after SIGTERM.
            self.waiting = True
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
            finally:
                self.waiting = False
            woken = self._wake.is_set()
            self._wake.clear()
            if not woken and self.intake_first is not None and not self._stopping:
                await self.intake_first()

    async def _remember_budget(self) -> None:
        """A restarted process has forgotten its last minute: its buckets are charged with what the outbox says
        went out (any instance), or a restart in a busy minute sends a burst Telegram answers with 429s."""
        now = utcnow()
        try:
            sent = await outbox.sent_since(self.services, now - timedelta(seconds=REMEMBER))
        except Exception:  # only means starting with full buckets
            log.exception("could not read what was sent in the last minute; starting with full flood budgets")
            return
        self._chat_of.update({key: chat for key, chat, _ in sent if key is not None})  # the lane asks their budget
        await self.budget.charge_all([(chat, (now - at).total_seconds()) for _, chat, at in sent])

    def stopping(self) -> None:
        """Shutdown: the dispatcher ends at its next turn even if a cancellation of it is lost."""
        self._stopping = True
        self.services.lane.disconnect()
        self._wake.set()

    async def stop(self) -> None:
        """Workers waiting for a budget end now; a send already on its way finishes and is recorded (within
        STOP_GRACE): cancelled between Telegram's answer and its record, it would go out again after the restart."""
        self.stopping()
        for route, task in list(self._workers.items()):
            if route not in self._sending:
                task.cancel()
        tasks = list(self._workers.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in late:
                log.warning("delivery worker %s still sending after %.0f s; stopping it", task.get_name(), STOP_GRACE)
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if booking := list(self._booking):  # a stopped worker's post that Telegram accepted is recorded all the same
            _, late = await asyncio.wait(booking, timeout=RECORD_GRACE)
            for task in late:
                log.warning("a post's record still unwritten after %.0f s more; it may go out again", RECORD_GRACE)
                task.cancel()
            await asyncio.gather(*booking, return_exceptions=True)

    def _open_for(self, agency_keys: Collection[str]) -> set[str]:
        """The agencies whose new card this sender can send at once (FastLane): no worker busy on their group
        and its budget ready now."""
        idle = [k for k in agency_keys if (t := self._workers.get(Route(k, None))) is None or t.done()]
        return set() if self._stopping else {k for k in idle if (chat_id := self._chat_of.get(k)) is None
                                             or self.budget.can_send_now(chat_id)}

    def _give(self, jobs: Sequence[Outgoing]) -> None:
        """Cards leased to this sender in their report's transaction: each group's worker sends its card now."""
        if self._stopping:
            return  # still leased: released at the next start, or taken again when the lease runs out
        for job in jobs:
            self._ready.setdefault(job.route, []).append(job)
            if job.route.agency_key is not None:
                self._chat_of[job.route.agency_key] = job.chat_id
            task = self._workers.get(job.route)
            if task is None or task.done():
                self._workers[job.route] = asyncio.create_task(self._drain(job.route, job.chat_id),
                                                               name=f"outbox-{job.route}")

    def _take_ready(self, route: Route) -> Outgoing | None:
        if not (ready := self._ready.get(route)):
            return None
        if len(ready) == 1:
            del self._ready[route]
        return ready.pop(0)

    @property
    def active_routes(self) -> int:
        """Routes with a worker now (a worker forgets its route when it stops: memory does not grow per chat)."""
        return len(self._workers)

    @property
    def recording(self) -> int:
        """Posts Telegram answered whose record is being written."""
        return len(self._booking)

    async def _dispatch(self) -> float:
        """Start a worker for every route with something due and none working on it; return how long to sleep
        until something else falls due (a working route's worker kicks the dispatcher when it stops)."""
        now = utcnow()
        routes, lease_ends = await outbox.schedule(self.services, now)
        timeout = IDLE_POLL
        if lease_ends is not None:  # another instance's lease, or one of a crashed life, may run out
            timeout = min(timeout, (lease_ends - now).total_seconds())
        clock = asyncio.get_running_loop().time()
        self._empty_at = {r: at for r, at in self._empty_at.items() if clock - at < EMPTY_PAUSE}
        for route, due, chat_id in routes:
            if route.agency_key is not None and chat_id is not None:
                self._chat_of[route.agency_key] = chat_id
            task = self._workers.get(route)
            if task is not None and not task.done():
                continue
            if due <= now and route in self._empty_at:
                timeout = min(timeout, EMPTY_PAUSE - (clock - self._empty_at[route]))
            elif due <= now:
                self._workers[route] = asyncio.create_task(self._drain(route, chat_id), name=f"outbox-{route}")
            else:
                timeout = min(timeout, (due - now).total_seconds())
        return max(timeout, 0.05)

    async def _drain(self, route: Route, chat_id: int | None) -> None:
        """Send this route's due messages one by one until none is due or Telegram asks us to wait (`chat_id`:
        where the route went when the dispatcher looked; a migrated group ends this drain)."""
        try:
            while True:
                digest_at = 0  # no group bound: no digest either
                if chat_id is not None:
                    await self.budget.ready(chat_id)
                    digest_at = self.budget.backlog_within(chat_id, MAX_BEHIND) + 1
                if self._stopping:
                    return
                self._sending.add(route)
                try:
                    job = self._take_ready(route) or await self._claims.run((route, self.holder, utcnow(),
                                                                            digest_at))
                    if job is None:
                        self._empty_at[route] = asyncio.get_running_loop().time()
                        return
                    result = await self._send(job)
                    booking = asyncio.create_task(self._book(job, result), name=f"record-{route}")
                    self._booking.add(booking)
                    booking.add_done_callback(self._booking.discard)
                    await asyncio.shield(booking)  # a stop cancels this worker, not the record (stop() awaits it)
                finally:
                    self._sending.discard(route)
                self.wake()  # recording may have queued more (a delivery report, an edit, an alert)
                if result.outcome != SendOutcome.SENT:
                    return  # the row holds its next attempt time; the dispatcher comes back for it
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery worker for %s failed", route)
        finally:
            if self._workers.get(route) is asyncio.current_task():
                del self._workers[route]
                if self._ready.get(route) and not self._stopping:  # given while this worker was finishing
                    self._workers[route] = asyncio.create_task(self._drain(route, chat_id), name=f"outbox-{route}")
            self.wake()  # the dispatcher looks at this route again (it skips routes with a worker)

    async def _book(self, job: Outgoing, result: SendResult) -> None:
        try:
            if result.outcome == SendOutcome.SENT and result.message_id is not None and job.kind in NOTED_KINDS:
                await self._notes.run((job, result.message_id))
            await self._records.run((job, result, utcnow()))
        except Exception:  # logged here too: a stopped worker no longer awaits it
            log.exception("recording delivery %s failed; it may go out again", job.delivery_id)
            raise

    async def _send(self, job: Outgoing) -> SendResult:
        text = fit(job.text)  # whoever rendered it, a text fits Telegram's limit as Telegram counts it
        if job.kind == DeliveryKind.MEDIA and not job.media:
            return SendResult(SendOutcome.PERMANENT, detail="no media", reason=CONTENT)
        try:
            return await self._call(job, text, ParseMode.HTML)
        except TelegramError as exc:
            if is_not_modified(exc):
                return SendResult(SendOutcome.SENT, message_id=job.message_id, detail="not modified")
            if is_content_error(exc):
                # A report is never lost to its content: send what a person would see, as plain text, shorter.
                log.warning("Telegram refused the content of delivery %s (%s); sending plain text",
                            job.delivery_id, exc)
                return await self._send_plain(job, text)
            return classify(exc)
        except Exception as exc:  # anything below PTB (should not happen): treat as transient
            log.exception("unexpected error sending delivery %s", job.delivery_id)
            return SendResult(SendOutcome.RETRY, detail=f"{type(exc).__name__}: {exc}")

    async def _send_plain(self, job: Outgoing, text: str) -> SendResult:
        try:
            result = await self._call(job, shown_plain(text, PLAIN_FALLBACK_LIMIT), None)
            return SendResult(SendOutcome.SENT, message_id=result.message_id, detail="sent as plain text")
        except TelegramError as exc:
            if is_not_modified(exc):
                return SendResult(SendOutcome.SENT, message_id=job.message_id, detail="not modified")
            return classify(exc)  # refused again for its content: this message fails, the group stays reachable

    async def _call(self, job: Outgoing, text: str, parse_mode: str | None) -> SendResult:
        if job.kind == DeliveryKind.MEDIA:
            return await send_media(self.bot, job, parse_mode)
        if job.kind == "chart" and job.chart_month:
            png, label = await stats.month_chart(self.services, job.chart_month)
            photo = await self.bot.send_photo(job.chat_id, png, caption=plain_fit(
                visible(self.services.tr("chart_caption", period=label)), CAPTION_LIMIT),
                                              message_thread_id=job.thread_id, rate_limit_args=OUTBOX)
            return SendResult(SendOutcome.SENT, message_id=photo.message_id)
        if job.kind == "photo" and job.photo_url:
            return await self._photo(job, text)
        if job.kind == "board":
            return await self._board(job, text, parse_mode)
        markup = keyboard(job.buttons)
        if job.kind == "edit":
            assert job.message_id is not None
            # The keyboard is always sent with an edit: an edit without it would remove the buttons.
            await self.bot.edit_message_text(text, chat_id=job.chat_id, message_id=job.message_id,
                                             parse_mode=parse_mode, reply_markup=markup,
                                             link_preview_options=LinkPreviewOptions(is_disabled=True),
                                             rate_limit_args=OUTBOX)
            return SendResult(SendOutcome.SENT, message_id=job.message_id)
        reply = ReplyParameters(job.reply_to, allow_sending_without_reply=True) if job.reply_to else None
        message = await self.bot.send_message(job.chat_id, text, parse_mode=parse_mode,
                                              reply_markup=markup if job.buttons else None, reply_parameters=reply,
                                              link_preview_options=LinkPreviewOptions(is_disabled=True),
                                              message_thread_id=job.thread_id, rate_limit_args=OUTBOX)
        return SendResult(SendOutcome.SENT, message_id=message.message_id)

    async def _board(self, job: Outgoing, text: str, parse_mode: str | None) -> SendResult:
        """A group's live board: edited in place; posted anew (then pinned where the bot may) when it is new,
        gone, or re-posted at the bottom (the old one is then unpinned and deleted, as far as the bot may)."""
        preview = LinkPreviewOptions(is_disabled=True)
        if job.message_id is not None:
            try:
                await self.bot.edit_message_text(text, chat_id=job.chat_id, message_id=job.message_id,
                                                 parse_mode=parse_mode, link_preview_options=preview,
                                                 rate_limit_args=OUTBOX)
                return SendResult(SendOutcome.SENT, message_id=job.message_id)
            except BadRequest as exc:
                if not is_board_gone(exc):
                    raise
                log.info("the board in %s is gone (%s); posting it again", job.chat_id, exc.message)
        message = await self.bot.send_message(job.chat_id, text, parse_mode=parse_mode, link_preview_options=preview,
                                              message_thread_id=job.thread_id, rate_limit_args=OUTBOX)
        pinned = await self._pin(job.chat_id, message.message_id) if job.pin else None
        if job.replaces is not None:
            with contextlib.suppress(TelegramError):  # not pinned, or not ours to unpin: nothing to undo
                await self.bot.unpin_chat_message(job.chat_id, message_id=job.replaces)
            try:
                await self.bot.delete_message(job.chat_id, job.replaces)
            except TelegramError as exc:  # too old, or not allowed: the old board stays above, the new one is in
                log.info("could not delete the old board %s in %s: %s", job.replaces, job.chat_id, exc)
        return SendResult(SendOutcome.SENT, message_id=message.message_id, pinned=pinned)


    async def _pin(self, chat_id: int, message_id: int) -> bool | None:
        """Pin a new board quietly: True; False when the bot lacks the right (Telegram's 'not enough rights');
        None when Telegram did not say (tried again at the next post)."""
        try:
            await self.bot.pin_chat_message(chat_id, message_id, disable_notification=True)
            return True
        except BadRequest as exc:
            if "not enough rights" in exc.message.lower():
                return False
            log.warning("pinning the board in %s failed: %s", chat_id, exc)
            return None
        except TelegramError as exc:
            log.warning("pinning the board in %s failed: %s", chat_id, exc)
            return None

    async def _photo(self, job: Outgoing, caption: str) -> SendResult:
        """A picture by URL (Telegram fetches it). When Telegram cannot fetch it, the caption and the link go as
        a text instead: the picture is a help, never a reason to lose the message."""
        assert job.photo_url is not None
        reply = ReplyParameters(job.reply_to, allow_sending_without_reply=True) if job.reply_to else None
        try:
            message = await self.bot.send_photo(job.chat_id, job.photo_url, caption=plain_fit(visible(caption),
                                                                                            CAPTION_LIMIT),
                                                reply_parameters=reply, message_thread_id=job.thread_id,
                                                rate_limit_args=OUTBOX)
        except BadRequest as exc:
            if not is_url_error(exc):
                raise
            log.warning("Telegram could not fetch the picture of delivery %s (%s); sending its link",
                        job.delivery_id, exc)
            message = await self.bot.send_message(job.chat_id, f"{caption}\n{html.escape(job.photo_url)}",
                                                  parse_mode=ParseMode.HTML, reply_parameters=reply,
                                                  message_thread_id=job.thread_id, rate_limit_args=OUTBOX)
        return SendResult(SendOutcome.SENT, message_id=message.message_id)


def is_board_gone(exc: BadRequest) -> bool:
    """The board message cannot be edited any more (deleted by someone, or too old): post it anew."""
    message = exc.message.lower()
    return "message to edit not found" in message or "message can't be edited" in message
