"""Exports (CSV, EIDO-shaped JSON, CAP 1.2) and the all-or-nothing CSV import of historical reports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.exchange_formats import AgencyRecord, CallRecord, EventRecord, IncidentRecord, MediaRecord, csv_unsafe
from ..domain.lifecycle import CloseOutcome, IncidentStatus, TargetStatus
from ..domain.media import MediaKind, chat_link
from ..domain.model import Problem, Report, incident_number, parse_number
from ..domain.parsing import normalise_phone, validate
from ..domain.periods import Period
from ..domain.rule_schemas import AgencyKind
from .context import Services


async def records(services: Services, period: Period, with_timeline: bool = True) -> list[IncidentRecord]:
    rules = services.rules
    async with services.db.uow() as uow:
        rows = await uow.repo.incidents_between(period.start, period.end)
        targets = await uow.repo.targets_of([r.id for r in rows])
        events = await uow.repo.events_of([r.id for r in rows]) if with_timeline else []
        called_at = await uow.repo.called_at_of([r.id for r in rows])
        media: dict[int, list[MediaRecord]] = {}
        for m in await uow.repo.media_of([r.id for r in rows]):
            if m.kind == MediaKind.LOCATION:  # a location is in the timeline, not a file
                continue
            media.setdefault(m.incident_id or 0, []).append(MediaRecord(
                m.kind, m.mime, m.file_size, m.at, m.by_name, rules.agency_name(m.agency_key) if m.agency_key
                else None, m.caption, chat_link(m.source_chat_id, m.source_message_id)))
    by_incident: dict[int, list[db.IncidentTarget]] = {}
    for t in targets:
        by_incident.setdefault(t.incident_id, []).append(t)
    timeline: dict[int, list[db.Event]] = {}
    for e in events:
        timeline.setdefault(e.incident_id or 0, []).append(e)
    result = []
    for r in rows:
        cat = rules.categories[r.category]
        agencies = [AgencyRecord(t.agency_key, rules.agency_name(t.agency_key), t.status, t.acknowledged_at,
                                 t.claimed_at, t.arrived_at, t.done_at) for t in by_incident.get(r.id, [])]
        entries = [EventRecord(e.at, e.kind, rules.agency_name(e.agency_key) if e.agency_key else None,
                               e.actor_name, e.from_state, e.to_state) for e in timeline.get(r.id, [])]
        result.append(IncidentRecord(
            r.number, r.created_at, r.category, cat.label, r.subtype,
            cat.subtypes[r.subtype].label if r.subtype and r.subtype in cat.subtypes else None, r.priority,
            r.cap_category, r.kecamatan, r.kecamatan_code, r.village, r.village_code, r.outside_city, r.address,
            r.description, r.caller_name, r.caller_phone, r.lat, r.lon, r.status, r.outcome, r.outcome_note,
            r.duplicate_of, r.closed_at, r.confirmation, agencies, entries, called_at.get(r.id),
            media.get(r.id, [])))
    return result


async def call_records(services: Services, period: Period) -> list[CallRecord]:
    """The call log of a period, reports included (kind "darurat")."""
    async with services.db.uow() as uow:
        return await uow.repo.calls_between(period.start, period.end)


async def record_personal_export(services: Services, admin_id: int, what: str, now: datetime) -> None:
    """Personal data left the system: who asked, when, what. Kept in the audit trail."""
    async with services.db.uow() as uow:
        uow.repo.event(now, "personal_data_export", actor_id=admin_id, detail={"export": what})
        await uow.commit()


# import -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str | None
    created_at: datetime
    fields: dict[str, str]
    status: str
    outcome: str | None
    closed_at: datetime | None
    agencies: list[str]


class ImportError_(Exception):
    """Rows that cannot be imported, each with its line number; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_csv(services: Services, text: str) -> list[ImportRow]:
    """Check every row first; a file with any bad row imports nothing."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"waktu", "kategori", "kecamatan"} - set(reader.fieldnames or [])
    if missing:
        raise ImportError_([f"baris 1: kolom wajib tidak ada: {', '.join(sorted(missing))}"])
    rows, problems, seen = [], [], set()
    for row in reader:
        line = reader.line_num
        try:
            parsed = _row(services, row, line)
        except ValueError as exc:
            problems.append(f"baris {line}: {exc}")
            continue
        if parsed.number and parsed.number in seen:
            problems.append(f"baris {line}: nomor {parsed.number} muncul dua kali dalam berkas")
        seen.add(parsed.number)
        rows.append(parsed)
    if problems:
        raise ImportError_(problems)
    return rows


def _row(services: Services, row: dict[str, str], line: int) -> ImportRow:
    get = lambda key: csv_unsafe((row.get(key) or "").strip())  # noqa: E731
    number = get("nomor") or None
    if number:
        parsed = parse_number(number)
        if parsed is None or parsed[0] is None or not number.startswith("112-"):
            raise ValueError(f"nomor '{number}' harus berbentuk 112-YYYY-NNNNN")
        number = incident_number(parsed[0], parsed[1])
    try:
        created = datetime.fromisoformat(get("waktu"))
    except ValueError as exc:
        raise ValueError(f"waktu '{get('waktu')}' tidak sah (contoh 2026-01-05T10:04:00+09:00)") from exc
    if created.tzinfo is None:
        created = created.replace(tzinfo=services.tz)
    kecamatan = "luar Kota Ambon" if get("luar_kota").lower() in ("ya", "yes", "1", "true") else get("kecamatan")
    fields = {"kategori": get("kategori"), "jenis": get("jenis"), "kecamatan": kecamatan,
              "kelurahan": get("kode_wilayah") or get("kelurahan_desa"), "alamat": get("alamat") or "-",
              "keterangan": get("keterangan") or "-", "pelapor": get("pelapor"), "prioritas": get("prioritas")}
    phone = get("telepon")
    if phone and "*" not in phone:
        if normalise_phone(phone) is None:
            raise ValueError(f"telepon '{phone}' tidak sah")
        fields["telepon"] = phone
    if get("lat") and get("lon"):
        fields["koordinat"] = f"{get('lat')}, {get('lon')}"
    fields = {k: v for k, v in fields.items() if v}
    if services.rules.categories.get(fields.get("kategori", ""), None) and services.rules.category(
            fields["kategori"]).hearse_sop:
        fields.setdefault("asal", "rumah duka")  # historical hearse rows carry no route
        fields.setdefault("tujuan", "pemakaman")
    result = validate(fields, services.rules)
    if isinstance(result, list):
        raise ValueError("; ".join(_problem_text(p) for p in result))
    status = get("status") or IncidentStatus.CLOSED
    if status not in {s.value for s in IncidentStatus}:
        raise ValueError(f"status '{status}' tidak dikenal")
    outcome = get("hasil") or (CloseOutcome.HANDLED if status == IncidentStatus.CLOSED else None)
    if outcome and outcome not in {o.value for o in CloseOutcome}:
        raise ValueError(f"hasil '{outcome}' tidak dikenal")
    closed = datetime.fromisoformat(get("ditutup")) if get("ditutup") else (created if status == "closed" else None)
    agencies = [a for a in get("instansi").split(";") if a]
    unknown = [a for a in agencies if a not in services.rules.agencies]
    if unknown:
        raise ValueError(f"instansi tidak dikenal: {', '.join(unknown)}")
    return ImportRow(line, number, created, fields, status, outcome, closed, agencies)


def _problem_text(problem: Problem) -> str:
    value = problem.params.get("value", "")
    return f"{problem.field}: {problem.code}" + (f" '{value}'" if value else "")


async def import_rows(services: Services, rows: list[ImportRow], now: datetime) -> int:
    """One transaction: all rows or none. Numbers given are kept; the others are taken from the counter."""
    async with services.db.uow() as uow:
        existing = await uow.repo.existing_numbers([r.number for r in rows if r.number])
        if existing:
            raise ImportError_([f"baris {r.line}: nomor {r.number} sudah ada" for r in rows if r.number in existing])
        reports = [_report(services, row) for row in rows]
        incidents = [_incident(services, row, report, year, seq, now) for row, report, (year, seq)
                     in zip(rows, reports, await _numbers(uow, services, rows), strict=True)]
        for incident in incidents:
            uow.repo.add(incident)
        await uow.repo.flush()  # every row's id in one round of inserts, not a flush per row
        for row, report, incident in zip(rows, reports, incidents, strict=True):
            _targets_and_event(uow, services, row, report, incident, now)
        await uow.commit()
    return len(rows)


async def _numbers(uow: UnitOfWork, services: Services, rows: list[ImportRow]) -> list[tuple[int, int]]:
    """Each row's year and number, as taking them one row after another would: a number given raises its year's
    counter, a row without one takes the next of the year of its time. Each year's counter is read (and locked
    until commit) once and written once, rather than twice per row."""
    wanted: list[tuple[int, int | None]] = []
    for row in rows:
        if row.number:
            parsed = parse_number(row.number)
            assert parsed is not None and parsed[0] is not None  # checked when the file was read
            wanted.append((parsed[0], parsed[1]))
        else:
            wanted.append((row.created_at.astimezone(services.tz).year, None))
    last = {year: await uow.repo.lock_counter(year) for year in sorted({year for year, _ in wanted})}
    numbers = []
    for year, given in wanted:
        seq = last[year] + 1 if given is None else given
        last[year] = max(last[year], seq)
        numbers.append((year, seq))
    for year, seq in last.items():
        await uow.repo.raise_counter(year, seq)
    return numbers


def _report(services: Services, row: ImportRow) -> Report:
    report = validate(row.fields, services.rules)
    assert not isinstance(report, list)  # checked when the file was read
    return report


def _incident(services: Services, row: ImportRow, report: Report, year: int, seq: int,
              now: datetime) -> db.Incident:
    rules = services.rules
    return db.Incident(
        number=row.number or incident_number(year, seq), year=year, seq=seq, source_key=f"import:{year}:{seq}",
        category=report.category, subtype=report.subtype, priority=report.priority,
        cap_category=rules.cap_category(report.category, report.subtype), kecamatan=report.kecamatan,
        kecamatan_code=report.kecamatan_code, village=report.village, village_code=report.village_code,
        outside_city=report.outside_city, address=report.address, description=report.description,
        caller_name=report.caller_name, caller_phone=report.caller_phone, lat=report.lat, lon=report.lon,
        status=row.status, outcome=row.outcome, closed_at=row.closed_at, created_by=0, created_by_name="impor",
        created_chat_id=0, created_at=row.created_at, updated_at=now, delivery_reported_at=now)


def _targets_and_event(uow: UnitOfWork, services: Services, row: ImportRow, report: Report,
                       incident: db.Incident, now: datetime) -> None:
    rules = services.rules
    done = row.status == IncidentStatus.CLOSED
    for key in row.agencies or rules.targets(report.category, report.subtype):
        responder = rules.agency_kind(key) == AgencyKind.RESPONDER
        uow.repo.add_target(incident.id, key, row.created_at,
                            TargetStatus.DONE if done and responder else TargetStatus.PENDING)
    uow.repo.event(now, "imported", incident_id=incident.id, actor_name="impor", to_state=row.status,
                   detail={"line": row.line})
