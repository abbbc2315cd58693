"""End to end, BMKG's feeds (issue 15): an earthquake near Ambon becomes one incident routed like any report, with
BMKG's shakemap; revisions edit it; repeats, distant events and a broken feed add nothing and lose nothing — through
the real `sigap112` process, the fake Bot API and the fake BMKG server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.fake_bmkg import FakeBMKG, cap_alert, quake
from bot.sandbox.process import BotProcess
from tests.conftest import WIT

from .steps import NUMBER

pytestmark = pytest.mark.e2e
QUAKE_GROUPS = ("bpbd", "sar", "perkim", "dlhp", "call_center", "pimpinan", "monitoring")
NEAR = (-3.95, 128.45)  # about 40 km south-east of the city's centroid


@pytest.fixture
def bmkg() -> Iterator[FakeBMKG]:
    server = FakeBMKG().start()
    yield server
    server.stop()


@pytest.fixture
def bmkg_env(process: BotProcess, bmkg: FakeBMKG) -> FakeBMKG:
    """The bot polls the fake BMKG every second, giving up on an answer after two."""
    process.env.update(BMKG_BASE_URL=bmkg.base_url, BMKG_CAP_URL=bmkg.cap_url, BMKG_POLL_SECONDS="1",
                       BMKG_TIMEOUT="2")
    return bmkg


def quake_cards(fake: FakeTelegram, key: str, marker: str = "Gempa M") -> list[Sent]:
    return [m for m in fake.bot_messages(world.GROUPS[key]) if marker in m.text and m.kind == "text"]


def wait_card(fake: FakeTelegram, key: str, marker: str) -> Sent:
    return fake.wait_until(lambda: next(iter(quake_cards(fake, key, marker)), None), what=f"{marker} in {key}")


def polls_after(fake: FakeTelegram, bmkg: FakeBMKG, feed: str = "gempadirasakan.json", count: int = 3) -> None:
    """Wait until the bot has asked for the feed `count` more times (each poll sees what is published now; the
    last feed of a poll, so that the whole poll is done)."""
    start = len(bmkg.requests_of(feed))
    fake.wait_until(lambda: len(bmkg.requests_of(feed)) >= start + count, what=f"{count} polls of {feed}")


def test_a_strong_quake_near_ambon_becomes_one_incident_with_its_shakemap_and_revisions_edit_it(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    bmkg = bmkg_env
    event = quake(utcnow() - timedelta(minutes=2), *NEAR, 5.6, 10,
                  region="Pusat gempa berada di laut 40 km Tenggara Ambon", felt="III Ambon")
    bmkg.publish(event, felt=True)
    cards = {key: wait_card(fake, key, "Gempa M5.6") for key in QUAKE_GROUPS}
    bpbd = cards["bpbd"].text
    match = NUMBER.search(bpbd)
    assert match, bpbd
    number = match.group(0)
    assert "10 km" in bpbd and "tenggara dari Ambon" in bpbd and "Pusat gempa berada di laut 40 km" in bpbd
    assert "BMKG" in bpbd
    # Only some of BMKG's feeds say where it was felt; whichever was read first, the first that says it adds it.
    for key in QUAKE_GROUPS:
        fake.wait_until(lambda key=key: "Dirasakan (BMKG): III Ambon" in cards[key].text,
                        what=f"where it was felt, on the {key} copy")
    for key in ("bpbd", "sar", "pimpinan", "monitoring"):
        photo = fake.wait_until(lambda key=key: next((m for m in fake.bot_messages(world.GROUPS[key])
                                                      if m.kind == "photo"), None), what=f"shakemap in {key}")
        assert photo.url == f"{bmkg.base_url}/{event['Shakemap']}" and number in photo.text
        assert photo.reply_to == cards[key].message_id
    fake.wait_for_message(world.GROUPS["call_center"], "terkirim ke semua grup")

    bmkg.publish({**event, "Magnitude": "5.8", "Kedalaman": "12 km"}, felt=True)  # BMKG revises it
    for key in QUAKE_GROUPS:
        fake.wait_until(lambda key=key: "Gempa M5.8" in cards[key].text and "12 km" in cards[key].text,
                        what=f"the revision on the {key} copy")

    bmkg.publish({**event, "Magnitude": "5.8", "Kedalaman": "12 km"}, felt=True)  # the same again
    bmkg.publish(quake(utcnow() - timedelta(minutes=1), -8.5, 115.2, 4.0))  # far away and weak
    polls_after(fake, bmkg, count=4)
    for key in QUAKE_GROUPS:
        assert len(quake_cards(fake, key)) == 1, key
        assert len([m for m in fake.bot_messages(world.GROUPS[key]) if m.kind == "photo"]) <= 1

    # A caller reports the shaking: the call center links the call to BMKG's incident, then closes that one.
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/lapor\nkategori: gempa\nkecamatan: Sirimau\n"
                   "alamat: Jl. Sultan Hasanuddin\nketerangan: Gempa terasa kuat, dinding retak")
    call = NUMBER.search(fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat").text)
    assert call and call.group(0) != number
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/tutup {call.group(0)} duplikat {number}")
    fake.wait_for_message(world.CALL_TAKER, f"{call.group(0)} ditutup")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/tutup {number} tertangani")
    fake.wait_for_message(world.CALL_TAKER, f"{number} ditutup")
    fake.wait_until(lambda: "DITUTUP" in cards["monitoring"].text, what="BMKG's incident closed on every copy")


def test_the_shakemap_comes_with_the_first_feed_that_names_it_when_the_incident_came_from_one_that_does_not(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    """gempaterkini never names the shakemap: when it lists a quake before autogempa does (BMKG's feeds lag one
    another), the incident comes from it, and the picture comes once autogempa has the quake — once."""
    bmkg = bmkg_env
    event = quake(utcnow() - timedelta(minutes=1), *NEAR, 5.6, 10)
    bmkg.publish(event, latest=False)
    cards = {key: wait_card(fake, key, "Gempa M5.6") for key in ("bpbd", "monitoring")}
    polls_after(fake, bmkg, count=2)
    assert not [m for m in fake.bot_messages(world.GROUPS["bpbd"]) if m.kind == "photo"]
    bmkg.set_feeds(event)  # autogempa catches up, with the shakemap
    for key in ("bpbd", "monitoring"):
        photo = fake.wait_until(lambda key=key: next((m for m in fake.bot_messages(world.GROUPS[key])
                                                      if m.kind == "photo"), None), what=f"shakemap in {key}")
        assert photo.url == f"{bmkg.base_url}/{event['Shakemap']}" and photo.reply_to == cards[key].message_id
    polls_after(fake, bmkg, count=3)
    for key in QUAKE_GROUPS:
        assert len([m for m in fake.bot_messages(world.GROUPS[key]) if m.kind == "photo"]) <= 1, key
        assert len(quake_cards(fake, key)) == 1, key


def test_a_tsunami_potential_far_away_is_a_critical_incident(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    event = quake(utcnow() - timedelta(minutes=1), -6.9, 131.2, 7.2, 30,
                  potential="Berpotensi TSUNAMI untuk diteruskan pada masyarakat")
    fake.fail_photo_urls(f"{bmkg_env.base_url}/{event['Shakemap']}")  # Telegram cannot fetch this picture
    bmkg_env.publish(event)
    card = wait_card(fake, "monitoring", "Gempa M7.2")
    assert "KRITIS" in card.text and "BERPOTENSI TSUNAMI" in card.text
    link = fake.wait_for_message(world.GROUPS["monitoring"], "Peta guncangan BMKG")  # its link instead, as a reply
    assert event["Shakemap"] in link.text and link.kind == "text" and link.reply_to == card.message_id


def test_a_feed_outage_is_visible_in_health_and_loses_nothing(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    bmkg = bmkg_env
    polls_after(fake, bmkg, count=1)
    bmkg.fail("503", times=-1)
    event = quake(utcnow() - timedelta(minutes=1), *NEAR, 6.1, 15)
    bmkg.publish(event)  # published while nothing gets through

    def feed_state() -> dict:  # type: ignore[type-arg]
        return json.loads(running.cli("health").stdout)["feeds"]["bmkg:autogempa.json"]

    fake.wait_until(lambda: feed_state()["last_error"] == "HTTP 503", what="the outage in health")
    assert feed_state()["last_ok_at"] is not None  # the last good poll, before the outage
    fake.send_text(world.ADMIN, world.ADMIN, "/kesehatan")
    assert "HTTP 503" in fake.wait_for_message(world.ADMIN, "bmkg:autogempa.json").text
    assert not quake_cards(fake, "bpbd")

    bmkg.clear_faults()
    bmkg.fail("malformed", feed="gempaterkini.json", times=2)
    bmkg.fail("timeout", feed="gempadirasakan.json", seconds=4)
    wait_card(fake, "bpbd", "Gempa M6.1")
    fake.wait_until(lambda: "timeout" in (json.loads(running.cli("health").stdout)["feeds"]
                                          ["bmkg:gempadirasakan.json"]["last_error"] or ""), what="the timeout")

    future = quake(utcnow() + timedelta(hours=2), *NEAR, 6.5)
    bmkg.publish(future)
    fake.wait_until(lambda: "future" in (feed_state()["last_error"] or ""), what="the future event in health")
    assert len(quake_cards(fake, "bpbd")) == 1 and running.proc is not None and running.proc.poll() is None


def test_a_weather_warning_for_ambon_is_posted_once_as_a_notice_and_one_for_elsewhere_not_at_all(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    bmkg, now = bmkg_env, utcnow()
    bmkg.warn("CJH20261129001", cap_alert("CJH20261129001", now, now + timedelta(hours=3), "Kota Ambon, Maluku Tengah",
                                          "Hujan lebat disertai kilat di Kota Ambon", "Hujan Lebat"))
    bmkg.warn("CBU20261129002", cap_alert("CBU20261129002", now, now + timedelta(hours=3), "Kab. Buru",
                                          "Angin kencang di Namlea", "Angin Kencang"))
    expires = (now + timedelta(hours=3)).astimezone(WIT).strftime("%d-%m-%Y %H.%M")
    for key in ("call_center", "bpbd", "pimpinan", "monitoring"):
        notice = fake.wait_for_message(world.GROUPS[key], "Peringatan dini cuaca BMKG")
        assert "Hujan Lebat" in notice.text and f"{expires} WIT" in notice.text and "LAPORAN" not in notice.text
    polls_after(fake, bmkg, "rss.xml", count=3)
    for key in ("call_center", "bpbd", "pimpinan", "monitoring", "sar"):
        notices = [m for m in fake.bot_messages(world.GROUPS[key]) if "Peringatan dini" in m.text]
        assert len(notices) == (0 if key == "sar" else 1) and "Namlea" not in " ".join(m.text for m in notices)
    assert not [m for m in fake.bot_messages(world.GROUPS["bpbd"]) if "LAPORAN" in m.text]


def test_a_feed_sent_in_pieces_is_read_whole(bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    """BMKG's server sends gempaterkini.json (7 kB) and CAP files in several pieces: the bot waits for all."""
    bmkg, now = bmkg_env, utcnow()
    bmkg.split_bodies(0.3)
    bmkg.publish(quake(now - timedelta(minutes=1), *NEAR, 5.7, 10))
    bmkg.warn("CJH20261129009", cap_alert("CJH20261129009", now, now + timedelta(hours=3), "Kota Ambon",
                                          "Hujan lebat di Kota Ambon"))
    wait_card(fake, "bpbd", "Gempa M5.7")
    fake.wait_for_message(world.GROUPS["bpbd"], "Peringatan dini cuaca BMKG")
    polls_after(fake, bmkg, count=2)
    feeds = json.loads(running.cli("health").stdout)["feeds"]
    assert all(not state["last_error"] for state in feeds.values()), feeds


