"""The live board of a group: every open report by priority with its age, place, category and the agencies that
have not acted; the day's counts; the oldest unanswered report. Pure: the state and the moment are parameters.
Never any caller data; the call center (Audience.DESK) also sees the address. Always within Telegram's limit:
what does not fit is counted in a last "… and N more" line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..i18n import Catalogue, Html
from ..i18n.text import TEXT_LIMIT, clean, plain_fit, visible_len
from .model import Incident
from .privacy import Audience
from .render import place_text
from .ruleset import Rules
from .timeline import age_text

ADDRESS_SHOWN = 80
# Room kept for the last "… and N more" line.
MORE_ROOM = 60


@dataclass(frozen=True)
class BoardEntry:
    """An open report as the board shows it: the agencies (names) that have not acted on it yet."""

    incident: Incident
    silent: tuple[str, ...]


@dataclass(frozen=True)
class DayCounts:
    new: int
    closed: int
    open: int


def oldest_unanswered(entries: list[BoardEntry]) -> BoardEntry | None:
    """The open report waiting longest for an agency that has not acted."""
    waiting = [e for e in entries if e.silent]
    return min(waiting, key=lambda e: e.incident.created_at) if waiting else None


def ordered(entries: list[BoardEntry], rules: Rules) -> list[BoardEntry]:
    """Most urgent priority first, then the oldest first."""
    def rank(entry: BoardEntry) -> tuple[int, datetime]:
        prio = rules.priorities.get(entry.incident.report.priority)
        return (prio.rank if prio else 99, entry.incident.created_at)
    return sorted(entries, key=rank)


def entry_text(entry: BoardEntry, rules: Rules, tr: Catalogue, now: datetime, audience: Audience) -> str:
    r = entry.incident.report
    prio = rules.priorities.get(r.priority)
    line: str = tr("board_line", emoji=prio.emoji if prio else "", number=entry.incident.number,
              age=age_text(entry.incident.created_at, now, tr), category=rules.category_label(r.category, r.subtype),
              place=place_text(r, tr, rules) or "-")
    if audience == Audience.DESK and r.address:
        line += "\n" + tr("board_address", address=plain_fit(clean(r.address, one_line=True), ADDRESS_SHOWN))
    if entry.incident.status == "awaiting_confirmation":
        line += "\n" + tr("board_awaiting")
    elif entry.silent:
        line += "\n" + tr("board_silent", agencies=", ".join(entry.silent))
    return line


def render_board(entries: list[BoardEntry], counts: DayCounts, rules: Rules, tr: Catalogue, tz: tzinfo,
                 now: datetime, audience: Audience, unread: Mapping[str, int] | None = None) -> Html:
    """`entries`: the most urgent open reports; `unread`: per priority, how many more are open (not read)."""
    unread = unread or {}
    head = [tr("board_title", time=now.astimezone(tz).strftime("%H.%M")),
            tr("board_counts", new=counts.new, closed=counts.closed, open=counts.open)]
    oldest = oldest_unanswered(entries)
    if oldest is not None:
        head.append(tr("board_oldest", number=oldest.incident.number,
                       age=age_text(oldest.incident.created_at, now, tr), agencies=", ".join(oldest.silent)))
    if not entries:
        head.append(tr("board_none"))
        return Html("\n".join(head))
    text = "\n".join(head)
    room = TEXT_LIMIT - MORE_ROOM - visible_len(text)
    current_priority: str | None = None
    shown = 0
    items = ordered(entries, rules)
    for entry in items:
        block = ""
        priority = entry.incident.report.priority
        if priority != current_priority:
            prio = rules.priorities.get(priority)
            count = sum(1 for e in items if e.incident.report.priority == priority) + unread.get(priority, 0)
            block += "\n\n" + tr("board_priority", emoji=prio.emoji if prio else "",
                                 label=(prio.label if prio else priority).upper(), count=count)
        block += "\n" + entry_text(entry, rules, tr, now, audience)
        size = visible_len(block)
        if size > room:
            break
        room -= size
        text += block
        current_priority = priority
        shown += 1
    if (more := len(items) - shown + sum(unread.values())) > 0:
        text += "\n" + tr("board_more", count=more)
    return Html(text)


def open_list(entries: list[BoardEntry], rules: Rules, tr: Catalogue, now: datetime, limit: int,
              unread: Mapping[str, int] | None = None) -> Html:
    """The reports still open, most urgent first, within `limit` (visible UTF-16 units): the daily recap's list.
    `unread`: per priority, how many more are open than `entries` holds."""
    unread = unread or {}
    if not entries:
        return tr("board_none")
    text = str(tr("recap_open_title", count=len(entries) + sum(unread.values())))
    room = limit - MORE_ROOM - visible_len(text)
    shown = 0
    items = ordered(entries, rules)
    for entry in items:
        block = "\n" + entry_text(entry, rules, tr, now, Audience.OVERSIGHT)
        if visible_len(block) > room:
            break
        room -= visible_len(block)
        text += block
        shown += 1
    if (more := len(items) - shown + sum(unread.values())) > 0:
        text += "\n" + tr("board_more", count=more)
    return Html(text)
