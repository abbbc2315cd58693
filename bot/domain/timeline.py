"""An incident's history and the open list, as text (pure: events and times come in, HTML goes out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ..i18n import Catalogue, Html
from ..i18n.text import TEXT_LIMIT, fit, visible_len
from .media import count_line
from .render import cut

_TME = re.compile(r"^https://t\.me/c/\d+/\d+$")


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    actor_name: str | None
    agency_name: str | None
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


def entry_line(entry: Entry, tr: Catalogue, tz: tzinfo, priority_label: dict[str, str]) -> Html:
    time = entry.at.astimezone(tz).strftime("%d-%m %H.%M")
    params: dict[str, object] = {"time": time, "name": entry.actor_name or "-", "agency": entry.agency_name or "-",
                                 "kind": entry.kind}
    if entry.detail.get("by_desk"):  # recorded by the call center for the agency (/catat)
        params["name"] = tr("catat_by", name=entry.actor_name or "-")
    if entry.kind == "step" and entry.to_state:
        params["step"] = tr(f"step_word.{entry.to_state}")
    if entry.kind in ("note", "comment", "update", "hearse_sop_override", "released"):
        params["note"] = entry.detail.get("note", "")
    if entry.kind == "closed":
        params["outcome"] = tr(f"outcome.{entry.detail.get('outcome')}") if entry.detail.get("outcome") else "-"
    if entry.kind == "priority":
        params["before"] = priority_label.get(entry.from_state or "", entry.from_state or "-")
        params["after"] = priority_label.get(entry.to_state or "", entry.to_state or "-")
    if entry.kind == "media":  # issue 13: what came, and a link to each item where Telegram has one
        params["what"] = count_line(str(k) for k in entry.detail.get("kinds", []))
        params["links"] = Html(" ".join(f'<a href="{url}">[{n}]</a>' for n, url in
                                        enumerate(entry.detail.get("links", []), 1) if _TME.match(str(url))))
        params["agency"] = entry.agency_name or tr("media_desk")
    if entry.kind == "caller_confirmation":
        params["result"] = tr(f"confirm_result.{entry.to_state}")
    if entry.kind == "edited":
        params["changes"] = _changes(entry.detail.get("changes") or [], tr)
    key = f"tl.{entry.kind}" if tr.has(f"tl.{entry.kind}") else "tl.other"
    return tr(key, **params)


def _changes(changes: list[Any], tr: Catalogue) -> Html:
    """/ubah: 'alamat: Jl. A → Jl. B; telepon diubah' (the caller's values are never kept)."""
    parts = []
    for field, before, after in changes:
        label = tr(f"field.{field}") if tr.has(f"field.{field}") else str(field)
        parts.append(tr("tl_change_private", field=label) if before is None and after is None
                     else tr("tl_change", field=label, before=before or "-", after=after or "-"))
    return Html("; ".join(parts))


def render_timeline(number: str, card: Html, entries: list[Entry], tr: Catalogue, tz: tzinfo,
                    priority_label: dict[str, str]) -> str:
    lines = [tr("timeline_header", number=number)] + [entry_line(e, tr, tz, priority_label) for e in entries]
    history = "\n".join(lines)
    # A long card gives way (down to half the message) so that the history, what /status is asked for, shows.
    card = Html(fit(card, TEXT_LIMIT - min(visible_len(history) + 2, TEXT_LIMIT // 2)))
    return cut(card + "\n\n" + history)


def age_text(created_at: datetime, now: datetime, tr: Catalogue) -> Html:
    minutes = max(0, int((now - created_at).total_seconds() // 60))
    if minutes < 60:
        return tr("age_minutes", n=minutes)
    return tr("age_hours", h=minutes // 60, m=minutes % 60)


@dataclass(frozen=True)
class ActiveItem:
    number: str
    category: str
    place: str
    created_at: datetime
    status: str
    silent: list[str]  # agencies that have not responded yet


def active_lines(items: list[ActiveItem], tr: Catalogue, now: datetime) -> Html:
    """/aktif and the handover: each open incident with its age and the agencies still silent."""
    if not items:
        return tr("active_none")
    lines = [tr("active_header", count=len(items))]
    for item in items:
        silent = tr("active_silent", agencies=", ".join(item.silent)) if item.silent else ""
        state = tr("active_waiting") if item.status == "awaiting_confirmation" else ""
        lines.append(tr("active_line", number=item.number, category=item.category, place=item.place,
                        age=age_text(item.created_at, now, tr), state=state, silent=silent))
    return Html(cut("\n".join(lines)))
