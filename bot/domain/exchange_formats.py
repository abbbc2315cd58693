"""Exchange formats, pure: an incident record -> CSV row, NENA-EIDO-shaped JSON, CAP 1.2 XML; CSV row -> fields.
Caller data is masked unless personal data was explicitly asked for."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from .privacy import phone_tail, show_phone

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) that sends data away);
# such a cell is written with a leading apostrophe, which spreadsheets show as text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def csv_safe(value: object) -> object:
    """One CSV cell as a spreadsheet may open it: text that would start a formula gets a leading ' (and text
    that already looks neutralised one more, so that `csv_unsafe` gives back exactly what was there)."""
    if not isinstance(value, str) or not value.lstrip("'").startswith(FORMULA_STARTS):
        return value
    if value.startswith("'") or not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_unsafe(value: str) -> str:
    """The cell as it was before `csv_safe` (for an export read back by the import)."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS) else value


def csv_safe_row(row: Mapping[str, object]) -> dict[str, object]:
    return {key: csv_safe(value) for key, value in row.items()}


CSV_COLUMNS = ["nomor", "waktu", "kategori", "jenis", "prioritas", "kecamatan", "kode_kecamatan", "kelurahan_desa",
               "kode_wilayah", "luar_kota", "alamat", "keterangan", "pelapor", "telepon", "lat", "lon", "status",
               "hasil", "ditutup", "instansi", "waktu_panggilan", "media"]
URGENCY = {"kritis": "Immediate", "tinggi": "Immediate", "sedang": "Expected", "rendah": "Future"}
SEVERITY = {"kritis": "Extreme", "tinggi": "Severe", "sedang": "Moderate", "rendah": "Minor"}


@dataclass(frozen=True)
class AgencyRecord:
    key: str
    name: str
    status: str
    acknowledged_at: datetime | None = None
    claimed_at: datetime | None = None
    arrived_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class EventRecord:
    at: datetime
    kind: str
    agency: str | None
    actor: str | None
    from_state: str | None
    to_state: str | None


@dataclass(frozen=True)
class MediaRecord:
    """One photo, video, voice note, audio or document of an incident (issue 13), as the exports show it."""

    kind: str
    mime_type: str
    size: int | None
    at: datetime
    by: str
    agency: str | None  # the agency whose evidence it is; None: the call center
    caption: str | None
    link: str | None  # a t.me/c link to the message, where Telegram has one


@dataclass(frozen=True)
class IncidentRecord:
    number: str
    created_at: datetime
    category: str
    category_label: str
    subtype: str | None
    subtype_label: str | None
    priority: str
    cap_category: str
    kecamatan: str | None
    kecamatan_code: str | None
    village: str | None
    village_code: str | None
    outside_city: bool
    address: str
    description: str
    caller_name: str | None
    caller_phone: str | None
    lat: float | None
    lon: float | None
    status: str
    outcome: str | None
    outcome_note: str | None
    duplicate_of: str | None
    closed_at: datetime | None
    confirmation: str | None
    agencies: list[AgencyRecord] = field(default_factory=list)
    timeline: list[EventRecord] = field(default_factory=list)
    called_at: datetime | None = None  # when the call that became this report came in (the call log)
    media: list[MediaRecord] = field(default_factory=list)


CALL_COLUMNS = ["waktu", "jenis", "telepon", "catatan", "nomor_laporan", "petugas"]


@dataclass(frozen=True)
class CallRecord:
    """One call of the call log (reports are calls of kind "darurat", with their number)."""

    called_at: datetime
    kind: str
    phone: str | None  # None once the retention removed it
    note: str | None
    number: str | None
    taken_by: str


