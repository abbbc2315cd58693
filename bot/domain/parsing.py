"""Text a call taker typed -> draft fields -> a validated Report, or every problem at once."""

from __future__ import annotations

import re

import phonenumbers

from .model import FIELD_ALIASES, FIELD_MAX, REQUIRED_FIELDS, Problem, Report
from .places import Ambiguous, ElsewhereIn, Found, Kecamatan, NotFound, Outside, Village, normalise
from .ruleset import Rules

_KEY_TO_FIELD = {normalise(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_LINE = re.compile(r"^\s*([^:\n]{1,30}?)\s*[:=]\s*(.*)$")
_COORDS = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")
# A village typed under `negeri:` or `desa:` says which of two same-named villages is meant; the template
# key `kelurahan:` is generic and says nothing.
_VILLAGE_KEY_HINT = {"negeri": "negeri", "desa": "desa"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# `waktu_panggilan:` when the call came in (WIT): 21.04, 21:04, 12-11 21.04 or 12-11-2026 21.04
CLOCK = re.compile(r"^\s*(?:(\d{1,2})[-/](\d{1,2})(?:[-/](\d{4}))?\s+)?(\d{1,2})[.:](\d{2})\s*$")


def parse_fields(text: str) -> dict[str, str]:
    """`key: value` lines -> fields. Unknown keys and unkeyed lines continue the previous field
    (or the description), so nothing typed is dropped."""
    fields: dict[str, str] = {}
    current = "keterangan"
    for raw in _CONTROL.sub("", text).splitlines():
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        name = _KEY_TO_FIELD.get(normalise(match.group(1))) if match else None
        if match and name:
            current = name
            value = match.group(2).strip()
            if name == "kelurahan" and normalise(match.group(1)) in _VILLAGE_KEY_HINT:
                fields["_kelurahan_key"] = _VILLAGE_KEY_HINT[normalise(match.group(1))]
            fields[name] = value
        else:
            fields[current] = f"{fields[current]}\n{raw.strip()}" if fields.get(current) else raw.strip()
    return {k: v for k, v in fields.items() if v != ""}


def has_known_key(text: str) -> bool:
    """True when some line starts with a report key (`kecamatan: …`): the text is meant as report lines."""
    for raw in text.splitlines():
        match = _LINE.match(raw)
        if match and normalise(match.group(1)) in _KEY_TO_FIELD:
            return True
    return False


def validate(fields: dict[str, str], rules: Rules, sop_override: bool = False) -> Report | list[Problem]:
    """Every problem at once, or the report. `sop_override`: the one filing may file a hearse outside the SOP
    with an `alasan_sop:` line (supervisors)."""
    problems: list[Problem] = [Problem(f, "missing", {"field": f}) for f in REQUIRED_FIELDS if not fields.get(f)]
    problems += [Problem(f, "too_long", {"field": f, "max": str(n)})
                 for f, n in FIELD_MAX.items() if len(fields.get(f, "")) > n]
    category, subtype = _category(fields, rules, problems)
    kecamatan, outside = _kecamatan(fields, rules, problems)
    village = _village(fields, rules, kecamatan, outside, problems)
    phone = _phone(fields.get("telepon"), problems)
    coords = _coordinates(fields.get("koordinat"), problems)
    priority = _priority(fields.get("prioritas"), rules, problems)
    if category and rules.category(category).hearse_sop:
        _check_hearse(fields, rules, category, problems, sop_override)
    if fields.get("waktu_panggilan") and not valid_call_time(fields["waktu_panggilan"]):
        problems.append(Problem("waktu_panggilan", "bad_call_time", {"value": fields["waktu_panggilan"]}))
    if problems or category is None:
        return problems
    return Report(
        category=category, subtype=subtype, priority=priority or rules.default_priority(category, subtype),
        kecamatan=kecamatan.name if kecamatan else None, kecamatan_code=kecamatan.code if kecamatan else None,
        village=_village_name(village, fields), village_code=village.code if village else None,
        outside_city=outside, address=fields["alamat"], description=fields["keterangan"],
        caller_name=fields.get("pelapor"), caller_phone=phone,
        lat=coords[0] if coords else None, lon=coords[1] if coords else None,
        origin=fields.get("asal"), destination=fields.get("tujuan"),
    )


def _category(fields: dict[str, str], rules: Rules, problems: list[Problem]) -> tuple[str | None, str | None]:
    text = fields.get("kategori")
    if not text:
        return None, None
    choice = rules.find_category(text)
    if choice is None:
        problems.append(Problem("kategori", "unknown_category", {
            "value": text, "suggestions": ", ".join(rules.suggest_category(text)),
            "choices": ", ".join(rules.categories)}))
        return None, None
    subtype = choice.subtype
    if fields.get("jenis"):
        subtype = _subtype(fields["jenis"], choice.category, rules, problems) or subtype
    return choice.category, subtype


def _subtype(text: str, category: str, rules: Rules, problems: list[Problem]) -> str | None:
    found = rules.find_subtype(category, text)
    if found:
        return found
    other = rules.find_category(text)
    if other and other.subtype and other.category != category:
        problems.append(Problem("jenis", "subtype_other_category", {
            "value": text, "category": category, "other": other.category}))
    else:
        choices = ", ".join(sub.label for sub in rules.category(category).subtypes.values()) or "-"
        problems.append(Problem("jenis", "unknown_subtype", {"value": text, "category": category,
                                                              "choices": choices}))
    return None


def _kecamatan(fields: dict[str, str], rules: Rules, problems: list[Problem]) -> tuple[Kecamatan | None, bool]:
    text = fields.get("kecamatan")
    if not text:
        return None, False
    result = rules.gazetteer.match_kecamatan(text)
    if isinstance(result, Outside):
        return None, True
    if isinstance(result, Found) and isinstance(result.value, Kecamatan):
        return result.value, False
    suggestions = result.suggestions if isinstance(result, NotFound) else ()
    problems.append(Problem("kecamatan", "unknown_kecamatan", {
        "value": text, "suggestions": ", ".join(suggestions),
        "choices": ", ".join(k.bps_name for k in rules.gazetteer.kecamatan) + ", luar Kota Ambon"}))
    return None, False


def _village(fields: dict[str, str], rules: Rules, kecamatan: Kecamatan | None, outside: bool,
             problems: list[Problem]) -> Village | None:
    text = fields.get("kelurahan")
    if not text or outside or (fields.get("kecamatan") and kecamatan is None):
        return None
    result = rules.gazetteer.match_village(text, kecamatan, fields.get("_kelurahan_key"))
    if isinstance(result, Found) and isinstance(result.value, Village):
        return result.value
    if isinstance(result, ElsewhereIn):
        problems.append(Problem("kelurahan", "village_elsewhere", {
            "value": result.village.name, "actual": result.village.kecamatan,
            "given": kecamatan.name if kecamatan else ""}))
    elif isinstance(result, Ambiguous):
        problems.append(Problem("kelurahan", "ambiguous_village", {
            "value": text, "options": "; ".join(v.label for v in result.options)}))
    # Not found: routing needs only the kecamatan, so the village is kept as the caller said it (free text)
    # and the call taker is warned after filing (see unknown_village below).
    return None


def _village_name(village: Village | None, fields: dict[str, str]) -> str | None:
    """The gazetteer's name, or what was typed (outside the city, or a village the gazetteer does not know)."""
    return village.name if village else fields.get("kelurahan")


def unknown_village(report: Report) -> bool:
    """A village was given inside the city but matched no village of the gazetteer: filed as free text."""
    return bool(report.village) and report.village_code is None and not report.outside_city


def normalise_phone(text: str) -> str | None:
    """Any Indonesian way of writing a number -> E.164, or None when it cannot be a real number."""
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(text: str | None, problems: list[Problem]) -> str | None:
    if not text:
        return None
    phone = normalise_phone(text)
    if phone is None:
        problems.append(Problem("telepon", "bad_phone", {"value": text}))
    return phone


def parse_coordinates(text: str) -> tuple[float, float] | None:
    match = _COORDS.match(text)
    if not match:
        return None
    lat, lon = (float(g.replace(",", ".")) for g in match.groups())
    return lat, lon  # the range is checked by the caller, which can say "swapped?"


def _coordinates(text: str | None, problems: list[Problem]) -> tuple[float, float] | None:
    if not text:
        return None
    coords = parse_coordinates(text)
    if coords is None:
        problems.append(Problem("koordinat", "bad_coordinates", {"value": text}))
    elif not (-4.5 <= coords[0] <= -3.0 and 127.5 <= coords[1] <= 129.0):
        problems.append(Problem("koordinat", "far_coordinates", {"value": text}))
        return None
    return coords


def _priority(text: str | None, rules: Rules, problems: list[Problem]) -> str | None:
    if not text:
        return None
    key = normalise(text)
    for name, prio in rules.priorities.items():
        if key in (name, normalise(prio.label), normalise(prio.label_en)):
            return name
    problems.append(Problem("prioritas", "bad_priority", {"value": text, "choices": ", ".join(rules.priorities)}))
    return None


def _check_hearse(fields: dict[str, str], rules: Rules, category: str, problems: list[Problem],
                  sop_override: bool) -> None:
    sop = rules.category(category).hearse_sop
    assert sop is not None
    origin, destination = fields.get("asal", ""), fields.get("tujuan", "")
    if not origin or not destination:
        problems.append(Problem("asal" if not origin else "tujuan", "hearse_missing", {}))
        return
    origin_ok = _mentions(origin, sop.origin_words) and not _mentions(origin, sop.origin_not)
    destination_ok = _mentions(destination, sop.destination_words)
    if origin_ok and destination_ok:
        return
    if fields.get("alasan_sop"):
        if not sop_override:
            problems.append(Problem("alasan_sop", "sop_override_not_allowed", {}))
        return
    problems.append(Problem("asal" if not origin_ok else "tujuan", "hearse_sop",
                            {"origin": origin, "destination": destination}))


def valid_call_time(text: str) -> bool:
    """`waktu_panggilan:` as typed: 21.04, 21:04, 12-11 21.04 or 12-11-2026 21.04 (WIT)."""
    match = CLOCK.match(text)
    if not match:
        return False
    day, month, _, hour, minute = match.groups()
    return int(hour) < 24 and int(minute) < 60 and (day is None or (1 <= int(day) <= 31 and 1 <= int(month) <= 12))


def _mentions(text: str, words: list[str]) -> bool:
    padded = f" {normalise(text)} "
    return any(f" {normalise(word)} " in padded for word in words)
