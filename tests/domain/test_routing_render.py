"""Routing, rendering, masking, numbering, the catalogue and callback data."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.callback_data import FormPress, decode
from bot.domain.model import Incident, Report, incident_number
from bot.domain.privacy import Audience, phone_tail, show_phone
from bot.domain.render import render_card
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.sandbox.html_check import to_plain, utf16_len

WIT = ZoneInfo("Asia/Jayapura")
ALWAYS = ["call_center", "pimpinan", "monitoring"]


@pytest.mark.parametrize(("category", "subtype", "agencies"), [
    ("bencana", "kebakaran", ["damkar", "pln", "dinkes", "dishub", "tni_polri"]),
    ("bencana", "banjir", ["bpbd", "sar", "perkim", "dlhp"]),
    ("bencana", "pohon_tumbang", ["bpbd", "dlhp", "damkar", "pln"]),
    ("medis", None, ["dinkes"]),
    ("medis", "kecelakaan", ["dinkes", "tni_polri", "dishub"]),
    ("kamtibmas", "miras", ["tni_polri", "satpol_pp"]),
    ("lainnya", "orang_hilang", ["sar", "tni_polri"]),
    ("lainnya", "odgj", ["dinkes", "satpol_pp"]),
    ("lainnya", "hewan_liar", ["damkar", "dinkes"]),
    ("lainnya", "gangguan_listrik", ["pln"]),
    ("jenazah", None, ["jenazah"]),
])
def test_each_report_goes_to_its_agencies_and_always_to_leaders_and_the_mayor(
        rules: Rules, category: str, subtype: str | None, agencies: list[str]) -> None:
    assert rules.targets(category, subtype) == agencies + ALWAYS


def test_numbers_are_112_year_and_five_digits() -> None:
    assert incident_number(2026, 7) == "112-2026-00007"
    assert incident_number(2025, 12345) == "112-2025-12345"


def test_phones_are_masked_for_agencies_and_shown_whole_to_the_call_center() -> None:
    assert phone_tail("+6281234560987") == "…987"
    assert show_phone("+6281234567890") == "0812-3456-7890"
    assert phone_tail("+62911312345") == "…345"


def incident(**changes: object) -> Incident:
    report = Report(category="bencana", subtype="kebakaran", priority="kritis", kecamatan="Sirimau",
                    kecamatan_code="81.71.02", village="Batu Merah", village_code="81.71.02.2003", outside_city=False,
                    address="Jl. Sudirman", description="Rumah terbakar", caller_name="Ibu Maria",
                    caller_phone="+6281234567890", lat=-3.69, lon=128.18)
    fields = {**report.__dict__, **changes}
    return Incident(1, "112-2026-00001", Report(**fields), datetime(2026, 1, 5, 1, 4, tzinfo=UTC), "Rina")


def test_the_card_shows_time_in_wit_place_map_and_masked_caller(rules: Rules, tr: Catalogue) -> None:
    text = to_plain(render_card(incident(), rules, tr, WIT, audience=Audience.RESPONDER))
    assert "LAPORAN 112-2026-00001" in text
    assert "Bencana / Kebakaran" in text and "Batu Merah, Kec. Sirimau" in text
    assert "05-01-2026 10.04 WIT" in text
    assert "Ibu Maria · …890" in text and "3456" not in text and "7890" not in text
    assert "Peta" in text


def test_user_text_cannot_inject_html(rules: Rules, tr: Catalogue) -> None:
    evil = '<b>x</b> & <a href="http://evil">klik</a> </i>'
    card = render_card(incident(address=evil, description=evil, caller_name=evil), rules, tr, WIT,
                       audience=Audience.DESK)
    assert to_plain(card).count(evil) == 3


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=6000), st.text(max_size=400), st.text(max_size=120))
def test_any_card_is_valid_telegram_html_under_4096(rules: Rules, tr: Catalogue, description: str, address: str,
                                                     name: str) -> None:
    card = render_card(incident(description=description or "-", address=address or "-", caller_name=name or None),
                       rules, tr, WIT, audience=Audience.RESPONDER)
    plain = to_plain(card)
    # Telegram counts the text after entity parsing, in UTF-16 units (the HTML itself may be longer: &amp; is 1).
    assert utf16_len(plain) <= 4096
    assert html.unescape(card) is not None


def test_both_catalogues_have_the_same_messages_and_placeholders() -> None:
    import string

    ids, ens = Catalogue("id"), Catalogue("en")
    assert ids.keys() == ens.keys()
    def fields(catalogue: Catalogue, key: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(catalogue._messages[key]) if f}

    for key in ids.keys():  # noqa: SIM118
        assert fields(ids, key) == fields(ens, key), key


def test_callback_data_round_trips_and_stays_under_64_bytes() -> None:
    press = FormPress(123456789012, "kel", "81.71.02.2003")
    data = press.encode()
    assert len(data.encode()) <= 64 and decode(data) == press


@pytest.mark.parametrize("data", ["", "x", "f1:abc:kat:medis", "f2:1:kat:medis", "f1:1:KAT:medis",
                                  "f1:1:kat:" + "a" * 60, "f1:1:kat:<script>", None])
def test_malformed_or_forged_callback_data_decodes_to_nothing(data: str | None) -> None:
    assert decode(data) is None


def test_the_status_lines_show_each_agency_step_time_person_and_a_short_note(rules: Rules, tr: Catalogue) -> None:
    from bot.domain.lifecycle import TargetStatus, TargetView

    at = datetime(2026, 1, 5, 1, 4, tzinfo=UTC)
    views = [TargetView("damkar", "Damkar", TargetStatus.CLAIMED, at, "Budi", "OTW 2 unit " + "x" * 100),
             TargetView("pln", "PLN", TargetStatus.ACKNOWLEDGED, at, "Yani"),
             TargetView("dinkes", "Dinkes/RS", TargetStatus.PENDING, None, None)]
    text = to_plain(render_card(incident(), rules, tr, WIT, audience=Audience.RESPONDER, targets=views))
    assert "• Damkar: 🚗 berangkat 10.04 (Budi) — OTW 2 unit" in text and "x" * 61 not in text
    assert "• PLN: ✅ diterima 10.04 (Yani)" in text
    assert "• Dinkes/RS: ⏳ belum merespons" in text


def test_step_buttons_appear_only_on_responding_agencies_copies(rules: Rules) -> None:
    from bot.domain.lifecycle import TargetStatus
    from bot.domain.render import card_buttons
    from bot.domain.rule_schemas import AgencyKind

    inc = incident()
    assert [k for k, _ in card_buttons(inc, AgencyKind.RESPONDER, TargetStatus.PENDING)] == ["btn_ack", "btn_clm"]
    assert card_buttons(inc, AgencyKind.MONITORING, None) == []
    assert card_buttons(inc, AgencyKind.RESPONDER, TargetStatus.DONE) == []


def test_step_and_confirmation_callback_data_round_trip_under_64_bytes() -> None:
    from bot.domain.callback_data import AgencyPress, ConfirmPress

    for press in (AgencyPress(999999999999, "don"), ConfirmPress(999999999999, "nc")):
        data = press.encode()
        assert len(data.encode()) <= 64 and decode(data) == press
    with pytest.raises(ValueError):
        AgencyPress(1, "steal").encode()


@pytest.mark.parametrize(("code", "shown"), [("81.71.01.1006", "Kel. Nusaniwe, Kec. Nusaniwe"),
                                             ("81.71.01.2003", "Negeri Nusaniwe, Kec. Nusaniwe")])
def test_a_twin_named_village_shows_its_kind_in_the_cards_first_line(rules: Rules, tr: Catalogue, code: str,
                                                                     shown: str) -> None:
    report = incident(kecamatan="Nusaniwe", kecamatan_code="81.71.01", village="Nusaniwe", village_code=code)
    first_line = to_plain(render_card(report, rules, tr, WIT, audience=Audience.OVERSIGHT)).splitlines()[0]
    # A phone's lock-screen preview shows the first line: priority, category and the place, with its kind.
    assert first_line == f"🔴 KRITIS · Bencana / Kebakaran · {shown}"
