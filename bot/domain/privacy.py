"""Who may see how much of a caller (UU 27/2022, data minimisation): one audience per reader, one caller line each.

The call center (its group, and call takers and supervisors in private) sees everything; responding agencies see
the name and the last 3 digits, and reveal the whole number privately when they must call back; leadership and the
mayor's monitoring need neither, and get neither."""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

from ..i18n import Catalogue
from .callback_data import PhonePress
from .lifecycle import IncidentStatus, TargetStatus
from .model import Incident, Report
from .rule_schemas import AgencyKind

TAIL_DIGITS = 3


class Audience(StrEnum):
    DESK = "desk"            # call center group; call takers and supervisors in private: name and full phone
    RESPONDER = "responder"  # a responding agency's group: name and the last 3 digits
    OVERSIGHT = "oversight"  # leadership, monitoring, anyone else: neither name nor phone


def audience_of(kind: AgencyKind | None) -> Audience:
    """The audience of a group by its agency's kind; unknown groups get the least."""
    if kind == AgencyKind.CALL_CENTER:
        return Audience.DESK
    if kind == AgencyKind.RESPONDER:
        return Audience.RESPONDER
    return Audience.OVERSIGHT


def national(e164: str) -> str:
    """+6281234567890 -> 081234567890 (how people in Ambon write it)."""
    number = phonenumbers.parse(e164, None)
    return "0" + phonenumbers.national_significant_number(number)


def show_phone(e164: str) -> str:
    digits = national(e164)
    return f"{digits[:4]}-{digits[4:-4]}-{digits[-4:]}"


def phone_tail(e164: str) -> str:
    """+6281234560987 -> …987: enough to tell two callers apart on the phone, not to call them."""
    return "…" + national(e164)[-TAIL_DIGITS:]


def caller_text(report: Report, audience: Audience, tr: Catalogue) -> str:
    """The caller as this audience may see them (plain text; the catalogue escapes it)."""
    if audience == Audience.OVERSIGHT:
        return tr("caller_withheld") if (report.caller_name or report.caller_phone) else tr("caller_unknown")
    phone = report.caller_phone
    shown = (show_phone(phone) if audience == Audience.DESK else phone_tail(phone)) if phone else ""
    return " · ".join(p for p in (report.caller_name, shown) if p) or tr("caller_unknown")


def phone_button(incident: Incident, kind: AgencyKind | None, status: TargetStatus | None) -> tuple[str, str] | None:
    """(catalogue key, callback data) of the 📞 button on an assigned responder's copy of an open incident that
    has a phone; the full number is then shown only to whoever presses it and is permitted."""
    if kind != AgencyKind.RESPONDER or status is None or not incident.report.caller_phone:
        return None
    if incident.status == IncidentStatus.CLOSED or status == TargetStatus.RELEASED:
        return None  # a released agency was never meant to have the case
    return "btn_phone", PhonePress(incident.id).encode()
