"""Incident -> HTML text for Telegram. Every user-supplied string is cleaned and escaped here (through the
catalogue), and every text fits Telegram's limit, counted as Telegram does (domain/text.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..i18n import Catalogue, Html
from ..i18n.text import TEXT_LIMIT, clean, fit, head, plain_fit, utf16_len, visible, visible_len
from .callback_data import AgencyPress
from .lifecycle import IncidentStatus, TargetStatus, TargetView, buttons_for, decline_buttons_for
from .model import FIELD_ALIASES, Incident, Problem, Report
from .privacy import Audience, caller_text
from .rule_schemas import AgencyKind
from .ruleset import Rules

TELEGRAM_LIMIT = TEXT_LIMIT


def place_text(report: Report, tr: Catalogue, rules: Rules | None = None) -> str:
    """'Kel. Nusaniwe, Kec. Nusaniwe' vs 'Negeri Nusaniwe, Kec. Nusaniwe': the village's kind (from the gazetteer,
    by its code, when `rules` are given) tells two same-named villages apart."""
    parts: list[str] = []
    if report.outside_city:
        parts.append(tr("place_outside"))
    elif report.kecamatan:
        parts.append(tr("place_kecamatan", name=report.kecamatan))
    if report.village:
        parts.insert(0, _village_text(report, tr, rules))
    return ", ".join(parts)


def _village_text(report: Report, tr: Catalogue, rules: Rules | None) -> str:
    village = rules.gazetteer.village_by_code(report.village_code) if rules and report.village_code else None
    key = f"place_village.{village.jenis}" if village else ""
    return tr(key, name=village.name) if village and tr.has(key) else report.village or ""


def map_url(lat: float, lon: float) -> str:
    return f"https://www.google.com/maps?q={lat:.6f},{lon:.6f}"


def format_time(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d-%m-%Y %H.%M")  # EYD V: 04.49 WIT


@dataclass(frozen=True)
class DeskUpdate:
    """The latest `/kabari` of the call center: what every card shows under its agencies' steps."""

    text: str
    at: datetime
    by: str


UPDATE_SHOWN = 300


