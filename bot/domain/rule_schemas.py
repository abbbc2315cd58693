"""Typed rules (categories, agencies, routing, places) as read from `rules/`; validated by pydantic."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CAP_CATEGORIES = {
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other",
}
_DURATION = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$", re.IGNORECASE)
# Indonesian units first (j/jam, mnt/menit, dtk/detik, hari), and the short English ones the rules began with.
_UNIT_SECONDS = {"s": 1, "dtk": 1, "detik": 1, "m": 60, "mnt": 60, "menit": 60, "h": 3600, "j": 3600, "jam": 3600,
                 "d": 86400, "hari": 86400}
# Units an Indonesian reader may take for another: "h" looks like "hari" (day), "d" like "detik" (second).
_AMBIGUOUS = {"h": ("jam", "hari", "hour"), "d": ("hari", "detik", "day")}


def parse_duration(value: object) -> timedelta:
    """`90s`, `5m`, `2h`, `1d`, `45dtk`, `30mnt`, `2 jam`, `1 hari` -> timedelta; anything else is an error that
    says the expected form."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match or match.group(2).lower() not in _UNIT_SECONDS:
        raise ValueError(f"durasi '{value}' tidak dikenal; tulis seperti 45dtk, 30mnt, 2jam, 1hari "
                         "(atau 90s, 5m, 2h, 1d)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def ambiguous_duration(value: object) -> str | None:
    """What a duration with a unit an Indonesian may misread means ("2h: 2 jam, bukan 2 hari"), else None."""
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or match.group(2).lower() not in _AMBIGUOUS:
        return None
    number, unit = match.group(1), match.group(2).lower()
    meant, misread, english = _AMBIGUOUS[unit]
    return (f"'{value}' berarti {number} {meant} ({unit} = {english}), bukan {number} {misread}; "
            f"tulis {number}{meant} agar tidak salah baca")


def ambiguous_durations(tree: object, where: str = "") -> list[str]:
    """Every value in a parsed rules file (nested dicts and lists) that `ambiguous_duration` explains, by path."""
    if isinstance(tree, dict):
        return [n for k, v in tree.items() for n in ambiguous_durations(v, f"{where}.{k}" if where else str(k))]
    if isinstance(tree, list):
        return [n for i, v in enumerate(tree) for n in ambiguous_durations(v, f"{where}[{i}]")]
    note = ambiguous_duration(tree)
    return [f"{where}: {note}"] if note else []


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class AgencyKind(StrEnum):
    CALL_CENTER = "call_center"
    LEADERSHIP = "leadership"
    MONITORING = "monitoring"
    RESPONDER = "responder"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Priority(_Strict):
    label: str
    label_en: str
    rank: int
    emoji: str = ""
    life_threatening: bool = False


class Subtype(_Strict):
    label: str
    label_en: str = ""
    aliases: list[str] = Field(default_factory=list)
    priority: str | None = None
    cap: str | None = None


class HearseSop(_Strict):
    """The hearse SOP: where a free hearse may start and end (words looked for in `asal` and `tujuan`)."""

    origin_words: list[str]
    origin_not: list[str] = Field(default_factory=list)
    destination_words: list[str]


class Category(_Strict):
    label: str
    label_en: str = ""
    aliases: list[str] = Field(default_factory=list)
    priority: str
    cap: str
    hearse_sop: HearseSop | None = None
    subtypes: dict[str, Subtype] = Field(default_factory=dict)


class CategoriesFile(_Strict):
    priorities: dict[str, Priority]
    categories: dict[str, Category]

    @model_validator(mode="after")
    def _check_references(self) -> CategoriesFile:
        for key, cat in self.categories.items():
            _check_priority(self.priorities, cat.priority, f"categories.{key}.priority")
            _check_cap(cat.cap, f"categories.{key}.cap")
            for sub_key, sub in cat.subtypes.items():
                where = f"categories.{key}.subtypes.{sub_key}"
                if sub.priority is not None:
                    _check_priority(self.priorities, sub.priority, f"{where}.priority")
                if sub.cap is not None:
                    _check_cap(sub.cap, f"{where}.cap")
        return self


def _check_priority(priorities: dict[str, Priority], value: str, where: str) -> None:
    if value not in priorities:
        raise ValueError(f"{where}: prioritas '{value}' tidak ada (pilihan: {', '.join(priorities)})")


def _check_cap(value: str, where: str) -> None:
    if value not in CAP_CATEGORIES:
        raise ValueError(f"{where}: kategori CAP '{value}' tidak sah (pilihan: {', '.join(sorted(CAP_CATEGORIES))})")


class Agency(_Strict):
    name: str
    name_en: str = ""
    kind: AgencyKind
    require_registration: bool = False


DEFAULT_CLAIM_WORDS = ("otw", "meluncur", "siap", "berangkat", "on the way")


class AgenciesFile(_Strict):
    agencies: dict[str, Agency]
    # A reply to a card claims it (🚗) only when it says one of these (whole words, any case); else it is a note.
    claim_words: list[str] = Field(default_factory=lambda: list(DEFAULT_CLAIM_WORDS))

    @model_validator(mode="after")
    def _check_claim_words(self) -> AgenciesFile:
        if not self.claim_words or any(not w.strip() for w in self.claim_words):
            raise ValueError("claim_words: tulis minimal satu kata, tanpa kata kosong (mis. otw, meluncur)")
        return self


class RoutingFile(_Strict):
    always: list[str]
    routes: dict[str, list[str]]
    # The agency that leads a route's response (`category` or `category/subtype` -> agency key); the others on
    # that route support it. Escalation rungs may be limited to the lead's silence (escalation.yaml `agencies`).
    lead: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _lead_on_its_route(self) -> RoutingFile:
        for route, key in self.lead.items():
            if route not in self.routes:
                raise ValueError(f"lead.{route}: rute '{route}' tidak ada di routes "
                                 f"(pilihan: {', '.join(self.routes)})")
            if key not in self.routes[route]:
                raise ValueError(f"lead.{route}: instansi '{key}' tidak ada di routes.{route} "
                                 f"(pilihan: {', '.join(self.routes[route])})")
        return self


class Neighbourhood(_Strict):
    """A neighbourhood or landmark people name instead of its village; `village` is the Kemendagri code, since
    two village names (Nusaniwe, Urimessing) stand for two villages each."""

    name: str
    village: str
    source: str = Field(min_length=1)


class PlacesFile(_Strict):
    gazetteer: str
    kecamatan_aliases: dict[str, list[str]] = Field(default_factory=dict)
    village_aliases: dict[str, list[str]] = Field(default_factory=dict)
    neighbourhoods: list[Neighbourhood] = Field(default_factory=list)
    outside_city: list[str] = Field(default_factory=list)


REQUIRED_AGENCIES = (
    "call_center", "pimpinan", "monitoring", "tni_polri", "sar", "damkar", "pln", "dinkes", "dishub", "bpbd",
    "satpol_pp", "perkim", "dlhp", "jenazah",
)


# --- bmkg-topics: rules/bmkg.yaml ---
class QuakeRules(BaseModel):
    """rules/bmkg.yaml `earthquake`: which events become incidents and how."""

    radius_km: float = Field(default=150.0, gt=0, le=2000)
    min_magnitude: float = Field(default=5.0, ge=0, le=10)
    category: str = "bencana"
    subtype: str | None = "gempa_tsunami"
    priority: str = "tinggi"
    tsunami_priority: str = "kritis"
    # An event whose text states a tsunami potential is tsunami_priority within this distance; beyond it the
    # potential is someone else's coast and the event counts like any other.
    tsunami_radius_km: float = Field(default=1000.0, gt=0, le=20000)
    felt_places: list[str] = Field(default_factory=lambda: ["Ambon"])
    # BMKG's text states a tsunami potential when it names a tsunami without one of these (lower case).
    no_tsunami_words: list[str] = Field(default_factory=lambda: ["tidak berpotensi", "tidak ada potensi",
                                                                  "no tsunami"])
    max_age: Duration = timedelta(hours=6)  # older events (a restart after days off) are history, not alarms
    centre_name: str = "Ambon"


class WarningRules(BaseModel):
    """rules/bmkg.yaml `warnings`: BMKG's CAP weather warnings that are posted, and where."""

    places: list[str] = Field(default_factory=lambda: ["Kota Ambon", "Ambon"])
    # In BMKG's list of the whole country's warnings, items naming one of these (or a place) are read first.
    list_places: list[str] = Field(default_factory=lambda: ["Maluku"])
    groups: list[str] = Field(default_factory=lambda: ["call_center", "bpbd", "pimpinan", "monitoring"])


class BmkgFile(BaseModel):
    earthquake: QuakeRules = Field(default_factory=QuakeRules)
    warnings: WarningRules = Field(default_factory=WarningRules)


# --- media (issue 13): who sees an incident's photos, videos and voice notes -----------------------------------
class MediaRule(_Strict):
    """The groups of an incident that receive its media: those whose agency kind is listed, and when `agencies`
    is given, only those agencies among them."""

    agency_kinds: list[AgencyKind] = Field(default_factory=lambda: list(AgencyKind))
    agencies: list[str] | None = None

    def allows(self, agency_key: str, kind: AgencyKind | None) -> bool:
        return kind in self.agency_kinds and (self.agencies is None or agency_key in self.agencies)


class MediaFile(_Strict):
    """rules/media.yaml: the default rule, each category's own, and how long the bot waits for the rest of an
    album (Telegram sends an album as one message per item)."""

    album_window: Duration = timedelta(seconds=2)
    # Where a responder's media from the field go (besides being counted on every copy): these agency kinds'
    # groups among the incident's, never back to the sender's own group.
    evidence_to: list[AgencyKind] = Field(default_factory=lambda: [AgencyKind.CALL_CENTER])
    default: MediaRule = Field(default_factory=MediaRule)
    categories: dict[str, MediaRule] = Field(default_factory=dict)

    def allows(self, category: str, agency_key: str, kind: AgencyKind | None) -> bool:
        return self.categories.get(category, self.default).allows(agency_key, kind)
