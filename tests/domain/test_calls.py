"""The call log's pure parts: the one-line /panggilan, a phone and a note typed together, the time a call came in,
a number's history as the call taker reads it, repeat numbers, calls in the statistics, and the hearse SOP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.callback_data import CallPress, decode
from bot.domain.calls import (
    CODE_OF,
    PICKABLE,
    CallKind,
    CallLine,
    CallLineProblem,
    PastCall,
    call_stats,
    call_time,
    history_line,
    history_of,
    history_text,
    parse_call_line,
    phone_and_note,
    quantile,
    repeat_numbers,
)
from bot.domain.parsing import parse_fields, validate
from bot.domain.ruleset import Rules
from bot.domain.stats import calls_lines
from bot.i18n import Catalogue
from bot.sandbox.html_check import to_plain

WIT = ZoneInfo("Asia/Jayapura")
NOW = datetime(2026, 11, 12, 12, 30, tzinfo=UTC)  # 21.30 WIT


@pytest.mark.parametrize(("typed", "expected"), [
    ("iseng 0812 3456 7890 anak-anak tertawa", CallLine(CallKind.ISENG, "+6281234567890", "anak-anak tertawa")),
    ("prank +62812-3456-7890", CallLine(CallKind.ISENG, "+6281234567890", None)),
    ("salah sambung", CallLine(CallKind.SALAH_SAMBUNG, None, None)),
    ("silent tidak ada suara", CallLine(CallKind.DIAM, None, "tidak ada suara")),
    ("jenazah 081234567890 dari RS ke rumah", CallLine(CallKind.JENAZAH, "+6281234567890", "dari RS ke rumah")),
    ("TEST", CallLine(CallKind.UJI, None, None)),
    ("darurat", CallLineProblem("call_bad_kind", "darurat")),
    ("kebakaran 0812", CallLineProblem("call_bad_kind", "kebakaran")),
    ("iseng 0812 99", CallLineProblem("call_bad_phone", "0812 99")),
    ("", CallLineProblem("call_bad_kind", "")),
])
def test_a_one_line_call_reads_its_kind_phone_and_note(typed: str, expected: object) -> None:
    assert parse_call_line(typed) == expected


def test_a_reply_with_only_words_is_a_note_and_a_long_note_is_cut() -> None:
    assert phone_and_note("suara musik keras") == phone_and_note("  suara   musik keras ")
    assert phone_and_note("suara musik keras").phone is None
    assert len(phone_and_note("x" * 2000).note or "") == 500


@pytest.mark.parametrize(("typed", "expected_wit"), [
    ("21.04", datetime(2026, 11, 12, 21, 4)), ("21:04", datetime(2026, 11, 12, 21, 4)),
    ("22.10", datetime(2026, 11, 11, 22, 10)),  # later than now: yesterday's
    ("11-11 08.00", datetime(2026, 11, 11, 8, 0)), ("10-11-2026 23.59", datetime(2026, 11, 10, 23, 59)),
])
def test_the_typed_call_time_is_read_in_wit_and_never_in_the_future(typed: str, expected_wit: datetime) -> None:
    assert call_time(typed, NOW, WIT, NOW) == expected_wit.replace(tzinfo=WIT)


@pytest.mark.parametrize("typed", [None, "", "25.00", "jam sembilan", "31-02 10.00", "13-11 08.00"])
def test_a_call_time_that_cannot_be_falls_back(typed: str | None) -> None:
    fallback = NOW - timedelta(minutes=3)
    assert call_time(typed, NOW, WIT, fallback) == fallback


def test_a_number_with_pranks_is_flagged_with_its_count_and_last_call_in_wit(tr: Catalogue) -> None:
    calls = [PastCall(NOW - timedelta(days=d), kind) for d, kind in ((1, "iseng"), (3, "iseng"), (5, "diam"),
                                                                     (40, "iseng"))]
    history = history_of(calls, NOW)
    assert to_plain(history_line(history, tr, WIT) or "") == \
        "⚠️ Nomor ini: 2 iseng, 1 diam dalam 30 hari, terakhir 11-11 21.30"
    assert history_line(history_of([], NOW), tr, WIT) is None
    info = history_of([PastCall(NOW - timedelta(hours=2), "darurat", number="112-2026-00001")], NOW)
    assert (history_line(info, tr, WIT) or "").startswith("ℹ️")
    assert "112-2026-00001" in history_text("0812-3456-7890", info, tr, WIT)


def test_repeat_numbers_are_those_with_two_or_more_most_first() -> None:
    rows = [("+62811", 1, NOW), ("+62812", 3, NOW - timedelta(days=1)), ("+62813", 3, NOW), ("+62814", 2, NOW)]
    assert [r.phone for r in repeat_numbers(rows)] == ["+62813", "+62812", "+62814"]


def test_calls_in_the_statistics_count_kinds_the_prank_share_and_call_to_report_times(tr: Catalogue) -> None:
    stats = call_stats({"iseng": 6, "darurat": 3, "info": 1, "uji": 0}, [60, 120, 600])
    assert stats.total == 10 and stats.by_kind == [("iseng", 6), ("darurat", 3), ("info", 1)]
    assert stats.prank_share == pytest.approx(0.6) and stats.nuisance == 6
    assert stats.to_report_median == 2 and stats.to_report_p90 == pytest.approx(8.4)
    text = to_plain("\n".join(calls_lines(stats, tr)))
    assert "Panggilan: 10 (iseng 6, darurat (laporan) 3, informasi 1); iseng 60% dari semua panggilan" in text
    assert "biasanya 2,0 menit, 9 dari 10 dalam 8,4 menit (3 laporan)" in text
    assert call_stats({}, []).prank_share is None and quantile([], 0.5) is None


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50), st.floats(0, 1))
def test_a_quantile_lies_between_the_smallest_and_the_largest(values: list[float], q: float) -> None:
    result = quantile(values, q)
    assert result is not None and min(values) <= result <= max(values)


def test_every_kind_on_the_keyboard_has_a_button_that_decodes_back() -> None:
    for kind in PICKABLE:
        assert decode(CallPress(CODE_OF[kind]).encode()) == CallPress(CODE_OF[kind])
    assert decode(CallPress("jnz", 123456789012).encode()) == CallPress("jnz", 123456789012)
    assert decode("k1:DROP:1") is None


HEARSE = """kategori: jenazah
kecamatan: Sirimau
alamat: RSUD Haulussy
asal: RSUD Haulussy
tujuan: rumah keluarga
keterangan: minta antar"""


def test_a_hearse_outside_the_sop_needs_a_supervisors_reason(rules: Rules) -> None:
    codes = lambda result: [p.code for p in result] if isinstance(result, list) else []  # noqa: E731
    assert codes(validate(parse_fields(HEARSE), rules)) == ["hearse_sop"]
    with_reason = parse_fields(HEARSE + "\nalasan_sop: keluarga tidak mampu")
    assert codes(validate(with_reason, rules)) == ["sop_override_not_allowed"]
    assert not isinstance(validate(with_reason, rules, sop_override=True), list)
    assert codes(validate(parse_fields(HEARSE + "\nwaktu_panggilan: jam 9"), rules)) == ["hearse_sop",
                                                                                          "bad_call_time"]
