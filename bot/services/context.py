"""What every use case needs: the database, the rules, the time zone, the catalogue, the admins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from ..db.engine import is_transient
from ..db.repo import Repository
from ..db.uow import Database
from ..domain.bmkg import BmkgRules
from ..domain.model import Role
from ..domain.rollups import Policy
from ..domain.ruleset import Rules
from ..i18n import Catalogue
from .dispatch import FastLane

RACE_TRIES = 4  # runs of a unit of work (an update's handlers, an outbox batch) that keeps losing races


def lost_race(exc: BaseException | None) -> bool:
    """Whether a use case failed only because its transaction lost a race with another (a deadlock, a
    serialization failure, SQLite's busy wait ran out): rolled back whole, it may be run again."""
    return is_transient(exc)


@dataclass(frozen=True)
class Actor:
    """A Telegram user as seen in an update, and the forum topic they wrote or pressed in (None outside forums
    and in the General topic): a desk bound to a topic answers there as a whole group would."""

    id: int
    name: str
    topic: int | None = None


@dataclass(frozen=True)
class Services:
    db: Database
    rules: Rules
    tz: tzinfo
    tr: Catalogue
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    lapor_per_minute: int = 10
    draft_expiry: timedelta = timedelta(hours=2)  # a draft (or form) left alone this long is dropped
    call_phone_retention: timedelta = timedelta(days=90)  # phones in the call log are removed after this
    bmkg: BmkgRules | None = None  # rules/bmkg.yaml with the city's centroid (None: the BMKG feeds are unused)
    # A board the bot may not pin is re-posted at the bottom at most this often (BOARD_REPOST_EVERY).
    board_repost_every: timedelta = timedelta(minutes=5)
    lane: FastLane = field(default_factory=FastLane)  # a new report's cards straight to the sender (dispatch.py)

    def __post_init__(self) -> None:
        self.db.keep_rollups(rollup_policy(self.rules, self.tz))


def rollup_policy(rules: Rules, tz: tzinfo) -> Policy:
    """What the statistics roll-ups depend on: the time zone of a day and each step's deadline in seconds, per
    priority and per category where the rules give one its own."""
    escalation = rules.escalation
    return Policy(tz, {kind: ({p: getattr(policy, kind).within.total_seconds()
                               for p, policy in escalation.priorities.items()},
                              {c: getattr(policy, kind).within.total_seconds()
                               for c, policy in escalation.categories.items()})
                       for kind in ("acknowledge", "on_scene", "resolve")})


async def role_of(repo: Repository, services: Services, user_id: int) -> Role | None:
    """The person's role; ADMIN_IDS are admins from the start, even before they are registered."""
    if user_id in services.admin_ids:
        return Role.ADMIN
    person = await repo.person(user_id)
    return Role(person.role) if person else None


def stored_role(services: Services, user_id: int, role: str | None) -> Role | None:
    """role_of for a role already read (None: the person is not registered)."""
    if user_id in services.admin_ids:
        return Role.ADMIN
    return Role(role) if role else None
