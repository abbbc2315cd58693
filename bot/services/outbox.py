"""Outbox use cases: which chats have due messages, lease one, render it, record what Telegram answered."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.delivery import backoff
from ..domain.model import DeliveryKind, DeliveryStatus, GroupStatus
from . import boards, deliveries
from .context import RACE_TRIES, Services, lost_race
from .dispatch import LEASE, NOTED_KINDS, UNKNOWN_VERSION, Outgoing, Route, SendOutcome, SendResult
from .group_health import degraded, fail, held, recovered, report_if_settled
from .outbox_jobs import DIGEST_MAX, card_digest, job_for, notice_batch

T = TypeVar("T")
R = TypeVar("R")

# A group whose posts keep failing for this long (timeouts, 5xx) is reported to the call center and the admins.
DEGRADED_AFTER = timedelta(minutes=3)
# A post for a closed or deleted forum topic is tried again this often (an admin reopens or rebinds it meanwhile).
HELD_RETRY = timedelta(seconds=30)


async def schedule(services: Services, now: datetime) -> tuple[list[tuple[Route, datetime, int | None]],
                                                                 datetime | None]:
    """Every route with something to send, when its first delivery is due and the chat it goes to now (None: an
    agency with no group bound); when a lease held now runs out."""
    async with services.db.uow() as uow:
        routes, lease_ends = await uow.repo.route_schedule(now)
        chats = {g.agency_key: g.chat_id for g in await uow.repo.groups()} \
            if any(key is not None for key, _, _ in routes) else {}
    return [(Route(key, chat), due, chats.get(key) if key is not None else chat)
            for key, chat, due in routes], lease_ends


async def sent_since(services: Services, since: datetime) -> list[tuple[str | None, int, datetime]]:
    """What went out (agency, chat, when) since `since`, by every instance: a process that starts again has forgotten
    its flood budget, and charges it with this."""
    async with services.db.uow() as uow:
        return await uow.repo.sent_since(since)


async def release_leases(services: Services, holder: str, now: datetime) -> int:
    """At start-up: this instance's previous life died holding these. Those Telegram had accepted (noted by
    note_sent) are recorded as sent; the others are due again now."""
    async with services.db.uow() as uow:
        accepted = await uow.repo.accepted_unrecorded(holder, NOTED_KINDS)
    for delivery in accepted:
        assert delivery.sent_chat_id is not None
        job = Outgoing(delivery.id, delivery.sent_chat_id, "", delivery.kind,
                       Route(delivery.agency_key, delivery.chat_id),
                       rendered_version=UNKNOWN_VERSION)  # the card may be older than the incident: re-render it
        await record(services, job, SendResult(SendOutcome.SENT, delivery.message_id, "recorded after a restart"), now)
    async with services.db.uow() as uow:
        count = await uow.repo.release_leases(holder)
        await uow.commit()
        return count + len(accepted)


async def note_sent(services: Services, job: Outgoing, message_id: int) -> None:
    """Telegram accepted a new post: note its message id at once, in a small transaction ahead of the full
    record (which may wait for the incident's lock), so that a crash in between does not send it again."""
    if job.kind not in NOTED_KINDS:
        return
    async with services.db.uow(urgent=True) as uow:
        await uow.repo.note_delivery_sent(job.delivery_id, job.chat_id, message_id)
        await uow.commit()


log = logging.getLogger(__name__)


class GroupCommit(Generic[T, R]):
    """Units of work that arrive together share one transaction ("group commit"): the 8 claims of a report's
    posts, or the records of the posts Telegram accepted together, cost one BEGIN and one COMMIT instead of 8.
    `work(uow, items)` does every item's part in one unit of work, without committing. An item waits for the
    commit of its batch, so what it wrote is durable when `run` returns (durable before send, recorded before
    the next). A batch that fails is rolled back and its items run again one by one, each in its own
    transaction: one bad item never costs another its work."""

    def __init__(self, services: Services, work: Callable[[UnitOfWork, list[T]], Awaitable[list[R]]],
                 urgent: bool = False, first: bool = False) -> None:
        self._services = services
        self._work = work
        self._urgent = urgent
        self._first = first
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def run(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name="outbox-group-commit")
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # the workers woken by the same event join this batch
        while self._queue:
            batch = [(item, future) for item, future in self._queue if not future.done()]
            self._queue = []
            if not batch:
                continue
            try:
                results = await self._in_one([item for item, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], error=exc)
                    continue
                for item, future in batch:  # one by one: the failing one alone fails
                    try:
                        result = (await self._in_one([item]))[0]
                    except Exception as alone:
                        _settle(future, error=alone)
                    else:
                        _settle(future, result)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result)

    async def _in_one(self, items: list[T]) -> list[R]:
        """One transaction, run again when it loses a race with another (a deadlock: rolled back whole)."""
        for attempt in range(RACE_TRIES):
            try:
                async with self._services.db.uow(self._urgent, self._first) as uow:
                    results = await self._work(uow, items)
                    await uow.commit()
                    return results
            except Exception as exc:
                if attempt == RACE_TRIES - 1 or not lost_race(exc):
                    raise
                log.warning("an outbox transaction lost a race in the database (%s); running it again",
                            type(exc).__name__)
                await asyncio.sleep(random.uniform(0.02, 0.1) * 2 ** attempt)
        raise AssertionError("unreachable")


