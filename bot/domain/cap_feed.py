"""BMKG's weather warnings as CAP 1.2 alerts, and the lists (RSS or Atom) that link them: any bytes to a warning,
a list of links, or a clean problem; which warning is posted. Pure: the time is a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from .bmkg import MAX_BODY, FeedProblem, names_any

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
TEXT_MAX = 800  # longest description kept (the notice must fit one message)
LINKS_MAX = 50  # links followed per list: those whose item names a place of ours first, then the rest


@dataclass(frozen=True)
class CapWarning:
    identifier: str
    sent: datetime | None
    expires: datetime | None
    event: str
    headline: str
    description: str
    areas: tuple[str, ...]
    severity: str


def parse_document(body: bytes, places: Sequence[str] = ()) -> CapWarning | list[str] | FeedProblem:
    """A CAP alert, or the links of an RSS / Atom list of alerts (those whose item names one of `places` first), or
    why neither."""
    if len(body) > MAX_BODY:
        return FeedProblem("too_large", f"{len(body)} bytes")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError, RecursionError) as exc:
        return FeedProblem("malformed", f"not XML: {type(exc).__name__}")
    name = _local(root.tag)
    if name == "alert":
        return _warning(root)
    if name in ("rss", "feed", "RDF"):
        return _links(root, places)
    return FeedProblem("malformed", f"unexpected <{name[:40]}>")


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node if _local(child.tag) == name]


def _text(node: Element | None, name: str, limit: int = 300) -> str:
    found = next(iter(_children(node, name)), None) if node is not None else None
    text = found.text if found is not None and isinstance(found.text, str) else ""
    return " ".join(text.split())[:limit]


def _warning(root: Element) -> CapWarning | FeedProblem:
    identifier = _text(root, "identifier", 200)
    infos = _children(root, "info")
    if not identifier or not infos:
        return FeedProblem("malformed", "CAP alert without identifier or info")
    info = next((i for i in infos if _text(i, "language").lower().startswith("id")), infos[0])
    areas = tuple(a for area in _children(info, "area") if (a := _text(area, "areaDesc", 500)))
    return CapWarning(identifier, _time(_text(root, "sent")), _time(_text(info, "expires")), _text(info, "event"),
                      _text(info, "headline"), _text(info, "description", TEXT_MAX), areas, _text(info, "severity"))


def _links(root: Element, places: Sequence[str]) -> list[str]:
    """The link of every item (RSS) or entry (Atom); the channel's own link is the site, not an alert. BMKG lists
    the whole country's warnings (often more than LINKS_MAX): the items whose title, description or area names one
    of `places` come first, so that the cut never drops one of ours."""
    ours: list[str] = []
    others: list[str] = []
    for item in root.iter():
        if _local(item.tag) not in ("item", "entry"):
            continue
        words = " ".join(" ".join(child.itertext())[:2000] for child in item if _local(child.tag) != "link")
        for node in _children(item, "link")[:1]:
            link = (node.get("href") or node.text or "").strip()
            if link.startswith(("http://", "https://")) and len(link) <= 500 and link not in ours + others:
                (ours if names_any(words, list(places)) else others).append(link)
    return (ours + others)[:LINKS_MAX]


def _time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def concerns(warning: CapWarning, places: list[str], now: datetime) -> bool:
    """A warning still in force whose area names one of the places."""
    if warning.expires is not None and warning.expires <= now:
        return False
    return any(names_any(area, places) for area in warning.areas)
