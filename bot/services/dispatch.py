"""What the outbox hands the sender and what the sender reports back: a route, a rendered message ready
to go, the outcome of sending it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ..domain.model import DeliveryKind

LEASE = timedelta(seconds=30)  # how long a claimed delivery is this sender's before another may take it

# The reason of a delivery Telegram refused for its content (too long, bad HTML) even after the sender's fallbacks:
# that message failed, the group is still reachable.
CONTENT = "content"


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"          # transient: timeouts, 5xx, network; try again later
    RATE_LIMITED = "429"     # wait retry_after, this chat only
    MIGRATED = "migrated"    # the group became a supergroup: re-key, send again
    PERMANENT = "permanent"  # kicked, chat not found, forbidden: the group is unreachable
    HELD = "held"            # the agency's forum topic is closed or gone: kept, tried again later, admins told


@dataclass(frozen=True)
class Route:
    """Where a delivery goes: an agency's group (resolved at send time) or a fixed chat."""

    agency_key: str | None
    chat_id: int | None


# New posts, whose message id is unknown until Telegram accepts them (a board may be one: posted or re-posted).
NOTED_KINDS = (DeliveryKind.CARD, DeliveryKind.NOTICE, DeliveryKind.PHOTO, DeliveryKind.MEDIA, DeliveryKind.BOARD)
UNKNOWN_VERSION = -1  # no incident's version: the copy is re-rendered


@dataclass(frozen=True)
class Outgoing:
    """A message rendered and leased, ready for the sender (named apart from PTB's Job on purpose)."""

    delivery_id: int
    chat_id: int
    text: str
    kind: str  # a DeliveryKind: card (new post) | edit (re-render a posted card) | notice (ready text) | ...
    route: Route
    message_id: int | None = None  # the message an edit replaces
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, callback data)
    # The incident's version as rendered: if it differs when the send is recorded, the incident changed
    # meanwhile and this copy needs an edit. (A counter, not updated_at: two changes may carry one clock
    # reading, such as the revisions of one BMKG poll.)
    rendered_version: int | None = None
    reply_to: int | None = None
    chart_month: str | None = None  # a chart delivery: the month to draw (rendered after the claim)
    delivery_ids: tuple[int, ...] = ()  # a digest: every new post it stands for
    photo_url: str | None = None  # a photo delivery: the picture's URL (`text` is its caption)
    thread_id: int | None = None  # the forum topic of the agency's binding (message_thread_id of new posts)
    media: tuple[tuple[str, str, str], ...] = ()  # media: (kind, file_id, caption) of one item or one album
    replaces: int | None = None  # a board re-posted at the bottom: the old board, deleted once the new one is in
    pin: bool = False  # a board posted anew: pin it (where the bot may)


@dataclass(frozen=True)
class SendResult:
    """What Telegram answered to one send, as the outbox records it."""

    outcome: SendOutcome
    message_id: int | None = None
    detail: str = ""
    reason: str = ""  # catalogue key under reason.* for people
    retry_after: float = 0.0
    new_chat_id: int | None = None
    pinned: bool | None = None  # a board posted anew: pinned, not allowed to pin, or None (not tried, or unknown)


class FastLane:
    """A new report's cards handed straight to this instance's sender when it can send them at once: leased to it
    and rendered in the report's own transaction, then given to the sender after the commit, they skip the
    outbox's schedule and claim (a transaction and a hop less before the groups see the report). The outbox's
    promises hold: each row is durable and leased before it is sent, like a claimed one; a crash before its send
    leaves a lease that runs out (or is released at the restart), and the row is sent then. Only groups whose
    worker is idle and whose budget can send now are given a card this way (in a surge, the cards wait and go as
    digests as before). Connected by the sender; unconnected (the CLI, the services' tests) it is always shut."""

    def __init__(self) -> None:
        self._holder: str | None = None
        self._open: Callable[[Collection[str]], set[str]] | None = None
        self._give: Callable[[Sequence[Outgoing]], None] | None = None

    def connect(self, holder: str, open_for: Callable[[Collection[str]], set[str]],
                give: Callable[[Sequence[Outgoing]], None]) -> None:
        self._holder, self._open, self._give = holder, open_for, give

    def disconnect(self) -> None:
        self._holder = self._open = self._give = None

    def open_for(self, agency_keys: Collection[str]) -> tuple[str | None, set[str]]:
        """This sender's holder name and the agencies whose card it can send at once (none: it is shut)."""
        if self._holder is None or self._open is None:
            return None, set()
        keys = self._open(agency_keys)
        return (self._holder, keys) if keys else (None, set())

    def give(self, jobs: Sequence[Outgoing]) -> None:
        """After the commit: the sender sends these now (leased to it in that transaction)."""
        if jobs and self._give is not None:
            self._give(jobs)