def _settle(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # its worker was cancelled (shutting down): the work is committed all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


Noted = tuple[Outgoing, int]  # a new post and the message id Telegram gave it


async def note_all(uow: UnitOfWork, noted: list[Noted]) -> list[None]:
    """note_sent() for the posts Telegram accepted together, in one unit of work the caller commits."""
    for job, message_id in noted:
        if job.kind in NOTED_KINDS:
            await uow.repo.note_delivery_sent(job.delivery_id, job.chat_id, message_id)
    return [None] * len(noted)


async def claim(services: Services, route: Route, holder: str, now: datetime, digest_at: int = 0) -> Outgoing | None:
    """Lease what a route sends next (conditional UPDATEs: two instances never both win): when `digest_at` or more
    new posts wait for a group, all of them as one digest; otherwise the most urgent due delivery — and when that
    is a ready text and `digest_at` or more of them wait (a flood of reminders and escalations), those as one."""
    async with services.db.uow() as uow:
        job = await claim_in(uow, services, route, holder, now, digest_at)
        await uow.commit()
        return job


Claim = tuple[Route, str, datetime, int]  # a route, the holder, now, digest_at (see claim)


async def claim_all(uow: UnitOfWork, services: Services, claims: list[Claim]) -> list[Outgoing | None]:
    """Several routes' claims in one unit of work the caller commits (a report's posts: one transaction). The
    groups' waiting new posts are read with one query, and the routes that send one of them now lease them with
    one conditional UPDATE; the rest (digests, ready texts, a lease lost to another instance) claim one by one."""
    agencies = sorted({route.agency_key for route, _, _, digest_at in claims
                       if route.agency_key is not None and digest_at})
    now = max((c[2] for c in claims), default=None)
    waiting = await uow.repo.due_cards_of(agencies, now, DIGEST_MAX) if agencies and now is not None else {}
    singles: dict[int, db.Delivery] = {}  # claim's index -> the one card it sends now
    for n, (route, _, _, digest_at) in enumerate(claims):
        cards = waiting.get(route.agency_key or "", []) if digest_at else []
        if cards and len(cards) < max(digest_at, 2):
            singles[n] = cards[0]
    leased: set[int] = set()
    if singles and now is not None:
        holders = {claims[n][1] for n in singles}
        if len(holders) == 1:
            leased = await uow.repo.lease_all([d.id for d in singles.values()], now, now + LEASE, holders.pop())
    # Routes with nothing due at all (a worker looking again after its send) end without a query each.
    others = [route for n, (route, *_) in enumerate(claims) if n not in singles]
    busy = await uow.repo.routes_with_due([r.agency_key for r in others if r.agency_key is not None],
                                          [r.chat_id for r in others if r.agency_key is None and r.chat_id is not None],
                                          now) if others and now is not None else set()
    jobs: list[Outgoing | None] = []
    for n, (route, holder, at, digest_at) in enumerate(claims):
        if n not in singles and (route.agency_key, route.chat_id if route.agency_key is None else None) not in busy:
            jobs.append(None)
            continue
        rest = list(waiting.get(route.agency_key or "", [])) if digest_at else None
        single = singles.get(n)
        if single is not None and single.id in leased:
            job = await job_for(uow, services, single, route, at)
            if job is not None:
                jobs.append(job)
                continue
            await uow.repo.flush()
        if single is not None and rest:
            rest = rest[1:]  # sent above, nothing to send for it, or taken by another instance meanwhile
        jobs.append(await claim_in(uow, services, route, holder, at, digest_at, rest))
    return jobs


async def claim_in(uow: UnitOfWork, services: Services, route: Route, holder: str, now: datetime,
                   digest_at: int = 0, waiting: list[db.Delivery] | None = None) -> Outgoing | None:
    """claim() inside a unit of work the caller commits (a batch of claims shares one; `waiting`: the group's
    new posts, when the batch has read them already)."""
    cards: list[db.Delivery] = []  # an agency's new posts come first (PRIORITY_NEW_POST), oldest first
    if route.agency_key is not None and digest_at:
        if waiting is None:
            waiting = await uow.repo.due_cards(route.agency_key, now, DIGEST_MAX)
        cards = waiting
        if len(cards) >= max(digest_at, 2):
            digest = await card_digest(uow, services, route, holder, now, cards)
            if digest is not None:
                return digest
    passed: list[int] = []  # rows not leased (taken by another instance, or being changed): not offered again
    while True:
        delivery = cards.pop(0) if cards else await uow.repo.next_due(route.agency_key, route.chat_id, now, passed)
        if delivery is None:
            return None
        if delivery.kind == DeliveryKind.NOTICE and digest_at >= 2:
            batch = await notice_batch(uow, services, route, holder, now, digest_at)
            if batch is not None:
                return batch
        # No lock on the incident: the card is rendered from what is committed now (a snapshot). A change
        # committed meanwhile raises the incident's version past the rendered one, and recording
        # the send then queues this copy its catch-up edit (_catch_up).
        if not await uow.repo.lease(delivery.id, now, now + LEASE, holder):
            passed.append(delivery.id)
            continue
        job = await job_for(uow, services, delivery, route, now)
        if job is not None:
            return job
        await uow.repo.flush()


async def record(services: Services, job: Outgoing, result: SendResult, now: datetime) -> None:
    async with services.db.uow(urgent=True) as uow:  # until recorded, a crash would send it again
        await record_in(uow, services, [(job, result, now)])
        await uow.commit()


Sent = tuple[Outgoing, SendResult, datetime]


async def record_in(uow: UnitOfWork, services: Services, sends: list[Sent]) -> list[None]:
    """Record what Telegram answered to each of `sends` (a digest: for every post it stands for) in one unit of
    work the caller commits. The incidents are locked first, in id order (two batches never wait for each
    other in a circle): the last of several concurrent records must see the others, to report once."""
    parts: list[tuple[Outgoing, SendResult, datetime]] = []
    for job, result, now in sends:
        if job.kind == DeliveryKind.DIGEST:
            parts += [(Outgoing(i, job.chat_id, "", DeliveryKind.DIGEST, job.route), result, now)
                      for i in job.delivery_ids]
        else:
            parts.append((job, result, now))
    ids = [job.delivery_id for job, _, _ in parts]
    for incident_id in await uow.repo.incidents_of_deliveries(ids):  # in id order
        await uow.repo.lock_incident(incident_id)
    # Read once for the whole batch, after the locks: what others committed meanwhile is seen.
    rows = await uow.repo.deliveries_by_ids(ids)
    todo = [(rows[job.delivery_id], job, result, now) for job, result, now in parts if job.delivery_id in rows]
    unreachable = {g.agency_key for g in await uow.repo.groups() if g.status == GroupStatus.UNREACHABLE} \
        if any(result.outcome == SendOutcome.SENT for _, _, result, _ in todo) else set()
    settle: dict[int, datetime] = {}  # incidents whose posts may all be out now: checked once, after them all
    for delivery, job, result, now in todo:
        if await _record_one(uow, services, delivery, job, result, now, unreachable) \
                and delivery.incident_id is not None:
            settle[delivery.incident_id] = now
    for incident_id, now in settle.items():
        await report_if_settled(uow, services, incident_id, now)
    return [None] * len(sends)


async def _record_one(uow: UnitOfWork, services: Services, delivery: db.Delivery, job: Outgoing,
                      result: SendResult, now: datetime, unreachable: set[str]) -> bool:
    """Whether the incident's delivery report may be due now (a card was sent)."""
    if delivery.status != DeliveryStatus.PENDING:
        return False
    delivery.attempts += 1
    delivery.lease_until = delivery.leased_by = None
    uow.repo.attempt(delivery.id, now, result.outcome.value, result.detail)
    if result.outcome == SendOutcome.SENT:
        return await _sent(uow, services, delivery, job, result, now, unreachable)
    if result.outcome == SendOutcome.PERMANENT:
        await fail(uow, services, delivery, result.reason or "unreachable", now, job.chat_id)
    elif result.outcome == SendOutcome.MIGRATED and result.new_chat_id is not None:
        await _migrate(uow, delivery, job.chat_id, result.new_chat_id, now)
    elif result.outcome == SendOutcome.HELD:  # kept: sent once the topic is open again or bound anew
        delivery.next_attempt_at = now + timedelta(seconds=max(HELD_RETRY.total_seconds(), backoff(
            delivery.attempts, random.uniform(0.8, 1.2))))
        delivery.last_error = result.detail[:300]
        await held(uow, services, delivery, result.reason or "topic_closed", now)
    else:
        delay = result.retry_after if result.outcome == SendOutcome.RATE_LIMITED \
            else backoff(delivery.attempts, random.uniform(0.8, 1.2))
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.last_error = result.detail[:300]
        if result.outcome == SendOutcome.RETRY and now - delivery.created_at >= DEGRADED_AFTER:
            await degraded(uow, services, delivery, now)
    return False


async def _sent(uow: UnitOfWork, services: Services, delivery: db.Delivery, job: Outgoing, result: SendResult,
                now: datetime, unreachable: set[str]) -> bool:
    """Whether a card of the incident was sent (its delivery report may be due: the caller checks once).
    `unreachable`: the groups marked unreachable when the batch began (a send there is their recovery)."""
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
    if delivery.agency_key in unreachable:
        await recovered(uow, services, delivery.agency_key, now)
        unreachable.discard(delivery.agency_key)
    delivery.sent_chat_id, delivery.message_id = job.chat_id, result.message_id
    if delivery.kind == DeliveryKind.CARD and job.kind == DeliveryKind.DIGEST and delivery.incident_id:
        return True  # the digest is not a card to re-render
    if delivery.kind == DeliveryKind.CARD and delivery.incident_id and result.message_id:
        await uow.repo.add_posted(delivery.incident_id, delivery.agency_key or "", job.chat_id, result.message_id,
                                  now)
        await _catch_up(uow, delivery.incident_id, job, now)
        return True
    if delivery.kind == DeliveryKind.EDIT and delivery.incident_id:
        await _catch_up(uow, delivery.incident_id, job, now)
    elif delivery.kind == DeliveryKind.BOARD:
        await boards.recorded(uow, delivery, job.chat_id, result.message_id, result.pinned, now, job.thread_id)
    return False


async def _catch_up(uow: UnitOfWork, incident_id: int, job: Outgoing, now: datetime) -> None:
    """The incident changed while this copy was on its way: it was not yet in the list of copies to re-render
    (or its edit was already taken), so give it an edit of its own."""
    incident = await uow.repo.incident(incident_id)
    if incident is not None and job.rendered_version is not None and incident.version != job.rendered_version:
        # the version stays: nothing changed now, and copies in flight would otherwise catch up on each other
        await deliveries.enqueue_card_edits(uow.repo, incident_id, now, touch=False)


async def _migrate(uow: UnitOfWork, delivery: db.Delivery, old_chat: int, new_chat: int, now: datetime) -> None:
    group = await uow.repo.group_by_chat(old_chat)
    if group is not None:
        await uow.repo.rekey_group(group.agency_key, new_chat, now)
        uow.repo.event(now, "group_migrated", chat_id=new_chat, agency_key=group.agency_key,
                       detail={"from": old_chat, "to": new_chat})
    if delivery.chat_id == old_chat:
        delivery.chat_id = new_chat
    delivery.next_attempt_at = now
