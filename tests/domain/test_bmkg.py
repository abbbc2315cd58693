"""BMKG's earthquake feeds: any bytes give events or a clean problem; which event becomes an incident."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.bmkg import (
    BmkgRules,
    FeedProblem,
    QuakeAlarm,
    QuakeIgnored,
    QuakeRules,
    WarningRules,
    decide,
    direction,
    distance_km,
    parse_quakes,
    same_event,
)
from bot.sandbox.fake_bmkg import quake

NOW = datetime(2026, 11, 29, 3, 10, tzinfo=UTC)
AT = datetime(2026, 11, 29, 3, 5, 12, tzinfo=UTC)
RULES = BmkgRules(QuakeRules(), WarningRules(), -3.69, 128.19)


def feed(*events: dict[str, str]) -> bytes:
    return json.dumps({"Infogempa": {"gempa": list(events)}}).encode()


def one(body: bytes):  # type: ignore[no-untyped-def]
    parsed = parse_quakes(body)
    assert not isinstance(parsed, FeedProblem), parsed
    return parsed[0]


def test_an_autogempa_event_is_read_with_its_time_place_strength_depth_and_wording() -> None:
    body = json.dumps({"Infogempa": {"gempa": quake(AT, -3.95, 128.45, 5.6, 12, felt="III Ambon")}}).encode()
    event = one(body)
    assert (event.at, event.lat, event.lon, event.magnitude, event.depth_km) == (AT, -3.95, 128.45, 5.6, 12)
    assert event.felt == "III Ambon" and event.shakemap == "20261129100512.mmi.jpg"
    assert event.key == "20261129T030512Z:-3.95,128.45"


def test_an_event_40_km_from_ambon_at_m5_6_is_an_alarm_of_the_rules_priority_with_distance_and_direction() -> None:
    alarm = decide(one(feed(quake(AT, -3.95, 128.45, 5.6))), RULES, NOW)
    assert isinstance(alarm, QuakeAlarm) and alarm.priority == "tinggi" and not alarm.tsunami
    assert 35 < alarm.distance_km < 45 and alarm.direction == "tenggara"


def test_a_distant_m4_is_ignored_and_a_weak_one_nearby_too() -> None:
    assert decide(one(feed(quake(AT, -8.5, 115.2, 4.0))), RULES, NOW) == QuakeIgnored("far_or_weak")
    assert decide(one(feed(quake(AT, -3.8, 128.3, 4.2))), RULES, NOW) == QuakeIgnored("far_or_weak")


def test_a_tsunami_potential_within_the_tsunami_radius_is_kritis_and_a_denial_of_one_is_not() -> None:
    far = quake(AT, -7.0, 131.0, 7.1, potential="Berpotensi TSUNAMI untuk diteruskan pada masyarakat")
    alarm = decide(one(feed(far)), RULES, NOW)
    assert isinstance(alarm, QuakeAlarm) and alarm.tsunami and alarm.priority == "kritis"
    denied = quake(AT, -7.0, 131.0, 7.1, potential="Tidak berpotensi tsunami")
    assert decide(one(feed(denied)), RULES, NOW) == QuakeIgnored("far_or_weak")


def test_a_felt_event_naming_ambon_is_an_alarm_wherever_it_is() -> None:
    felt = quake(AT, -3.2, 129.5, 4.1, felt="II - III Ambon, II Masohi")
    assert isinstance(decide(one(feed(felt)), RULES, NOW), QuakeAlarm)
    assert decide(one(feed(quake(AT, -3.2, 129.5, 4.1, felt="II Ambonia"))), RULES, NOW) == \
        QuakeIgnored("far_or_weak")


def test_an_event_from_the_future_or_from_days_ago_is_never_an_alarm() -> None:
    assert decide(one(feed(quake(NOW + timedelta(hours=1), -3.95, 128.45, 6.0))), RULES, NOW) == \
        QuakeIgnored("future")
    assert decide(one(feed(quake(NOW - timedelta(days=2), -3.95, 128.45, 6.0))), RULES, NOW) == QuakeIgnored("old")


def test_broken_answers_are_problems_and_unreadable_entries_are_left_out() -> None:
    assert isinstance(parse_quakes(b'{"Infogempa": {"gempa": [{"Magnitude": '), FeedProblem)
    assert isinstance(parse_quakes(b"<html>maintenance</html>"), FeedProblem)
    assert isinstance(parse_quakes(b'{"Infogempa": {"gempa": [{"Magnitude": "5"}]}}'), FeedProblem)
    assert parse_quakes(feed()) == []
    good = quake(AT, -3.95, 128.45, 5.6)
    assert len(parse_quakes(feed({**good, "Coordinates": "x"}, good))) == 1  # type: ignore[arg-type]


def test_distance_and_direction_of_known_places() -> None:
    assert 1150 < distance_km(-3.69, 128.19, -6.2, 106.8) < 2450  # Ambon to Jakarta, about 2,400 km
    assert direction(0, 0, 1, 0) == "utara" and direction(0, 0, 0, -1) == "barat"


huge_integers = st.integers(min_value=-(10 ** 1000), max_value=10 ** 1000)  # past any float: float() overflows
json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | huge_integers
                           | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=20)
entry_values = st.one_of(st.text(max_size=40), st.floats(), st.integers(), huge_integers, st.none(), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_events_or_a_problem_never_an_exception(body: bytes) -> None:
    assert isinstance(parse_quakes(body), list | FeedProblem)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["DateTime", "Coordinates", "Magnitude", "Kedalaman", "Wilayah", "Potensi",
                                        "Dirasakan", "Shakemap", "x"]), entry_values))
def test_any_entry_in_the_right_shape_gives_an_event_or_a_problem_and_decisions_never_fail(entry: dict) -> None:  # type: ignore[type-arg]
    parsed = parse_quakes(json.dumps({"Infogempa": {"gempa": [entry]}}).encode())
    assert isinstance(parsed, list | FeedProblem)
    for event in parsed if isinstance(parsed, list) else []:
        assert isinstance(decide(event, RULES, NOW), QuakeAlarm | QuakeIgnored)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_gives_events_or_a_problem(value: object) -> None:
    assert isinstance(parse_quakes(json.dumps(value).encode()), list | FeedProblem)


def test_a_time_at_the_edge_of_the_calendar_is_an_unreadable_entry() -> None:
    edge = {**quake(AT, -3.95, 128.45, 5.6), "DateTime": "0001-01-01T00:00:00+01:00"}
    assert isinstance(parse_quakes(feed(edge)), FeedProblem)


def test_a_tsunami_potential_beyond_the_tsunami_radius_is_not_an_alarm() -> None:
    """Jakarta's coast, 2,400 km away: BMKG's tsunami potential there is not Ambon's."""
    jakarta = quake(AT, -6.5, 106.5, 7.4, potential="Berpotensi TSUNAMI untuk diteruskan pada masyarakat")
    assert decide(one(feed(jakarta)), RULES, NOW) == QuakeIgnored("far_or_weak")
    wide = BmkgRules(QuakeRules(tsunami_radius_km=3000), WarningRules(), -3.69, 128.19)
    alarm = decide(one(feed(jakarta)), wide, NOW)
    assert isinstance(alarm, QuakeAlarm) and alarm.tsunami and alarm.priority == "kritis"