def render_card(incident: Incident, rules: Rules, tr: Catalogue, tz: tzinfo, *, audience: Audience,
                targets: list[TargetView] | None = None, update: DeskUpdate | None = None,
                media: str | None = None) -> Html:
    """The group post of an incident with every agency's progress; the caller as `audience` may see them.
    User text is cut (description first) so the whole stays under Telegram's limit."""
    status = _status_block(incident, targets or [], tr, tz)
    if update is not None:
        status += "\n" + tr("card_update", time=format_time(update.at, tz),
                             text=plain_fit(clean(update.text, one_line=True), UPDATE_SHOWN),
                             name=plain_fit(clean(update.by, one_line=True), NAME_SHOWN))
    if media:  # '📷 3 · 🎥 1': the photos, videos and voice notes of the incident (issue 13)
        status += "\n" + tr("card_media", count=media)
    description = clean(incident.report.description)
    top = _card(incident, description, rules, tr, tz, audience)
    over = visible_len(top) + visible_len(status) - TEXT_LIMIT
    if over > 0:  # the description gives way first (one pass: its visible length is known exactly)
        marker = visible(tr("card_truncated"))
        description = head(description, utf16_len(description) - over - utf16_len(marker)).rstrip() + marker
        top = _card(incident, description, rules, tr, tz, audience)
        # Other fields too long as well: they give way, cut tag-safe, so that every agency's line stays whole.
        top = Html(fit(top, max(TEXT_LIMIT // 2, TEXT_LIMIT - visible_len(status))))
    return Html(fit(top + status))


STEP_KEYS = {TargetStatus.PENDING: "step_pending", TargetStatus.ACKNOWLEDGED: "step_acknowledged",
             TargetStatus.CLAIMED: "step_claimed", TargetStatus.ON_SCENE: "step_on_scene",
             TargetStatus.DONE: "step_done", TargetStatus.DECLINED: "step_declined",
             TargetStatus.NO_UNIT: "step_no_unit", TargetStatus.RELEASED: "step_released"}
NOTE_SHOWN = 60
NAME_SHOWN = 40  # a person's name on a status line (Telegram allows 129 characters; a line must stay short)


def target_line(target: TargetView, tr: Catalogue, tz: tzinfo) -> Html:
    """'Damkar: 🚗 berangkat 10.04 (Budi) — OTW 2 unit'"""
    when = target.at.astimezone(tz).strftime("%H.%M") if isinstance(target.at, datetime) else ""
    name: str = plain_fit(clean(target.by or "", one_line=True), NAME_SHOWN)
    if target.by_desk:  # in the reader's language, at render time: "dicatat Call Center: Rina"
        name = tr("catat_by", name=name)
    step = tr(STEP_KEYS[target.status], time=when, name=name)
    note = ""
    if target.note:
        # One line, short: a note must not be able to add a line (a forged status line) to the card.
        note = tr("step_note", note=plain_fit(clean(target.note, one_line=True), NOTE_SHOWN))
    return tr("target_line", agency=target.agency_name, step=Html(step), note=Html(note))


def _status_block(incident: Incident, targets: list[TargetView], tr: Catalogue, tz: tzinfo) -> str:
    lines = [tr("card_status_header")] + [target_line(t, tr, tz) for t in targets] if targets else []
    if incident.status == IncidentStatus.AWAITING_CONFIRMATION:
        lines.append(tr("card_awaiting_confirmation"))
    if incident.status == IncidentStatus.CLOSED:
        when = format_time(incident.closed_at, tz) if incident.closed_at else ""
        outcome = tr(f"outcome.{incident.outcome}") if incident.outcome else ""
        if incident.duplicate_of:
            outcome = Html(outcome + " " + tr("outcome_duplicate_of", number=incident.duplicate_of))
        name = plain_fit(clean(incident.closed_by_name or "", one_line=True), NAME_SHOWN)
        lines.append(tr("card_closed", outcome=outcome, name=name, time=when))
    return ("\n\n" + "\n".join(lines)) if lines else ""


def card_buttons(incident: Incident, kind: AgencyKind | None, status: TargetStatus | None) -> list[tuple[str, str]]:
    """(catalogue key, callback data) of the step buttons on one agency's copy; none for readers."""
    if kind != AgencyKind.RESPONDER or status is None:
        return []
    actions = buttons_for(status, incident.status)
    return [(f"btn_{a.value}", AgencyPress(incident.id, a.value).encode()) for a in actions]


def card_decline_buttons(incident: Incident, kind: AgencyKind | None,
                         status: TargetStatus | None) -> list[tuple[str, str]]:
    """(catalogue key, callback data) of 🚫 Bukan wewenang and ⏸ Tidak ada unit on a responder's copy."""
    if kind != AgencyKind.RESPONDER or status is None:
        return []
    return [(f"btn_{a.value}", AgencyPress(incident.id, a.value).encode())
            for a in decline_buttons_for(status, incident.status)]


def _card(incident: Incident, description: str, rules: Rules, tr: Catalogue, tz: tzinfo,
          audience: Audience) -> Html:
    r = incident.report
    prio = rules.priorities[r.priority]
    lines = [
        # Priority, category and place first: a phone's lock-screen preview shows only the first line or two.
        tr("card_title", emoji=prio.emoji, number=incident.number, priority=prio.label.upper(),
           category=rules.category_label(r.category, r.subtype), place=place_text(r, tr, rules)),
        tr("card_address", address=r.address),
    ]
    if r.origin or r.destination:
        lines.append(tr("card_hearse", origin=r.origin or "-", destination=r.destination or "-"))
    if r.lat is not None and r.lon is not None:
        lines.append(tr("card_map", url=map_url(r.lat, r.lon), lat=f"{r.lat:.5f}", lon=f"{r.lon:.5f}"))
    lines += [
        tr("card_time", time=format_time(incident.created_at, tz)),
        tr("card_description", description=description),
        tr("card_caller", caller=caller_text(r, audience, tr)),
        tr("card_by", name=incident.created_by_name),
    ]
    return Html("\n".join(lines))


def render_problems(problems: list[Problem], tr: Catalogue) -> Html:
    lines = []
    for problem in problems:
        params: dict[str, object] = dict(problem.params)
        if "field" in params:
            params["field"] = tr(f"field.{params['field']}")
        params["suggest"] = tr("suggest", suggestions=params["suggestions"]) if params.get("suggestions") else ""
        lines.append("• " + tr(f"problem.{problem.code}", **params))
    return Html("\n".join(lines))


def render_fields(fields: dict[str, str], tr: Catalogue) -> Html:
    """A draft's fields as `key: value` lines, in template order, values shortened for display."""
    lines = []
    for name in FIELD_ALIASES:
        if fields.get(name):
            value = fields[name] if len(fields[name]) <= 300 else fields[name][:300] + "…"
            lines.append(tr("draft_line", field=tr(f"field.{name}"), value=value))
    return Html("\n".join(lines) or tr("none"))


def cut(text: str, limit: int = TEXT_LIMIT) -> Html:
    """An HTML text (lists, summaries, timelines) cut to Telegram's limit, at a line break where possible."""
    return Html(fit(text, limit))


def render_digest(incidents: list[Incident], rules: Rules, tr: Catalogue, tz: tzinfo, actionable: bool) -> Html:
    """Many new reports at once, one line each: number, time, category, place, priority (a surge). `actionable`:
    a responder's group, with a ✅ button per report."""
    lines = [tr("digest_title", count=len(incidents))]
    for incident in incidents:
        r = incident.report
        lines.append(tr("digest_line", emoji=rules.priorities[r.priority].emoji, number=incident.number,
                        time=incident.created_at.astimezone(tz).strftime("%H.%M"),
                        category=rules.category_label(r.category, r.subtype), place=place_text(r, tr, rules)))
    lines.append(tr("digest_footer" if actionable else "digest_footer_watch"))
    return Html(cut("\n".join(lines)))