def call_csv_row(record: CallRecord, tz: tzinfo, personal: bool) -> dict[str, str]:
    """Masked by default: the phone's last 3 digits and no note (a note may name the caller)."""
    phone = (show_phone(record.phone) if personal else phone_tail(record.phone)) if record.phone else ""
    return {"waktu": local(record.called_at, tz), "jenis": record.kind, "telepon": phone,
            "catatan": (record.note or "") if personal else "", "nomor_laporan": record.number or "",
            "petugas": record.taken_by}


def local(moment: datetime | None, tz: tzinfo) -> str:
    """2026-01-05T10:04:00+09:00: seconds, no fraction, the zone's offset (CAP requires this form)."""
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""


def _caller(record: IncidentRecord, personal: bool) -> tuple[str, str]:
    """Masked (the default, fit for any reader, leadership too): no name, the phone's last 3 digits only."""
    if personal:
        return record.caller_name or "", show_phone(record.caller_phone) if record.caller_phone else ""
    phone = phone_tail(record.caller_phone) if record.caller_phone else ""
    return ("(disamarkan)" if record.caller_name else ""), phone


def csv_row(record: IncidentRecord, tz: tzinfo, personal: bool) -> dict[str, str]:
    name, phone = _caller(record, personal)
    return {
        "nomor": record.number, "waktu": local(record.created_at, tz), "kategori": record.category,
        "jenis": record.subtype or "", "prioritas": record.priority, "kecamatan": record.kecamatan or "",
        "kode_kecamatan": record.kecamatan_code or "", "kelurahan_desa": record.village or "",
        "kode_wilayah": record.village_code or "", "luar_kota": "ya" if record.outside_city else "tidak",
        "alamat": record.address, "keterangan": record.description, "pelapor": name, "telepon": phone,
        "lat": "" if record.lat is None else f"{record.lat:.6f}",
        "lon": "" if record.lon is None else f"{record.lon:.6f}",
        "status": record.status, "hasil": record.outcome or "", "ditutup": local(record.closed_at, tz),
        "instansi": ";".join(a.key for a in record.agencies), "waktu_panggilan": local(record.called_at, tz),
        "media": str(len(record.media)),
    }


def eido(record: IncidentRecord, tz: tzinfo, personal: bool) -> dict[str, Any]:
    """An incident shaped after NENA EIDO (NENA-STA-021): incident, location, calls, agencies, timeline,
    disposition. Field names follow EIDO's where one exists; the rest are ours, in the same spirit."""
    name, phone = _caller(record, personal)
    return {
        "incidentTrackingIdentifier": record.number,
        "incidentStatus": "closed" if record.status == "closed" else "open",
        "lifecycleStatus": record.status,
        "incidentType": {"category": record.category, "categoryLabel": record.category_label,
                         "subtype": record.subtype, "subtypeLabel": record.subtype_label,
                         "capCategory": record.cap_category},
        "priority": record.priority,
        "createdTimestamp": local(record.created_at, tz),
        "location": {
            "civicAddress": {"country": "ID", "A1": "Maluku", "A2": "Kota Ambon" if not record.outside_city else None,
                             "A3": record.kecamatan, "A4": record.village,
                             "additionalLocationInformation": record.address},
            "locationCodes": {"kecamatan": record.kecamatan_code, "kelurahanDesa": record.village_code},
            "geo": {"latitude": record.lat, "longitude": record.lon} if record.lat is not None else None,
            "outsideCity": record.outside_city,
        },
        "notes": record.description,
        "calls": [{"callerName": name or None, "callerPhone": phone or None,
                   "callTimestamp": local(record.called_at, tz) or None}]
        if (name or phone or record.called_at) else [],
        "agencies": [{"agencyIdentifier": a.key, "agencyName": a.name, "status": a.status,
                      "acknowledgedTimestamp": local(a.acknowledged_at, tz) or None,
                      "dispatchedTimestamp": local(a.claimed_at, tz) or None,
                      "onSceneTimestamp": local(a.arrived_at, tz) or None,
                      "completedTimestamp": local(a.done_at, tz) or None} for a in record.agencies],
        "timeline": [{"timestamp": local(e.at, tz), "event": e.kind, "agency": e.agency, "actor": e.actor,
                      "from": e.from_state, "to": e.to_state} for e in record.timeline],
        "attachments": [{"attachmentType": m.kind, "mimeType": m.mime_type, "size": m.size,
                         "createdTimestamp": local(m.at, tz), "source": m.agency or "call_center",
                         "author": m.by if personal else None, "description": m.caption if personal else None,
                         "uri": m.link}
                        for m in record.media],
        "disposition": {"outcome": record.outcome, "note": record.outcome_note, "duplicateOf": record.duplicate_of,
                        "closedTimestamp": local(record.closed_at, tz) or None,
                        "callerConfirmation": record.confirmation},
    }


