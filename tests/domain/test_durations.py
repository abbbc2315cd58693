"""Durations in /tunda and the rules' ladders: Indonesian units, and the units an Indonesian may misread."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.domain.rule_schemas import ambiguous_duration, ambiguous_durations, parse_duration

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.mark.parametrize(("text", "expected"), [
    ("45dtk", timedelta(seconds=45)), ("45 detik", timedelta(seconds=45)), ("90s", timedelta(seconds=90)),
    ("30mnt", timedelta(minutes=30)), ("30 menit", timedelta(minutes=30)), ("30m", timedelta(minutes=30)),
    ("2j", timedelta(hours=2)), ("2jam", timedelta(hours=2)), ("2 jam", timedelta(hours=2)),
    ("2h", timedelta(hours=2)), ("2H", timedelta(hours=2)), ("1d", timedelta(days=1)), ("1 hari", timedelta(days=1)),
])
def test_durations_accept_indonesian_and_short_english_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "jam", "2", "2x", "2 jam lagi", "-2jam", "2,5jam", "2mn"])
def test_an_unknown_duration_is_an_error_that_shows_the_indonesian_forms(text: str) -> None:
    with pytest.raises(ValueError, match="30mnt, 2jam"):
        parse_duration(text)


def test_2h_is_explained_as_2_jam_not_2_hari_and_1d_as_1_hari_not_1_detik() -> None:
    assert "berarti 2 jam" in (ambiguous_duration("2h") or "") and "bukan 2 hari" in (ambiguous_duration("2h") or "")
    assert "berarti 1 hari" in (ambiguous_duration("1d") or "") and "bukan 1 detik" in (ambiguous_duration("1d") or "")
    assert [ambiguous_duration(v) for v in ("2jam", "30m", "30mnt", "45s", 2, "Damkar")] == [None] * 6


def test_rules_check_names_where_an_ambiguous_unit_stands() -> None:
    tree = {"priorities": {"kritis": {"resolve": {"within": "3jam", "ladder": [{"after": "6h", "to": "pimpinan"}]}}}}
    [note] = ambiguous_durations(tree)
    assert note.startswith("priorities.kritis.resolve.ladder[0].after: '6h' berarti 6 jam")


def test_the_shipped_rules_use_no_ambiguous_unit() -> None:
    for path in RULES.glob("*.yaml"):
        assert ambiguous_durations(yaml.safe_load(path.read_text(encoding="utf-8"))) == [], path.name
