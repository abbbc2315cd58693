"""BMKG's CAP warnings and their lists: any bytes give a warning, links or a clean problem; which warning is posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.bmkg import FeedProblem
from bot.domain.cap_feed import CapWarning, concerns, parse_document
from bot.sandbox.fake_bmkg import cap_alert

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
PLACES = ["Kota Ambon", "Ambon", "Nusaniwe"]


def alert(area: str, expires: datetime = NOW + timedelta(hours=2)) -> bytes:
    return cap_alert("CJH20261129001", NOW, expires, area, "Hujan lebat disertai kilat", "Hujan Lebat",
                     "Hujan lebat dapat terjadi di Kota Ambon & sekitarnya").encode()


def test_a_cap_alert_is_read_with_its_identifier_expiry_and_areas() -> None:
    warning = parse_document(alert("Kota Ambon, Maluku Tengah"))
    assert isinstance(warning, CapWarning)
    assert warning.identifier == "CJH20261129001" and warning.expires == NOW + timedelta(hours=2)
    assert warning.areas == ("Kota Ambon, Maluku Tengah",) and warning.event == "Hujan Lebat"
    assert "&" in warning.description


def test_a_warning_for_ambon_in_force_is_posted_and_others_are_not() -> None:
    def warned(area: str, expires: datetime = NOW + timedelta(hours=2)) -> bool:
        warning = parse_document(alert(area, expires))
        assert isinstance(warning, CapWarning)
        return concerns(warning, PLACES, NOW)

    assert warned("Kota Ambon") and warned("Nusaniwe, Leihitu")
    assert not warned("Kab. Buru") and not warned("Ambonia")
    assert not warned("Kota Ambon", NOW - timedelta(minutes=1))


def test_an_rss_list_gives_the_links_of_its_items_not_of_the_site() -> None:
    rss = (b'<rss version="2.0"><channel><link>https://www.bmkg.go.id</link>'
           b"<item><link>https://example.org/a.xml</link></item><item><link>javascript:x</link></item>"
           b"<item><link>https://example.org/b.xml</link></item></channel></rss>")
    assert parse_document(rss) == ["https://example.org/a.xml", "https://example.org/b.xml"]


def test_hostile_xml_is_a_problem_not_an_expansion() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<alert>&lol2;</alert>")
    assert isinstance(parse_document(bomb), FeedProblem)
    assert isinstance(parse_document(b"<html>maintenance</html>"), FeedProblem)
    assert isinstance(parse_document(b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>"), FeedProblem)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_warning_links_or_a_problem(body: bytes) -> None:
    assert isinstance(parse_document(body), CapWarning | list | FeedProblem)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=40))
def test_any_text_in_a_cap_alert_gives_a_warning_or_a_problem(identifier: str, area: str, expires: str) -> None:
    body = alert(area).replace(b"CJH20261129001", identifier.encode("utf-8", "replace").replace(b"<", b"")
                               .replace(b"&", b""))
    body = body.replace(b"<expires>", b"<expires>" + expires.encode("utf-8", "replace").replace(b"<", b"")
                        .replace(b"&", b"") + b"<x/>")
    result = parse_document(body)
    assert isinstance(result, CapWarning | FeedProblem)
    if isinstance(result, CapWarning):
        assert isinstance(concerns(result, PLACES, NOW), bool)


def test_a_warning_for_maluku_beyond_the_fiftieth_item_of_a_countrywide_list_is_still_read() -> None:
    items = "".join(f"<item><title>Hujan lebat di Provinsi {i}</title><description>Kab. Lain {i}</description>"
                    f"<link>https://example.org/{i}.xml</link></item>" for i in range(80))
    items += ("<item><title>Hujan lebat disertai kilat</title><description>Kota Ambon, Maluku Tengah</description>"
              "<link>https://example.org/ambon.xml</link></item>")
    rss = f'<rss version="2.0"><channel>{items}</channel></rss>'.encode()
    links = parse_document(rss, ["Kota Ambon", "Maluku"])
    assert isinstance(links, list) and len(links) == 50 and links[0] == "https://example.org/ambon.xml"
    assert parse_document(rss)[0] == "https://example.org/0.xml"  # type: ignore[index]
