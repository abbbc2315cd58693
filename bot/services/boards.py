"""The live boards: one message per group (call center, leadership, monitoring) that always shows what is open.
The outbox sends it (deliveries.refresh_boards queues at most one waiting board row per group, after every
change, at the lowest priority); this module renders it when it is sent, decides between an edit in place and a
re-post at the bottom (only where the bot may not pin, at most every BOARD_REPOST_EVERY), and records the outcome."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.board import BoardEntry, DayCounts, open_list, render_board
from ..domain.model import DeliveryKind
from ..domain.privacy import audience_of
from ..domain.rule_schemas import AgencyKind
from ..i18n import Html
from . import deliveries
from .context import Services
from .dispatch import Outgoing, Route
from .group_health import fail

# Groups that may have a board (BOARD_GROUPS names agency keys of these kinds).
BOARD_KINDS = frozenset({AgencyKind.CALL_CENTER, AgencyKind.LEADERSHIP, AgencyKind.MONITORING})
# A board reads at most this many open reports (it shows what fits and counts the rest).
BOARD_READ = 300


def board_keys(services: Services, wanted: list[str]) -> list[str]:
    """The agency keys of BOARD_GROUPS that may have a board (unknown or responding agencies are left out)."""
    return [k for k in dict.fromkeys(wanted) if services.rules.agency_kind(k) in BOARD_KINDS]


async def ensure(services: Services, keys: list[str], now: datetime) -> None:
    """At start-up: the groups with a board are exactly `keys`; each board is brought up to date."""
    async with services.db.uow() as uow:
        await uow.repo.keep_boards(keys, now)
        await uow.repo.flush()
        await deliveries.refresh_boards(uow.repo, now)
        await uow.commit()


async def tick(services: Services, now: datetime, every: timedelta) -> bool:
    """While reports are open their ages move on: a board not sent for `every` is refreshed (edited in place)."""
    async with services.db.uow() as uow:
        stale = [k for k, at in await uow.repo.board_keys() if at is not None and now - at >= every]
        if not stale or not await uow.repo.count_open():
            return False
        await deliveries.refresh_boards(uow.repo, now, tick=True)
        await uow.commit()
        return True


async def entries(uow: UnitOfWork, services: Services) -> tuple[list[BoardEntry], Counter[str]]:
    """The most urgent open reports (at most BOARD_READ) with the responding agencies that have not acted on
    them yet; and per priority, how many more are open."""
    rules = services.rules
    incidents, unread = await uow.repo.open_incidents(BOARD_READ, rules.priority_ranks())
    silent: dict[int, list[str]] = {}
    for incident_id, agency_key in await uow.repo.waiting_targets([i.id for i in incidents]):
        if rules.agency_kind(agency_key) == AgencyKind.RESPONDER:
            silent.setdefault(incident_id, []).append(rules.agency_name(agency_key))
    return [BoardEntry(i, tuple(silent.get(i.id, ()))) for i in incidents], unread


async def render(uow: UnitOfWork, services: Services, agency_key: str, now: datetime) -> Html:
    """The board for this group's audience. The groups' boards rendered in one unit of work (a batch of claims)
    read the reports once and share the text of an audience: the same state, rendered the same moment."""
    tz = services.tz
    day_start = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    audience = audience_of(services.rules.agency_kind(agency_key))
    if isinstance(cached := uow.cache.get(("board", day_start, audience)), Html):
        return cached
    new, closed = await uow.repo.day_counts(day_start, day_start + timedelta(days=1))
    items, unread = await entries(uow, services)
    counts = DayCounts(new, closed, await uow.repo.count_open())
    text = render_board(items, counts, services.rules, services.tr, tz, now, audience, unread)
    uow.cache[("board", day_start, audience)] = text
    return text


async def still_open(uow: UnitOfWork, services: Services, now: datetime, limit: int) -> Html:
    """The daily recap's list of the reports still open (no caller data: the recap goes to every group)."""
    items, unread = await entries(uow, services)
    return open_list(items, services.rules, services.tr, now, limit, unread)


async def board_job(uow: UnitOfWork, services: Services, delivery: db.Delivery, route: Route,
                    now: datetime) -> Outgoing | None:
    """The board as it is now: an edit of the group's board, or a new post (the first, one in a group that
    changed chat, or a re-post at the bottom where the bot may not pin and the board has been pushed up)."""
    key = delivery.agency_key or ""
    group = await uow.repo.group_by_key(key)
    board = await uow.repo.board(key)
    if group is None or board is None:
        await fail(uow, services, delivery, "no_group" if group is None else "no_board", now)
        return None
    text = await render(uow, services, key, now)
    if board.message_id is None or (board.chat_id, board.thread_id or None) != (group.chat_id, group.thread_id):
        # the first board, or the group was bound to another chat or another topic of its forum: post there
        return Outgoing(delivery.id, group.chat_id, text, DeliveryKind.BOARD, route, pin=True,
                        thread_id=group.thread_id)
    repost = (not board.pinned and delivery.text != deliveries.BOARD_TICK and board.posted_at is not None
              and now - board.posted_at >= services.board_repost_every
              and await uow.repo.posted_after(group.chat_id, board.message_id))
    if repost:
        return Outgoing(delivery.id, group.chat_id, text, DeliveryKind.BOARD, route, replaces=board.message_id,
                        pin=True, thread_id=group.thread_id)
    return Outgoing(delivery.id, group.chat_id, text, DeliveryKind.BOARD, route, message_id=board.message_id)


async def recorded(uow: UnitOfWork, delivery: db.Delivery, chat_id: int, message_id: int | None,
                   pinned: bool | None, now: datetime, thread_id: int | None = None) -> None:
    if delivery.agency_key and message_id is not None \
            and await uow.repo.board_sent(delivery.agency_key, chat_id, message_id, pinned, now, thread_id):
        uow.repo.event(now, "board_posted", chat_id=chat_id, agency_key=delivery.agency_key,
                       detail={"message_id": message_id, "pinned": pinned})
