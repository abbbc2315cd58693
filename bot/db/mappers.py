"""Stored rows as the pure domain sees them."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from ..domain import model as dm
from . import models as db

# The incident's columns the domain reads (a query for to_domain's rows selects these).
DOMAIN_COLUMNS = ("id", "number", "category", "subtype", "priority", "kecamatan", "kecamatan_code", "village",
                  "village_code", "outside_city", "address", "description", "caller_name", "caller_phone", "lat",
                  "lon", "origin", "destination", "created_at", "created_by_name", "status", "outcome",
                  "outcome_note", "duplicate_of", "closed_at", "closed_by_name", "confirmation")


def incident_of(values: Sequence[Any]) -> dm.Incident:
    """A row of the incident's DOMAIN_COLUMNS (id first) as the pure domain sees it."""
    return to_domain(SimpleNamespace(**dict(zip(DOMAIN_COLUMNS, values, strict=True))))


def to_domain(row: db.Incident | SimpleNamespace) -> dm.Incident:
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