def test_a_revision_that_moves_the_epicentre_and_time_edits_the_incident_and_makes_no_second_one(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    bmkg, at = bmkg_env, utcnow().replace(microsecond=0) - timedelta(minutes=2)
    event = quake(at, *NEAR, 5.6, 10)
    bmkg.publish(event)
    cards = {key: wait_card(fake, key, "Gempa M5.6") for key in QUAKE_GROUPS}
    match = NUMBER.search(cards["bpbd"].text)
    assert match
    moved_at = at + timedelta(seconds=20)
    shown = moved_at.astimezone(WIT).strftime("%d-%m-%Y %H.%M.%S")
    assert shown not in cards["bpbd"].text
    # BMKG's updated analysis: 0.05 degrees south, 20 seconds later, M5.9 (the card shows its time to the second)
    bmkg.publish(quake(moved_at, NEAR[0] - 0.05, NEAR[1], 5.9, 10), replaces=event)
    for key in QUAKE_GROUPS:
        fake.wait_until(lambda key=key: "Gempa M5.9" in cards[key].text and shown in cards[key].text,
                        what=f"the moved event on the {key} copy")
    polls_after(fake, bmkg, count=3)
    for key in QUAKE_GROUPS:
        assert len(quake_cards(fake, key)) == 1, key
    numbers = {m.group(0) for m in (NUMBER.search(s.text) for s in fake.bot_messages(world.GROUPS["pimpinan"])) if m}
    assert numbers == {match.group(0)}


def test_feeds_lagging_one_another_never_flip_a_revision_back(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    bmkg = bmkg_env
    event = quake(utcnow() - timedelta(minutes=2), *NEAR, 5.6, 10)
    bmkg.publish(event)  # autogempa.json and gempaterkini.json both say M5.6
    card = wait_card(fake, "monitoring", "Gempa M5.6")
    polls_after(fake, bmkg, count=1)
    # autogempa.json has BMKG's revision; gempaterkini.json still lists the first analysis
    bmkg.raw("autogempa.json", json.dumps({"Infogempa": {"gempa": {**event, "Magnitude": "5.4"}}}).encode())
    fake.wait_until(lambda: "Gempa M5.4" in card.text, what="the revision")
    for minutes in (30, 20, 10):  # gempaterkini.json lists new distant events, and still M5.6 for this one
        distant = quake(utcnow() - timedelta(minutes=minutes), -8.5, 115.2, 5.1)
        bmkg.raw("gempaterkini.json", json.dumps({"Infogempa": {"gempa": [distant, event]}}).encode())
        polls_after(fake, bmkg, count=2)
    texts = [*card.edits, card.text]
    first_revised = next(i for i, text in enumerate(texts) if "Gempa M5.4" in text)
    assert all("Gempa M5.6" not in text for text in texts[first_revised:]), texts


def test_a_number_no_float_holds_spoils_only_its_own_entry(
        bmkg_env: FakeBMKG, running: BotProcess, fake: FakeTelegram) -> None:
    good = quake(utcnow() - timedelta(minutes=1), *NEAR, 5.8, 10)
    huge = json.dumps({**good, "Magnitude": "0"})[:-1] + ', "Kedalaman": 1' + "0" * 400 + "}"
    bmkg_env.raw("gempaterkini.json", f'{{"Infogempa": {{"gempa": [{huge}, {json.dumps(good)}]}}}}'.encode())
    wait_card(fake, "bpbd", "Gempa M5.8")
