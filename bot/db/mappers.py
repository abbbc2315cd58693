"""Stored rows as the pure domain sees them."""

from __future__ import annotations

from ..domain import model as dm
from . import models as db


def to_domain(row: db.Incident) -> dm.Incident:
    """The stored incident as the pure domain sees it."""
    report = dm.Report(
        category=row.category, subtype=row.subtype, priority=row.priority, kecamatan=row.kecamatan,
        kecamatan_code=row.kecamatan_code, village=row.village, village_code=row.village_code,
        outside_city=row.outside_city, address=row.address, description=row.description,
        caller_name=row.caller_name, caller_phone=row.caller_phone, lat=row.lat, lon=row.lon,
        origin=row.origin, destination=row.destination)
    return dm.Incident(row.id, row.number, report, row.created_at, row.created_by_name, row.status, row.outcome,
                       row.outcome_note, row.duplicate_of, row.closed_at, row.closed_by_name, row.confirmation)


def group_to_domain(row: db.AgencyGroup) -> dm.AgencyGroup:
    return dm.AgencyGroup(row.agency_key, row.chat_id, row.title, row.status, row.status_reason,
                          row.thread_id or None)


def followup_to_domain(row: db.Followup) -> dm.Followup:
    return dm.Followup(row.id, row.incident_id, row.agency_key, row.kind, row.started_at, row.step, row.due_at,
                       row.status)


def draft_to_domain(row: db.Draft) -> dm.Draft:
    return dm.Draft(row.id, row.chat_id, row.user_id, row.status, dict(row.fields or {}), row.step,
                    row.last_message_id, row.incident_id, row.created_at, row.updated_at)


def person_to_domain(row: db.Person) -> dm.Person:
    return dm.Person(row.telegram_id, row.name, row.role, row.agency_key)
