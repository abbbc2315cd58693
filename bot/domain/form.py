"""The guided /lapor form: which step comes next, what a press or a typed answer does to the draft fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from .callback_data import FormPress
from .model import FIELD_MAX, Problem
from .parsing import normalise_phone
from .ruleset import Rules

STEPS = ("kategori", "jenis", "kecamatan", "kelurahan", "alamat", "asal", "tujuan", "pelapor", "telepon",
         "keterangan")
BUTTON_STEPS = frozenset({"kategori", "jenis", "kecamatan", "kelurahan"})
SKIPPABLE = frozenset({"pelapor", "telepon", "kelurahan", "jenis"})
SUMMARY = "summary"
OUTSIDE = "luar Kota Ambon"
# A later answer that changes an earlier one clears what depended on it.
_DEPENDENTS = {"kategori": ("jenis", "asal", "tujuan"), "kecamatan": ("kelurahan", "_kelurahan_key")}


@dataclass(frozen=True)
class Button:
    label_key: str | None  # catalogue key, or None when `label` is data (a category or village name)
    data: str
    label: str = ""


@dataclass(frozen=True)
class Prompt:
    text_key: str
    params: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    wants_text: bool = False


def applies(step: str, fields: dict[str, str], rules: Rules) -> bool:
    category = fields.get("kategori")
    cat = rules.categories.get(category) if category else None
    if step == "jenis":
        return bool(cat and cat.subtypes)
    if step == "kelurahan":
        return fields.get("kecamatan") != OUTSIDE
    if step in ("asal", "tujuan"):
        return bool(cat and cat.hearse_sop)
    return True


def answered(step: str, fields: dict[str, str]) -> bool:
    return bool(fields.get(step)) or f"_skip_{step}" in fields


def next_step(fields: dict[str, str], rules: Rules) -> str:
    for step in STEPS:
        if applies(step, fields, rules) and not answered(step, fields):
            return step
    return SUMMARY


def choose(fields: dict[str, str], step: str, value: str, rules: Rules) -> dict[str, str]:
    """Apply a button press to the fields. Values are keys or codes, never free text."""
    new = _without(fields, step)
    if value == "-" and step in SKIPPABLE:
        new[f"_skip_{step}"] = "1"
    elif step == "kategori" and value in rules.categories:
        new["kategori"] = value
    elif step == "jenis" and value in _subtypes(fields, rules):
        new["jenis"] = value
    elif step == "kecamatan" and value == "x":
        new["kecamatan"] = OUTSIDE
    elif step == "kecamatan" and value.isdigit() and int(value) < len(rules.gazetteer.kecamatan):
        new["kecamatan"] = rules.gazetteer.kecamatan[int(value)].name
    elif step == "kelurahan":
        village = rules.gazetteer.village_by_code(value)
        if village is None:
            return fields
        new["kelurahan"] = f"{village.jenis} {village.name}"
    else:
        return fields
    return new


def _subtypes(fields: dict[str, str], rules: Rules) -> frozenset[str]:
    category = rules.categories.get(fields.get("kategori", ""))
    return frozenset(category.subtypes) if category else frozenset()


def answer(fields: dict[str, str], step: str, text: str) -> dict[str, str] | Problem:
    """Apply a typed answer; a phone must be a real number, every field has a length limit."""
    text = text.strip()
    if not text:
        return Problem(step, "missing", {"field": step})
    if len(text) > FIELD_MAX.get(step, 1500):
        return Problem(step, "too_long", {"field": step, "max": str(FIELD_MAX.get(step, 1500))})
    if step == "telepon" and normalise_phone(text) is None:
        return Problem(step, "bad_phone", {"value": text})
    new = _without(fields, step)
    new[step] = text
    return new


def reopen(fields: dict[str, str], step: str) -> dict[str, str]:
    """'Ubah' on a field: forget it (and what depends on it) so the form asks again."""
    return _without(fields, step)


def _without(fields: dict[str, str], step: str) -> dict[str, str]:
    drop = {step, f"_skip_{step}"}
    for dependent in _DEPENDENTS.get(step, ()):
        drop |= {dependent, f"_skip_{dependent}"}
    return {k: v for k, v in fields.items() if k not in drop}


def prompt(draft_id: int, fields: dict[str, str], rules: Rules) -> Prompt:
    """What to ask next, with its buttons (built from the rules and the gazetteer)."""
    step = next_step(fields, rules)
    press = lambda op, value="": FormPress(draft_id, op, value).encode()  # noqa: E731
    cancel = (Button("btn_cancel", press("cancel")),)
    if step == "kategori":
        rows = [(Button(None, press("kat", k), c.label),) for k, c in rules.categories.items()]
        return Prompt("form_category", buttons=(*rows, cancel))
    if step == "jenis":
        cat = rules.category(fields["kategori"])
        rows = [(Button(None, press("jen", k), s.label),) for k, s in cat.subtypes.items()]
        return Prompt("form_subtype", {"category": cat.label},
                      (*rows, (Button("btn_no_subtype", press("jen", "-")),), cancel))
    if step == "kecamatan":
        rows = [(Button(None, press("kec", str(i)), k.bps_name),) for i, k in enumerate(rules.gazetteer.kecamatan)]
        return Prompt("form_kecamatan", buttons=(*rows, (Button("btn_outside", press("kec", "x")),), cancel))
    if step == "kelurahan":
        villages = rules.gazetteer.villages_in(fields["kecamatan"])
        cells = [Button(None, press("kel", v.code), f"{v.name} ({v.jenis[:3]}.)") for v in villages]
        pairs = [tuple(cells[i:i + 2]) for i in range(0, len(cells), 2)]
        return Prompt("form_village", {"kecamatan": fields["kecamatan"]},
                      (*pairs, (Button("btn_no_village", press("kel", "-")),), cancel))
    if step in SKIPPABLE:
        return Prompt(f"form_ask_{step}", buttons=((Button("btn_skip", press("skip", step)),), cancel),
                      wants_text=True)
    if step != SUMMARY:
        return Prompt(f"form_ask_{step}", buttons=(cancel,), wants_text=True)
    return Prompt("form_summary", buttons=(
        (Button("btn_send", press("send")),), (Button("btn_edit", press("edits")),), cancel))


def edit_menu(draft_id: int, fields: dict[str, str], rules: Rules) -> Prompt:
    steps = [s for s in STEPS if applies(s, fields, rules)]
    cells = [Button(f"field.{s}", FormPress(draft_id, "edit", s).encode()) for s in steps]
    rows = [tuple(cells[i:i + 3]) for i in range(0, len(cells), 3)]
    return Prompt("form_edit_which", buttons=(*rows, (Button("btn_back", FormPress(draft_id, "back").encode()),)))
