"""The fake BMKG server answers in BMKG's shapes, honours conditional requests and plays its scripted faults."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.sandbox.fake_bmkg import FakeBMKG, quake


@pytest.fixture
def bmkg() -> Iterator[FakeBMKG]:
    server = FakeBMKG().start()
    yield server
    server.stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, b"", dict(exc.headers)


def test_an_event_is_served_in_bmkgs_shapes_with_its_shakemap(bmkg: FakeBMKG) -> None:
    event = quake(datetime(2026, 11, 29, 3, 5, 12, tzinfo=UTC), -3.95, 128.45, 5.6, 10, felt="III Ambon")
    bmkg.publish(event, felt=True)
    _, body, _ = get(bmkg.base_url + "/autogempa.json")
    latest = json.loads(body)["Infogempa"]["gempa"]
    assert latest["Magnitude"] == "5.6" and latest["Coordinates"] == "-3.95,128.45"
    assert latest["Jam"] == "10:05:12 WIB" and latest["Kedalaman"] == "10 km"
    assert latest["DateTime"] == "2026-11-29T03:05:12+00:00" and latest["Lintang"] == "3.95 LS"
    _, body, _ = get(bmkg.base_url + "/gempaterkini.json")
    assert [e["Magnitude"] for e in json.loads(body)["Infogempa"]["gempa"]] == ["5.6"]
    _, body, _ = get(bmkg.base_url + "/gempadirasakan.json")
    assert json.loads(body)["Infogempa"]["gempa"][0]["Dirasakan"] == "III Ambon"
    status, picture, _ = get(f"{bmkg.base_url}/{latest['Shakemap']}")
    assert status == 200 and picture.startswith(b"\x89PNG")


def test_an_unchanged_feed_answers_304_to_its_etag_and_200_after_a_change(bmkg: FakeBMKG) -> None:
    _, _, headers = get(bmkg.base_url + "/autogempa.json")
    assert get(bmkg.base_url + "/autogempa.json", {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(bmkg.base_url + "/autogempa.json", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    bmkg.publish(quake(datetime(2026, 11, 29, 3, 5, 12, tzinfo=UTC), -3.95, 128.45, 4.0))
    assert get(bmkg.base_url + "/autogempa.json", {"If-None-Match": headers["ETag"]})[0] == 200


def test_scripted_faults_answer_once_then_the_feed_is_back(bmkg: FakeBMKG) -> None:
    bmkg.fail("503", feed="autogempa.json")
    bmkg.fail("malformed", feed="gempaterkini.json")
    assert get(bmkg.base_url + "/autogempa.json")[0] == 503
    assert get(bmkg.base_url + "/autogempa.json")[0] == 200
    status, body, _ = get(bmkg.base_url + "/gempaterkini.json")
    assert status == 200 and body.startswith(b'{"Infogempa": {"gempa": [{"Magnitude": ') and not body.endswith(b"}")


def test_split_bodies_arrive_whole_in_two_pieces(bmkg: FakeBMKG) -> None:
    bmkg.publish(quake(datetime(2026, 11, 29, 3, 5, 12, tzinfo=UTC), -3.95, 128.45, 5.6))
    bmkg.split_bodies(0.1)
    status, body, headers = get(bmkg.base_url + "/gempaterkini.json")
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked" and "ETag" in headers
    assert json.loads(body)["Infogempa"]["gempa"][0]["Magnitude"] == "5.6"
