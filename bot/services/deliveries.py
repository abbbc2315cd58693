"""Write-then-send has one home: every outbox row is built here, stored in the use case's transaction and sent
by the outbox afterwards. Nothing else constructs a delivery row."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..db import models as db
from ..db.repo import Repository
from ..domain.model import DeliveryKind, DeliveryPriority, DeliveryStatus

__all__ = ["DeliveryKind", "DeliveryPriority", "card", "chart", "confirm", "edit", "enqueue_card_edits", "media",
           "notice", "notice_to_agency", "photo", "refresh_boards"]

# A board edit waits this long after the change that asked for it, so that a burst of changes is one edit ...
BOARD_SETTLE = timedelta(seconds=2)
# ... and follows the group's previous board send by at least this much (the rest of the budget is for cards).
BOARD_GAP = timedelta(seconds=10)
BOARD_TICK = "tick"  # a board row that only moves the ages on: edited in place, never re-posted


def _row(kind: DeliveryKind, priority: DeliveryPriority, now: datetime, **fields: object) -> db.Delivery:
    return db.Delivery(kind=kind, priority=priority, status=fields.pop("status", DeliveryStatus.PENDING),
                       attempts=0, next_attempt_at=now, created_at=now, **fields)


def card(repo: Repository, incident_id: int, agency_key: str, has_group: bool, now: datetime,
         lease: tuple[str, datetime] | None = None) -> db.Delivery:
    """An incident's card for an agency's group (failed at once when the agency has no group); `lease`: (holder,
    until) when this instance's sender takes it at once (dispatch.FastLane)."""
    row = _row(DeliveryKind.CARD, DeliveryPriority.NEW_POST, now, incident_id=incident_id, agency_key=agency_key,
               status=DeliveryStatus.PENDING if has_group else DeliveryStatus.FAILED,
               last_error=None if has_group else "no_group")
    if lease is not None and has_group:
        row.leased_by, row.lease_until = lease
    repo.add(row)
    return row


def edit(repo: Repository, incident_id: int, agency_key: str, chat_id: int, message_id: int,
         now: datetime) -> None:
    """A posted copy of a card, re-rendered from the state at send time."""
    repo.add(_row(DeliveryKind.EDIT, DeliveryPriority.EDIT, now, incident_id=incident_id, agency_key=agency_key,
                  chat_id=chat_id, message_id=message_id))


def notice(repo: Repository, chat_id: int, text: str, now: datetime, incident_id: int | None = None,
           thread_id: int | None = None) -> None:
    """A ready text for one chat (a person or a group given by id; in a forum, in topic `thread_id`)."""
    repo.add(_row(DeliveryKind.NOTICE, DeliveryPriority.NOTICE, now, incident_id=incident_id, chat_id=chat_id,
                  text=text, thread_id=thread_id))


def notice_to_agency(repo: Repository, agency_key: str, text: str, now: datetime, incident_id: int | None = None,
                     priority: DeliveryPriority = DeliveryPriority.NOTICE, reply_to_card: bool = False) -> None:
    """A ready text for an agency's group (resolved when it is sent). `reply_to_card`: a reply to that group's card
    of the incident, found when it is sent — and it waits for the card while the card is still on its way."""
    repo.add(_row(DeliveryKind.NOTICE, priority, now, incident_id=incident_id, agency_key=agency_key, text=text,
                  reply_to_card=reply_to_card and incident_id is not None))


def media(repo: Repository, incident_id: int, agency_key: str, item_ids: list[int], now: datetime) -> None:
    """Media of an incident for an agency's group by file_id: one item, or one album (items Telegram lets travel
    together), as a reply to the group's card. Ranked with ready texts: after new cards, before edits; never in a
    digest."""
    repo.add(_row(DeliveryKind.MEDIA, DeliveryPriority.MEDIA, now, incident_id=incident_id, agency_key=agency_key,
                  text=",".join(str(i) for i in item_ids)))


def confirm(repo: Repository, incident_id: int, chat_id: int, now: datetime, why: str | None = None,
            priority: DeliveryPriority = DeliveryPriority.NOTICE, thread_id: int | None = None) -> None:
    """Ask for the caller's confirmation in a chat (in a forum, in topic `thread_id`); `why` says why it came
    there instead of to the call taker."""
    repo.add(_row(DeliveryKind.CONFIRM, priority, now, incident_id=incident_id, chat_id=chat_id, text=why,
                  thread_id=thread_id))


def chart(repo: Repository, agency_key: str, month_key: str, now: datetime) -> None:
    """A month's chart for an agency's group, drawn when it is sent."""
    repo.add(_row(DeliveryKind.CHART, DeliveryPriority.CHART, now, agency_key=agency_key, text=month_key))


async def enqueue_card_edits(repo: Repository, incident_id: int, now: datetime, touch: bool = True) -> None:
    """One edit per posted copy, coalesced: a copy that already has an edit waiting gets no second one
    (edits render the state at send time, so the waiting one will show this change too). The boards too.
    `touch`: the incident changed (its version is raised); False: a copy sent meanwhile catches up."""
    if touch:
        await repo.touch_incident(incident_id, now)
    waiting = await repo.waiting_edits(incident_id, now)
    for posted in await repo.posted_messages(incident_id):
        if (posted.chat_id, posted.message_id) in waiting:
            continue
        edit(repo, incident_id, posted.agency_key, posted.chat_id, posted.message_id, now)
    await refresh_boards(repo, now)


def photo(repo: Repository, incident_id: int, agency_key: str, url: str, now: datetime) -> None:
    """A picture by URL for an agency's group, sent after its card and as a reply to it (the caption is rendered
    when it is sent)."""
    repo.add(_row(DeliveryKind.PHOTO, DeliveryPriority.NOTICE, now, incident_id=incident_id, agency_key=agency_key,
                  text=url))


async def refresh_boards(repo: Repository, now: datetime, tick: bool = False) -> None:
    """Every board is to show the state now: at most one board row waits per group (it renders the state at send
    time, so a waiting one shows this change too — it is touched, which holds a sender that would lease it until
    this change is committed), at the lowest priority, a little later than the change (a burst is one edit) and
    never sooner than BOARD_GAP after the group's previous board. `tick`: only the ages moved (an edit in place,
    added only where none waits); a change turns a waiting tick into a change (which may re-post the board)."""
    boards = await repo.board_keys()
    waiting = await repo.waiting_boards(now) if tick else await repo.claim_waiting_boards([k for k, _ in boards], now)
    for key, last_sent in boards:
        if key in waiting:
            continue
        row = _row(DeliveryKind.BOARD, DeliveryPriority.BOARD, now, agency_key=key,
                   text=BOARD_TICK if tick else None)
        row.next_attempt_at = max(now + BOARD_SETTLE, last_sent + BOARD_GAP if last_sent else now)
        repo.add(row)
