"""`/ubah <nomor>` with `kunci: nilai` lines: the desk corrects a filed report (the same keys and checks as
/lapor), every copy of its card is re-rendered, and the timeline keeps each field's old -> new value (the
caller's name and phone only as "changed": the timeline is shown to leaders too). The category is not
changed here — that would route the report elsewhere; the desk adds (/tambah) or releases (/lepas) agencies."""

from __future__ import annotations

from datetime import datetime

from ..db import models as db
from ..domain.form import OUTSIDE
from ..domain.model import Report
from ..domain.parsing import has_known_key, parse_fields, unknown_village, validate
from ..domain.render import render_problems
from ..i18n import Html
from . import deliveries, followups
from .context import Actor, Services
from .desk import DeskResult, _gated_incident

# Fields the desk may correct; the caller's are recorded as changed, never with their values.
EDITABLE = ("kecamatan", "kelurahan", "alamat", "keterangan", "pelapor", "telepon", "koordinat", "prioritas",
            "asal", "tujuan")
PRIVATE = frozenset({"pelapor", "telepon"})
ROUTED = frozenset({"kategori", "jenis"})
SHOWN = 80  # characters of an old or new value kept in the timeline


def current_fields(incident: db.Incident) -> dict[str, str]:
    """The filed report as form fields (keys and codes, which the form's parser accepts as typed)."""
    fields = {
        "kategori": incident.category, "jenis": incident.subtype or "",
        "kecamatan": OUTSIDE if incident.outside_city else incident.kecamatan or "",
        "kelurahan": incident.village_code or incident.village or "", "alamat": incident.address,
        "keterangan": incident.description, "pelapor": incident.caller_name or "",
        "telepon": incident.caller_phone or "", "prioritas": incident.priority,
        "koordinat": f"{incident.lat}, {incident.lon}" if incident.lat is not None and incident.lon is not None else "",
        "asal": incident.origin or "", "tujuan": incident.destination or ""}
    return {k: v for k, v in fields.items() if v}


def shown_values(report: Report) -> dict[str, str]:
    """What a person reads for each editable field of a report (compared to find what changed)."""
    coords = f"{report.lat:.5f}, {report.lon:.5f}" if report.lat is not None and report.lon is not None else ""
    return {"kecamatan": OUTSIDE if report.outside_city else report.kecamatan or "",
            "kelurahan": report.village or "", "alamat": report.address, "keterangan": report.description,
            "pelapor": report.caller_name or "", "telepon": report.caller_phone or "", "koordinat": coords,
            "prioritas": report.priority, "asal": report.origin or "", "tujuan": report.destination or ""}


def _apply(incident: db.Incident, report: Report, now: datetime) -> None:
    incident.kecamatan, incident.kecamatan_code = report.kecamatan, report.kecamatan_code
    incident.village, incident.village_code, incident.outside_city = report.village, report.village_code, \
        report.outside_city
    incident.address, incident.description = report.address, report.description
    incident.caller_name, incident.caller_phone = report.caller_name, report.caller_phone
    incident.lat, incident.lon, incident.priority = report.lat, report.lon, report.priority
    incident.origin, incident.destination, incident.updated_at = report.origin, report.destination, now


def _first_line_keyed(text: str) -> bool:
    """Every line of a correction belongs to a key: a first line without one would land in the description."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return has_known_key(first)


async def edit_report(services: Services, actor: Actor, chat_id: int, private: bool, number: str, text: str,
                      now: datetime) -> DeskResult:
    """/ubah <nomor> + `kunci: nilai` lines: the changed fields, checked as at intake, on every copy."""
    changes = parse_fields(text) if _first_line_keyed(text) else {}
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if not changes:
            return DeskResult("usage.ubah", {})
        if ROUTED & changes.keys():
            return DeskResult("ubah_no_category", {"number": incident.number})
        fields = current_fields(incident)
        if "kecamatan" in changes and "kelurahan" not in changes:
            fields.pop("kelurahan", None)  # a village of the old kecamatan no longer applies
        fields.update(changes)
        old = validate(current_fields(incident), services.rules)
        new = validate(fields, services.rules)
        if isinstance(new, list):
            return DeskResult("ubah_problems", {"number": incident.number,
                                                "problems": render_problems(new, services.tr)})
        before = shown_values(old) if not isinstance(old, list) else {}
        after = shown_values(new)
        changed = [f for f in EDITABLE if before.get(f, "") != after[f]]
        if not changed:
            return DeskResult("ubah_nothing", {"number": incident.number})
        _apply(incident, new, now)
        uow.repo.event(now, "edited", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, detail={"changes": [
                           [f, None, None] if f in PRIVATE else [f, before.get(f, "")[:SHOWN], after[f][:SHOWN]]
                           for f in changed]})
        await followups.hasten(uow, services, incident)  # a raised priority speeds up the waiting chase
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        warning = Html("\n" + services.tr("lapor_unknown_village", value=new.village or "")) \
            if unknown_village(new) and "kelurahan" in changed else ""
        return DeskResult("ubah_done", {
            "number": incident.number, "fields": ", ".join(str(services.tr(f"field.{f}")) for f in changed),
            "warning": warning})
