"""Parsing a one-message report: keys, aliases, gazetteer, phones, the hearse SOP, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import Problem, Report
from bot.domain.parsing import has_known_key, normalise_phone, parse_fields, unknown_village, validate
from bot.domain.ruleset import Rules
from bot.rules_loader import RulesError, load_rules
from bot.sandbox.world import FIRE
from tests.conftest import RULES_DIR


def codes(result: Report | list[Problem]) -> list[tuple[str, str]]:
    assert isinstance(result, list), result
    return [(p.field, p.code) for p in result]


def test_the_template_from_the_issue_becomes_a_fire_in_batu_merah(rules: Rules) -> None:
    report = validate(parse_fields(FIRE), rules)
    assert isinstance(report, Report)
    assert (report.category, report.subtype, report.priority) == ("bencana", "kebakaran", "kritis")
    assert (report.kecamatan, report.village, report.village_code) == ("Sirimau", "Batu Merah", "81.71.02.2003")
    assert report.caller_phone == "+6281234567890"


def test_english_keys_any_case_and_an_alias_for_the_category_work(rules: Rules) -> None:
    text = "CATEGORY: kebakaran\nDistrict: sirimau\nAddress: Jl. A\nDescription: smoke\nPhone: +62 812-3456-7890"
    report = validate(parse_fields(text), rules)
    assert isinstance(report, Report)
    assert (report.category, report.subtype) == ("bencana", "kebakaran")


def test_every_problem_is_listed_at_once(rules: Rules) -> None:
    result = validate(parse_fields("kategori: kebakran\nkecamatan: Sirimao\ntelepon: 123"), rules)
    assert set(codes(result)) == {("alamat", "missing"), ("keterangan", "missing"),
                                  ("kategori", "unknown_category"), ("kecamatan", "unknown_kecamatan"),
                                  ("telepon", "bad_phone")}
    by_field = {p.field: p for p in result}  # type: ignore[union-attr]
    assert "kebakaran" in by_field["kategori"].params["suggestions"]
    assert by_field["kecamatan"].params["suggestions"] == "Sirimau"


def test_unkeyed_lines_continue_the_description_so_nothing_typed_is_lost() -> None:
    fields = parse_fields("keterangan: Rumah terbakar\nApi menjalar ke rumah sebelah\nCatatan: ada anak kecil")
    assert fields["keterangan"] == "Rumah terbakar\nApi menjalar ke rumah sebelah\nCatatan: ada anak kecil"


def test_teluk_ambon_baguala_and_leitisel_are_accepted_names(rules: Rules) -> None:
    for name, expected in (("Teluk Ambon Baguala", "Baguala"), ("Baguala", "Baguala"),
                           ("Leitisel", "Leitimur Selatan"), ("kec. teluk  ambon", "Teluk Ambon")):
        report = validate(parse_fields(f"kategori: medis\nkecamatan: {name}\nalamat: x\nketerangan: y"), rules)
        assert isinstance(report, Report) and report.kecamatan == expected, name


def test_a_report_from_outside_the_city_is_accepted(rules: Rules) -> None:
    report = validate(parse_fields("kategori: medis\nkecamatan: luar Kota Ambon\nkelurahan: Hitu\nalamat: x\n"
                                   "keterangan: y"), rules)
    assert isinstance(report, Report) and report.outside_city and report.village == "Hitu"


def test_salahutu_and_leihitu_in_maluku_tengah_are_outside_the_city(rules: Rules) -> None:
    for name in ("Salahutu", "Kec. Leihitu", "Leihitu Barat"):
        report = validate(parse_fields(f"kategori: medis\nkecamatan: {name}\nalamat: x\nketerangan: y"), rules)
        assert isinstance(report, Report) and report.outside_city and report.kecamatan is None, name


def test_neighbourhoods_and_landmarks_are_filed_at_their_village(rules: Rules) -> None:
    for name, code in (("Mardika", "81.71.02.1011"), ("pasar mardika", "81.71.02.1011"),
                       ("Tantui", "81.71.02.1010"), ("Pohon Pule", "81.71.01.1011"),
                       ("Air Salobar", "81.71.01.1006"), ("Kebun Cengkeh", "81.71.02.2003")):
        village = rules.gazetteer.village_by_code(code)
        assert village is not None
        report = validate(parse_fields(f"kategori: medis\nkecamatan: {village.kecamatan}\nkelurahan: {name}\n"
                                       "alamat: x\nketerangan: y"), rules)
        assert isinstance(report, Report) and (report.village, report.village_code) == (village.name, code), name
        assert not unknown_village(report)


def test_an_unknown_village_is_kept_as_typed_and_marked_unknown(rules: Rules) -> None:
    report = validate(parse_fields("kategori: medis\nkecamatan: Sirimau\nkelurahan: Lorong Tujuh Belas\n"
                                   "alamat: x\nketerangan: y"), rules)
    assert isinstance(report, Report) and report.kecamatan == "Sirimau"
    assert (report.village, report.village_code) == ("Lorong Tujuh Belas", None) and unknown_village(report)


def test_every_neighbourhood_names_its_source_and_a_village_that_exists(rules: Rules, tmp_path: Path) -> None:
    places = yaml.safe_load((RULES_DIR / "places.yaml").read_text())
    assert all(place["source"].strip() for place in places["neighbourhoods"])
    for item in RULES_DIR.iterdir():
        (tmp_path / item.name).write_bytes(item.read_bytes())
    places["neighbourhoods"].append({"name": "Nowhere", "village": "81.71.09.9999", "source": "test"})
    (tmp_path / "places.yaml").write_text(yaml.safe_dump(places))
    with pytest.raises(RulesError, match="Nowhere.*81.71.09.9999"):
        load_rules(tmp_path)


def test_a_village_in_another_kecamatan_is_explained(rules: Rules) -> None:
    result = validate(parse_fields("kategori: medis\nkecamatan: Nusaniwe\nkelurahan: Batu Merah\nalamat: x\n"
                                   "keterangan: y"), rules)
    assert codes(result) == [("kelurahan", "village_elsewhere")]
    assert result[0].params["actual"] == "Sirimau"  # type: ignore[index]


def test_two_places_named_nusaniwe_must_be_told_apart(rules: Rules) -> None:
    base = "kategori: medis\nkecamatan: Nusaniwe\nalamat: x\nketerangan: y\n"
    assert codes(validate(parse_fields(base + "kelurahan: Nusaniwe"), rules)) == [("kelurahan", "ambiguous_village")]
    as_negeri = validate(parse_fields(base + "negeri: Nusaniwe"), rules)
    as_kelurahan = validate(parse_fields(base + "kelurahan: Kel. Nusaniwe"), rules)
    by_code = validate(parse_fields(base + "kelurahan: 81.71.01.1011"), rules)
    assert isinstance(as_negeri, Report) and as_negeri.village_code == "81.71.01.2003"
    assert isinstance(as_kelurahan, Report) and as_kelurahan.village_code == "81.71.01.1006"
    assert isinstance(by_code, Report) and by_code.village == "Urimessing"


def test_silale_is_not_seilale_and_spelling_variants_match(rules: Rules) -> None:
    def village(kec: str, name: str) -> str | None:
        r = validate(parse_fields(f"kategori: medis\nkecamatan: {kec}\nkelurahan: {name}\nalamat: x\nketerangan: y"),
                     rules)
        assert isinstance(r, Report), r
        return r.village_code

    assert village("Nusaniwe", "Silale") == "81.71.01.1013"
    assert village("Nusaniwe", "Seilale") == "81.71.01.2002"
    assert village("Leitimur Selatan", "Hutumuri") == village("Leitimur Selatan", "Hutumury")
    assert village("Teluk Ambon", "Waiyame") == village("Teluk Ambon", "Wayame")


def test_the_hearse_only_goes_from_a_funeral_home_to_a_cemetery(rules: Rules) -> None:
    base = "kategori: jenazah\nkecamatan: Sirimau\nalamat: x\nketerangan: y\n"
    ok = validate(parse_fields(base + "asal: rumah duka keluarga Latuconsina\ntujuan: TPU Kapaha"), rules)
    assert isinstance(ok, Report) and ok.category == "jenazah"
    assert codes(validate(parse_fields(base + "asal: RSUD Haulussy\ntujuan: TPU Kapaha"), rules)) == [
        ("asal", "hearse_sop")]
    assert codes(validate(parse_fields(base + "asal: rumah duka\ntujuan: Bandara Pattimura"), rules)) == [
        ("tujuan", "hearse_sop")]
    assert codes(validate(parse_fields(base), rules)) == [("asal", "hearse_missing")]


def test_coordinates_are_read_and_checked_against_ambon(rules: Rules) -> None:
    base = "kategori: medis\nkecamatan: Sirimau\nalamat: x\nketerangan: y\n"
    report = validate(parse_fields(base + "koordinat: -3.69, 128.18"), rules)
    assert isinstance(report, Report) and (report.lat, report.lon) == (-3.69, 128.18)
    assert codes(validate(parse_fields(base + "koordinat: 128.18, -3.69"), rules)) == [("koordinat", "far_coordinates")]
    assert codes(validate(parse_fields(base + "koordinat: dekat pasar"), rules)) == [("koordinat", "bad_coordinates")]


def test_priority_can_be_raised_by_the_call_taker(rules: Rules) -> None:
    report = validate(parse_fields("kategori: lainnya\nkecamatan: Sirimau\nalamat: x\nketerangan: y\n"
                                   "prioritas: kritis"), rules)
    assert isinstance(report, Report) and report.priority == "kritis"


def test_phones_are_normalised_to_e164() -> None:
    assert normalise_phone("0812 3456 7890") == "+6281234567890"
    assert normalise_phone("+62 812-3456-7890") == "+6281234567890"
    assert normalise_phone("(0911) 312345") == "+62911312345"
    assert normalise_phone("123") is None
    assert normalise_phone("halo") is None


def test_a_line_with_a_known_key_is_recognised_as_report_lines() -> None:
    assert has_known_key("kecamatan: Sirimau")
    assert has_known_key("Alamat : Jl. Baru")
    assert not has_known_key("Terima kasih: sudah ditangani")
    assert not has_known_key("halo")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_parses_and_validates_without_raising(rules: Rules, text: str) -> None:
    fields = parse_fields(text)
    assert all(isinstance(v, str) for v in fields.values())
    validate(fields, rules)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["kategori", "jenis", "kecamatan", "kelurahan", "negeri", "alamat",
                                        "telepon", "koordinat", "prioritas", "asal", "tujuan", "keterangan"]),
                       st.text(max_size=80)))
def test_any_combination_of_keyed_lines_validates_without_raising(rules: Rules, lines: dict[str, str]) -> None:
    text = "\n".join(f"{k}: {v}" for k, v in lines.items())
    validate(parse_fields(text), rules)


def test_a_report_number_of_any_length_is_read_and_written_back_the_same() -> None:
    from bot.domain.model import incident_number, parse_number

    assert parse_number("112-2026-00012") == (2026, 12)
    assert parse_number("2026-100000") == (2026, 100000)
    assert parse_number("123456") == (None, 123456)
    assert incident_number(2026, 123456) == "112-2026-123456" and incident_number(2026, 7) == "112-2026-00007"
    for bad in ("3000000000", "0", "112-2026-", "12a", "-5", ""):
        assert parse_number(bad) is None, bad


def test_a_recap_period_outside_the_calendar_is_a_clear_error() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.domain.periods import PeriodError, parse_period

    for text in ("9999-12-31", "9999-12", "9999", "0001-01-01", "2026-01-01..9999-12-31", "2026-02-30"):
        with pytest.raises(PeriodError):
            parse_period(text, datetime(2026, 3, 1, tzinfo=UTC), ZoneInfo("Asia/Jayapura"))