def test_a_number_of_hundreds_of_digits_is_an_unreadable_entry_not_an_exception() -> None:
    good = quake(AT, -3.95, 128.45, 5.6)
    huge = ("{" + ", ".join(f'"{k}": {json.dumps(v)}' for k, v in good.items() if k != "Magnitude")
            + ', "Magnitude": 1' + "0" * 400 + "}")
    body = ('{"Infogempa": {"gempa": [' + huge + ", " + json.dumps(good) + "]}}").encode()
    parsed = parse_quakes(body)
    assert isinstance(parsed, list) and [e.magnitude for e in parsed] == [5.6]
    assert parse_quakes(feed({**good, "Kedalaman": 10 ** 400}))[0].depth_km is None  # type: ignore[index,dict-item]


def test_a_revision_seconds_and_a_few_kilometres_away_is_the_same_event_and_another_event_is_not() -> None:
    event = one(feed(quake(AT, -3.95, 128.45, 5.6)))
    assert same_event(event, AT - timedelta(seconds=20), -4.0, 128.45)  # moved 0.05 degrees, 20 s
    assert same_event(event, AT + timedelta(seconds=90), -3.9, 128.5)
    assert not same_event(event, AT - timedelta(minutes=3), -3.95, 128.45)  # an aftershock minutes later
    assert not same_event(event, AT, -3.0, 128.45)  # 100 km away at the same time
