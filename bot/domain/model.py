"""Plain data of the domain: what a report is once validated, and the problems found on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _field  # `Problem` has an attribute named field
from datetime import datetime, tzinfo
from enum import IntEnum, StrEnum

# Fields of a report as a call taker types them; the first name is the Indonesian key shown in templates.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "kategori": ("kategori", "category", "kat"),
    "jenis": ("jenis", "subtype", "type", "sub kategori", "subkategori", "jenis kejadian"),
    "kecamatan": ("kecamatan", "kec", "district"),
    "kelurahan": ("kelurahan", "desa", "negeri", "kel", "village", "kelurahan desa", "desa kelurahan"),
    "alamat": ("alamat", "address", "lokasi", "tempat", "location"),
    "pelapor": ("pelapor", "nama pelapor", "nama", "caller", "name"),
    "telepon": ("telepon", "telp", "tel", "hp", "no hp", "nomor hp", "no telp", "nomor telepon", "phone", "wa"),
    "keterangan": ("keterangan", "ket", "description", "deskripsi", "kejadian", "uraian", "details"),
    "prioritas": ("prioritas", "priority"),
    "koordinat": ("koordinat", "coordinates", "coord", "gps", "titik"),
    "asal": ("asal", "dari", "from", "origin"),
    "tujuan": ("tujuan", "ke", "to", "destination"),
    "waktu_panggilan": ("waktu_panggilan", "jam_panggilan", "call time", "called at"),
    "alasan_sop": ("alasan_sop", "sop override"),
}
REQUIRED_FIELDS = ("kategori", "kecamatan", "alamat", "keterangan")
# Longest value kept per field, so that a card always fits in one Telegram message.
FIELD_MAX = {"alamat": 300, "pelapor": 100, "keterangan": 1500, "asal": 200, "tujuan": 200, "jenis": 60,
             "kategori": 60, "kecamatan": 60, "kelurahan": 60, "telepon": 30, "prioritas": 20, "koordinat": 60,
             "waktu_panggilan": 30, "alasan_sop": 300}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: the field, a catalogue key and the values the message needs."""

    field: str
    code: str
    params: dict[str, str] = _field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    category: str
    subtype: str | None
    priority: str
    kecamatan: str | None
    kecamatan_code: str | None
    village: str | None
    village_code: str | None
    outside_city: bool
    address: str
    description: str
    caller_name: str | None = None
    caller_phone: str | None = None
    lat: float | None = None
    lon: float | None = None
    origin: str | None = None
    destination: str | None = None


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CALL_TAKER = "call_taker"
    RESPONDER = "responder"
    LEADER = "leader"


INTAKE_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CALL_TAKER})


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class DeliveryKind(StrEnum):
    """What an outbox row sends (the values are stored)."""

    CARD = "card"        # an incident's card, new in an agency's group
    EDIT = "edit"        # a posted card re-rendered
    NOTICE = "notice"    # a ready text (reminder, escalation, alert, report)
    CONFIRM = "confirm"  # the call taker is asked to confirm with the caller
    CHART = "chart"      # the monthly chart, drawn when it is sent
    DIGEST = "digest"    # several due rows sent as one message: a send's kind, never a row's
    PHOTO = "photo"      # a picture by URL (BMKG's shakemap), as a reply to the agency's card
    MEDIA = "media"      # photos, videos, voice notes... of an incident by file_id: one item, or one album
    BOARD = "board"      # a group's live board, rendered when it is sent (edited in place, or re-posted)


class DeliveryPriority(IntEnum):
    """Which of a chat's due rows goes first: lower first (the values are stored)."""

    NEW_POST = 0
    NOTICE = 1
    MEDIA = 1  # media ranks with the ready texts: after new cards, before edits (an alias of NOTICE)
    EDIT = 2
    SCHEDULED_POST = 3  # handovers, recaps and reports
    CHART = 4
    BOARD = 5  # after everything else of the group: a new report always comes first


@dataclass(frozen=True)
class Person:
    """Someone registered: their role, and for responders their agency."""

    telegram_id: int
    name: str
    role: str  # a Role
    agency_key: str | None = None


class GroupStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class AgencyGroup:
    """The Telegram group bound to an agency key (one group per key, one key per group), or a topic of a forum
    supergroup (several agencies may share the supergroup, each in its topic)."""

    agency_key: str
    chat_id: int
    title: str | None
    status: str  # a GroupStatus
    status_reason: str | None = None
    thread_id: int | None = None  # the forum topic (message_thread_id); None: the whole group


@dataclass(frozen=True)
class Draft:
    """A report being typed (by `key: value` lines or the guided form), kept until submitted or cancelled."""

    id: int
    chat_id: int
    user_id: int
    status: str  # open | submitted | cancelled | replaced | expired
    fields: dict[str, str]
    step: str | None  # the guided form's current question; None for typed reports
    last_message_id: int | None
    incident_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Followup:
    """An agency's obligation on an incident (acknowledge, on_scene, update, resolve) and where its ladder stands."""

    id: int
    incident_id: int
    agency_key: str
    kind: str
    started_at: datetime
    step: int
    due_at: datetime | None
    status: str  # pending | settled | exhausted | cancelled


@dataclass(frozen=True)
class Incident:
    """A stored report with its number; what every card is rendered from."""

    id: int
    number: str
    report: Report
    created_at: datetime
    created_by_name: str
    status: str = "open"
    outcome: str | None = None
    outcome_note: str | None = None
    duplicate_of: str | None = None
    closed_at: datetime | None = None
    closed_by_name: str | None = None
    confirmation: str | None = None


# Sequence numbers have at least five digits and may grow past 99999; the cap keeps them (and every id typed
# by a person) inside a 32-bit integer column.
MAX_SEQ = 999_999_999
MAX_DB_ID = 2**31 - 1
_NUMBER = re.compile(r"^(?:112-)?(?:(\d{4})-)?0*(\d{1,9})$")


def incident_number(year: int, seq: int) -> str:
    """112-YYYY-NNNNN: numbers restart at 1 every (WIT) year."""
    return f"112-{year}-{seq:05d}"


def parse_number(text: str) -> tuple[int | None, int] | None:
    """'112-2026-00012', '2026-12', '12' or '112-2026-123456' -> (year or None, seq); None when it is no number."""
    match = _NUMBER.match(text.strip())
    if not match or int(match.group(2)) == 0:
        return None
    return (int(match.group(1)) if match.group(1) else None), int(match.group(2))


_FULL_NUMBER = re.compile(r"\b112-\d{4}-\d{5,9}\b")


def numbers_in(text: str) -> list[str]:
    """The full incident numbers written in a text (a digest's lines, a reply naming one), in order, once each."""
    return list(dict.fromkeys(_FULL_NUMBER.findall(text)))


def resolve_number(text: str, now: datetime, tz: tzinfo) -> str | None:
    """'112-2026-00012', '2026-12' or '12' (this WIT year) -> '112-2026-00012'; any length of sequence."""
    parsed = parse_number(text)
    if parsed is None:
        return None
    year, seq = parsed
    return incident_number(year or now.astimezone(tz).year, seq)


DESK_COMMANDS = ("lapor", "report", "panggilan", "call", "nomor",
                 "batal", "aktif", "status", "lampir", "tutup", "buka", "tambah", "prioritas", "catatan",
                 "catat", "kabari", "lepas", "ubah", "mulai_shift", "akhiri_shift", "serahterima")
# What each role may use; /bantuan and the command menus show exactly this.
COMMANDS_BY_ROLE: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "whoami", "bantuan"),
    Role.RESPONDER: ("peta", "whoami", "bantuan"),
    Role.LEADER: ("aktif", "status", "rekap", "peta", "whoami", "bantuan"),
    Role.CALL_TAKER: (*DESK_COMMANDS, "peta", "whoami", "bantuan"),
    Role.SUPERVISOR: (*DESK_COMMANDS, "tunda", "rekap", "peta", "whoami", "bantuan"),
    Role.ADMIN: (*DESK_COMMANDS, "tunda", "rekap", "peta", "daftar_grup", "kesehatan", "whoami", "bantuan"),
}