def cap_alert(record: IncidentRecord, tz: tzinfo, sender: str, personal: bool) -> bytes:
    """One CAP 1.2 alert (scope Restricted); element order as the schema fixes it."""
    ET.register_namespace("", CAP_NS)
    q = lambda tag: f"{{{CAP_NS}}}{tag}"  # noqa: E731
    alert = ET.Element(q("alert"))
    for tag, value in (("identifier", record.number), ("sender", sender), ("sent", local(record.created_at, tz)),
                       ("status", "Actual"), ("msgType", "Alert"), ("scope", "Restricted"),
                       ("restriction", "Untuk instansi penanganan darurat Kota Ambon"),
                       ("note", _note(record))):
        if value:
            ET.SubElement(alert, q(tag)).text = value
    info = ET.SubElement(alert, q("info"))
    place = ", ".join(p for p in (record.village, record.kecamatan, "Kota Ambon" if not record.outside_city else
                                  "luar Kota Ambon") if p)
    event = record.category_label + (f" / {record.subtype_label}" if record.subtype_label else "")
    name, phone = _caller(record, personal)
    for tag, value in (("language", "id-ID"), ("category", record.cap_category), ("event", event),
                       ("urgency", URGENCY.get(record.priority, "Unknown")),
                       ("severity", SEVERITY.get(record.priority, "Unknown")), ("certainty", "Observed"),
                       ("senderName", "Call Center 112 Kota Ambon"), ("headline", f"{event} — {place}"),
                       ("description", record.description),
                       ("contact", " ".join(p for p in (name, phone) if p))):
        if value:
            ET.SubElement(info, q(tag)).text = value
    for item in record.media:  # <resource> comes after the info's texts and before <area>, as the schema fixes
        resource = ET.SubElement(info, q("resource"))
        source = item.agency or "Call Center 112"
        description = f"{item.kind} {local(item.at, tz)} — {source}"
        if personal and item.caption:  # a caption is the sender's words: personal data may be in it
            description += f": {item.caption}"
        ET.SubElement(resource, q("resourceDesc")).text = description
        ET.SubElement(resource, q("mimeType")).text = item.mime_type
        if item.size is not None:
            ET.SubElement(resource, q("size")).text = str(item.size)
        if item.link:
            ET.SubElement(resource, q("uri")).text = item.link
    area = ET.SubElement(info, q("area"))
    ET.SubElement(area, q("areaDesc")).text = f"{record.address}, {place}"
    if record.lat is not None and record.lon is not None:
        ET.SubElement(area, q("circle")).text = f"{record.lat:.6f},{record.lon:.6f} 0.5"
    code = record.village_code or record.kecamatan_code
    if code:
        geocode = ET.SubElement(area, q("geocode"))
        ET.SubElement(geocode, q("valueName")).text = "kemendagri"
        ET.SubElement(geocode, q("value")).text = code
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def _note(record: IncidentRecord) -> str:
    if record.status != "closed":
        return ""
    duplicate = f" (duplikat dari {record.duplicate_of})" if record.duplicate_of else ""
    return f"Ditutup: {record.outcome or '-'}{duplicate}"
