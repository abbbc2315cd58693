"""Callback data: a tiny versioned protocol, always <= 64 bytes. Anything malformed decodes to None."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_FORM = re.compile(r"^f1:(\d{1,12}):([a-z]{1,6}):([0-9A-Za-z_.\-]{0,32})$")


@dataclass(frozen=True)
class FormPress:
    """A button of the guided /lapor form: op is the step or action, value what was chosen."""

    draft_id: int
    op: str
    value: str = ""

    def encode(self) -> str:
        data = f"f1:{self.draft_id}:{self.op}:{self.value}"
        if len(data.encode()) > MAX_BYTES or not _FORM.match(data):
            raise ValueError(f"callback data out of protocol: {data!r}")
        return data


_AGENCY = re.compile(r"^a1:(\d{1,12}):(ack|clm|arr|don|dcl|nou)$")
_CONFIRM = re.compile(r"^c1:(\d{1,12}):(ok|nc)$")
_PHONE = re.compile(r"^p1:(\d{1,12})$")


@dataclass(frozen=True)
class AgencyPress:
    """A step button on an incident card: which incident and which step (ack, clm, arr, don), or a no (dcl: not
    ours, nou: no unit free)."""

    incident_id: int
    action: str

    def encode(self) -> str:
        return _checked(f"a1:{self.incident_id}:{self.action}", _AGENCY)


@dataclass(frozen=True)
class ConfirmPress:
    """The call taker's answer after calling the caller back: ok (confirmed) or nc (could not be reached)."""

    incident_id: int
    answer: str

    def encode(self) -> str:
        return _checked(f"c1:{self.incident_id}:{self.answer}", _CONFIRM)


@dataclass(frozen=True)
class PhonePress:
    """📞 on a responder's card: show this incident's caller number to the presser alone (if permitted)."""

    incident_id: int

    def encode(self) -> str:
        return _checked(f"p1:{self.incident_id}", _PHONE)


_CALL = re.compile(r"^k1:([a-z]{2,4}):(\d{1,12})$")


@dataclass(frozen=True)
class CallPress:
    """A button of the call log: a kind's code tapped on /panggilan's keyboard (ref 0), `ok` (Selesai), or `jnz`
    on a refused hearse draft (ref: the draft) to record it as a call."""

    code: str
    ref: int = 0

    def encode(self) -> str:
        return _checked(f"k1:{self.code}:{self.ref}", _CALL)


def _checked(data: str, pattern: re.Pattern[str]) -> str:
    if len(data.encode()) > MAX_BYTES or not pattern.match(data):
        raise ValueError(f"callback data out of protocol: {data!r}")
    return data


def decode(data: str | None) -> FormPress | AgencyPress | ConfirmPress | PhonePress | CallPress | None:
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    if match := _FORM.match(data):
        return FormPress(int(match.group(1)), match.group(2), match.group(3))
    if match := _AGENCY.match(data):
        return AgencyPress(int(match.group(1)), match.group(2))
    if match := _CONFIRM.match(data):
        return ConfirmPress(int(match.group(1)), match.group(2))
    if match := _PHONE.match(data):
        return PhonePress(int(match.group(1)))
    if match := _CALL.match(data):
        return CallPress(match.group(1), int(match.group(2)))
    return None


def card_incident(datas: list[str]) -> int | None:
    """The incident a message's buttons belong to, when they are all buttons of one incident's card (its steps,
    the caller's number); None for a digest of several incidents, a form, or anything else."""
    presses = [decode(d) for d in datas]
    ids = {p.incident_id for p in presses if isinstance(p, AgencyPress | PhonePress)}
    if len(ids) != 1 or not all(isinstance(p, AgencyPress | PhonePress) for p in presses):
        return None
    return ids.pop()
