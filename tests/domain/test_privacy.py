"""How much of a caller each audience sees: the call center all, responders the name and 3 digits, leaders nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.callback_data import PhonePress, decode
from bot.domain.lifecycle import IncidentStatus, TargetStatus
from bot.domain.model import Incident, Report
from bot.domain.privacy import Audience, audience_of, caller_text, phone_button
from bot.domain.render import render_card
from bot.domain.rule_schemas import AgencyKind
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.sandbox.html_check import to_plain

WIT = ZoneInfo("Asia/Jayapura")
PHONE_DIGITS = "081234567890"


def incident(status: str = IncidentStatus.OPEN, **changes: object) -> Incident:
    report = Report(category="bencana", subtype="kebakaran", priority="kritis", kecamatan="Sirimau",
                    kecamatan_code="81.71.02", village="Batu Merah", village_code="81.71.02.2003", outside_city=False,
                    address="Jl. Sudirman", description="Rumah terbakar", caller_name="Ibu Maria",
                    caller_phone="+6281234567890")
    fields = {**report.__dict__, **changes}
    return Incident(7, "112-2026-00007", Report(**fields), datetime(2026, 1, 5, 1, 4, tzinfo=UTC), "Rina",
                    status=status)


def digit_runs(text: str, length: int = 4) -> set[str]:
    """Every run of `length` digits of the caller's number that appears in the text (after removing separators)."""
    digits = re.sub(r"\D", "", text)
    return {PHONE_DIGITS[i:i + length] for i in range(len(PHONE_DIGITS) - length + 1)
            if PHONE_DIGITS[i:i + length] in digits}


def card_of(audience: Audience, rules: Rules, tr: Catalogue) -> str:
    return to_plain(render_card(incident(), rules, tr, WIT, audience=audience))


@pytest.mark.parametrize("kind", [AgencyKind.LEADERSHIP, AgencyKind.MONITORING, None])
def test_leadership_and_monitoring_see_neither_the_callers_name_nor_any_digit_of_the_phone(
        rules: Rules, tr: Catalogue, kind: AgencyKind | None) -> None:
    text = card_of(audience_of(kind), rules, tr)
    caller_line = next(line for line in text.splitlines() if line.startswith("Pelapor:"))
    assert "Maria" not in text and "tidak ditampilkan" in caller_line
    assert not re.search(r"\d", caller_line)


def test_a_responder_sees_the_name_and_only_the_last_three_digits(rules: Rules, tr: Catalogue) -> None:
    text = card_of(audience_of(AgencyKind.RESPONDER), rules, tr)
    assert "Pelapor: Ibu Maria · …890" in text
    assert digit_runs(text) == set() and "0812" not in text


def test_the_call_center_sees_the_name_and_the_whole_number(rules: Rules, tr: Catalogue) -> None:
    assert "Pelapor: Ibu Maria · 0812-3456-7890" in card_of(audience_of(AgencyKind.CALL_CENTER), rules, tr)


def test_a_report_without_caller_data_shows_a_dash_to_everyone(tr: Catalogue) -> None:
    report = incident(caller_name=None, caller_phone=None).report
    assert {caller_text(report, audience, tr) for audience in Audience} == {"-"}


def test_a_nameless_caller_shows_only_the_tail_to_responders(tr: Catalogue) -> None:
    report = incident(caller_name=None).report
    assert caller_text(report, Audience.RESPONDER, tr) == "…890"
    assert caller_text(report, Audience.OVERSIGHT, tr) == tr("caller_withheld")


def test_the_phone_button_is_only_on_an_assigned_responders_copy_of_an_open_report_with_a_phone() -> None:
    key, data = phone_button(incident(), AgencyKind.RESPONDER, TargetStatus.PENDING) or ("", "")
    assert key == "btn_phone" and decode(data) == PhonePress(7) and len(data.encode()) <= 64
    assert phone_button(incident(), AgencyKind.RESPONDER, TargetStatus.DONE) is not None
    assert phone_button(incident(), AgencyKind.RESPONDER, None) is None
    assert phone_button(incident(), AgencyKind.MONITORING, None) is None
    assert phone_button(incident(), AgencyKind.CALL_CENTER, None) is None
    assert phone_button(incident(caller_phone=None), AgencyKind.RESPONDER, TargetStatus.PENDING) is None
    assert phone_button(incident(IncidentStatus.CLOSED), AgencyKind.RESPONDER, TargetStatus.DONE) is None


@pytest.mark.parametrize("data", ["p1:", "p1:x", "p2:1", "p1:1:2", "p1:" + "9" * 13])
def test_forged_phone_button_data_decodes_to_nothing(data: str) -> None:
    assert decode(data) is None
    assert decode(PhonePress(123456789012).encode()) == PhonePress(123456789012)


def test_a_card_with_the_phone_button_is_still_known_as_that_incidents_card() -> None:
    from bot.domain.callback_data import AgencyPress, PhonePress, card_incident

    card = [AgencyPress(7, "ack").encode(), AgencyPress(7, "clm").encode(), PhonePress(7).encode()]
    assert card_incident(card) == 7
    assert card_incident([AgencyPress(7, "ack").encode(), PhonePress(8).encode()]) is None, "two incidents"
    assert card_incident([AgencyPress(7, "ack").encode(), "f1:garbage"]) is None
