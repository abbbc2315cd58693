"""The lifecycle of an incident across agencies: per-agency steps, who may press what, how it closes.

Each responding agency moves through pending -> acknowledged -> claimed -> on_scene -> done on its own;
leadership, monitoring and the call center read and comment. The incident closes with an outcome."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class TargetStatus(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    CLAIMED = "claimed"
    ON_SCENE = "on_scene"
    DONE = "done"
    DECLINED = "declined"  # 🚫 not this agency's job: its chase stops, the call center is told
    NO_UNIT = "no_unit"    # ⏸ no unit free: likewise
    RELEASED = "released"  # the desk took the agency off the incident (/lepas): wrongly routed


class Action(StrEnum):
    ACK = "ack"
    CLAIM = "clm"
    ARRIVE = "arr"
    DONE = "don"
    DECLINE = "dcl"
    NO_UNIT = "nou"


class IncidentStatus(StrEnum):
    OPEN = "open"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CLOSED = "closed"


class CloseOutcome(StrEnum):
    HANDLED = "tertangani"
    FALSE = "palsu"
    DUPLICATE = "duplikat"
    CANCELLED = "batal"


RESULT_OF: dict[Action, TargetStatus] = {
    Action.ACK: TargetStatus.ACKNOWLEDGED,
    Action.CLAIM: TargetStatus.CLAIMED,
    Action.ARRIVE: TargetStatus.ON_SCENE,
    Action.DONE: TargetStatus.DONE,
    Action.DECLINE: TargetStatus.DECLINED,
    Action.NO_UNIT: TargetStatus.NO_UNIT,
}
# An agency that says no is out of the incident (until the desk adds it again): no step, no chase.
DECLINES = frozenset({TargetStatus.DECLINED, TargetStatus.NO_UNIT, TargetStatus.RELEASED})
# Which steps each action may start from. A responder may skip ahead (arrive without claiming first),
# never go back; going back is the call center's reopen.
ALLOWED_FROM: dict[Action, frozenset[TargetStatus]] = {
    Action.ACK: frozenset({TargetStatus.PENDING}),
    Action.CLAIM: frozenset({TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED}),
    Action.ARRIVE: frozenset({TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED}),
    Action.DONE: frozenset({TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED, TargetStatus.ON_SCENE}),
    # Saying no is for before the agency has set out.
    Action.DECLINE: frozenset({TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED}),
    Action.NO_UNIT: frozenset({TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED}),
}
ORDER = [TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED, TargetStatus.ON_SCENE,
         TargetStatus.DONE]


class Verdict(StrEnum):
    """The answer to a press: done, or why not (each a catalogue key under press.*)."""

    OK = "ok"
    ALREADY = "already"          # double tap: this step (or a later one) is already recorded
    NOT_NOW = "not_now"          # the step does not follow from the current one
    CLOSED = "closed"            # the incident is closed
    NOT_TARGET = "not_target"    # this group's agency was not asked to act on this incident
    READ_ONLY = "read_only"      # leadership, monitoring and call center groups do not claim
    UNREGISTERED = "unregistered"  # the agency requires registered responders


def decide(action: Action, current: TargetStatus, incident_status: str) -> Verdict:
    """Pure transition check for one agency's step."""
    if incident_status == IncidentStatus.CLOSED:
        return Verdict.CLOSED
    if current in DECLINES:
        return Verdict.ALREADY
    if action in (Action.ACK, Action.CLAIM, Action.ARRIVE) and ORDER.index(current) >= ORDER.index(RESULT_OF[action]):
        return Verdict.ALREADY
    if current == TargetStatus.DONE:
        return Verdict.ALREADY
    return Verdict.OK if current in ALLOWED_FROM[action] else Verdict.NOT_NOW


def says_claim(text: str, words: Iterable[str]) -> bool:
    """Whether a reply claims (🚗): it contains one of the rules' claim words as a whole word, in any case
    ("OTW 2 unit", "Siap!", "on the  way"); "bukan wewenang kami" or "siapa?" do not."""
    for word in words:
        pattern = r"\s+".join(re.escape(part) for part in word.split())
        if pattern and re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE):
            return True
    return False


def buttons_for(status: TargetStatus, incident_status: str) -> list[Action]:
    """The buttons that make sense on an agency's copy now."""
    if incident_status == IncidentStatus.CLOSED:
        return []
    return [a for a in (Action.ACK, Action.CLAIM, Action.ARRIVE, Action.DONE) if decide(a, status, incident_status)
            == Verdict.OK and not (status == TargetStatus.PENDING and a in (Action.ARRIVE,))]


def decline_buttons_for(status: TargetStatus, incident_status: str) -> list[Action]:
    """🚫 and ⏸ on an agency's copy, on their own row: while it has not set out."""
    return [a for a in (Action.DECLINE, Action.NO_UNIT) if decide(a, status, incident_status) == Verdict.OK]


@dataclass(frozen=True)
class TargetView:
    """One agency's progress, as the card shows it."""

    agency_key: str
    agency_name: str
    status: TargetStatus
    at: object | None  # datetime of the last step
    by: str | None
    note: str | None = None
    by_desk: bool = False  # the call center recorded the step for the agency (/catat): `by` is the desk person


def all_done(targets: list[TargetView]) -> bool:
    acting = [t for t in targets if t.status not in DECLINES]
    return bool(acting) and all(t.status == TargetStatus.DONE for t in acting)
