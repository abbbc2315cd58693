"""Read and validate the YAML rules in RULES_DIR. Every error names the file, the key and what is wrong."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .domain.bmkg import BmkgRules
from .domain.ladders_and_shifts import AGENCY, EscalationFile, ShiftsFile
from .domain.places import gazetteer_from_rows
from .domain.rule_schemas import (
    REQUIRED_AGENCIES,
    AgenciesFile,
    BmkgFile,
    CategoriesFile,
    MediaFile,
    PlacesFile,
    RoutingFile,
)
from .domain.ruleset import Rules

M = TypeVar("M", bound=BaseModel)


# libyaml's parser when PyYAML was built with it: the same documents, about ten times faster to read (every
# process reads the rules at start, and the CLI's start-up is what an IT officer waits for).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RulesError(Exception):
    """Rules that cannot be used; the message lists every problem, one per line."""


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise RulesError(f"{path}: berkas tidak ada")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: YAML tidak sah: {exc}") from exc


def _model(path: Path, model: type[M]) -> M:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(akar)"
            lines.append(f"{path}: {where}: {err['msg']}")
        raise RulesError("\n".join(lines)) from exc


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise RulesError(f"{path}: berkas tidak ada")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_rules(rules_dir: Path) -> Rules:
    categories = _model(rules_dir / "categories.yaml", CategoriesFile)
    agencies_file = _model(rules_dir / "agencies.yaml", AgenciesFile)
    agencies = agencies_file.agencies
    routing = _model(rules_dir / "routing.yaml", RoutingFile)
    places = _model(rules_dir / "places.yaml", PlacesFile)
    escalation = _model(rules_dir / "escalation.yaml", EscalationFile)
    shifts = _model(rules_dir / "shifts.yaml", ShiftsFile)
    problems = _cross_check(rules_dir, categories, agencies, routing)
    problems += _check_escalation(rules_dir / "escalation.yaml", escalation, categories, agencies)
    media = _model(rules_dir / "media.yaml", MediaFile) if (rules_dir / "media.yaml").exists() else MediaFile()
    problems += _check_media(rules_dir / "media.yaml", media, categories, agencies)
    if problems:
        raise RulesError("\n".join(problems))
    villages = _read_csv(rules_dir / places.gazetteer)
    kecamatan = _read_csv(rules_dir / "ambon_kecamatan.csv")
    _check_gazetteer(rules_dir / places.gazetteer, villages, kecamatan, places)
    return Rules(categories, agencies, routing, gazetteer_from_rows(kecamatan, villages, places), escalation,
                 shifts, tuple(agencies_file.claim_words), media)


def _check_escalation(path: Path, escalation: EscalationFile, categories: CategoriesFile,
                      agencies: dict[str, Any]) -> list[str]:
    problems = [f"{path}: priorities.{p}: prioritas ini belum punya aturan tindak lanjut"
                for p in categories.priorities if p not in escalation.priorities]
    problems += [f"{path}: priorities.{p}: prioritas '{p}' tidak ada di categories.yaml"
                 for p in escalation.priorities if p not in categories.priorities]
    problems += [f"{path}: categories.{c}: kategori '{c}' tidak ada di categories.yaml"
                 for c in escalation.categories if c not in categories.categories]
    blocks = [(f"priorities.{k}", v) for k, v in escalation.priorities.items()]
    blocks += [(f"categories.{k}", v) for k, v in escalation.categories.items()]
    for where, policy in blocks:
        for kind in ("acknowledge", "on_scene", "resolve"):
            for i, rung in enumerate(getattr(policy, kind).ladder):
                if rung.to != AGENCY and rung.to not in agencies:
                    problems.append(f"{path}: {where}.{kind}.ladder.{i}.to: instansi '{rung.to}' tidak ada "
                                    f"di agencies.yaml (atau tulis 'agency' untuk grup instansi itu sendiri)")
    return problems


def _cross_check(rules_dir: Path, categories: CategoriesFile, agencies: dict[str, Any],
                 routing: RoutingFile) -> list[str]:
    problems = [f"{rules_dir / 'agencies.yaml'}: agencies.{key}: instansi wajib ini tidak ada"
                for key in REQUIRED_AGENCIES if key not in agencies]
    routing_file = rules_dir / "routing.yaml"
    for i, key in enumerate(routing.always):
        if key not in agencies:
            problems.append(f"{routing_file}: always.{i}: instansi '{key}' tidak ada di agencies.yaml")
    for route, targets in routing.routes.items():
        category, _, subtype = route.partition("/")
        if category not in categories.categories:
            problems.append(f"{routing_file}: routes.{route}: kategori '{category}' tidak ada di categories.yaml")
        elif subtype and subtype not in categories.categories[category].subtypes:
            problems.append(f"{routing_file}: routes.{route}: jenis '{subtype}' tidak ada di kategori {category}")
        problems += [f"{routing_file}: routes.{route}: instansi '{t}' tidak ada di agencies.yaml"
                     for t in targets if t not in agencies]
    problems += [f"{routing_file}: routes: kategori '{c}' belum punya tujuan"
                 for c in categories.categories if c not in routing.routes]
    return problems


def _check_gazetteer(path: Path, villages: list[dict[str, str]], kecamatan: list[dict[str, str]],
                     places: PlacesFile) -> None:
    names = {row["kecamatan"] for row in kecamatan}
    bad = [f"{path}: baris {i + 2}: kecamatan '{row.get('kecamatan')}' tidak ada di ambon_kecamatan.csv"
           for i, row in enumerate(villages) if row.get("kecamatan") not in names]
    village_names = {row["kelurahan_desa"] for row in villages}
    bad += [f"{path.parent / 'places.yaml'}: village_aliases.{name}: desa/kelurahan tidak ada di {path.name}"
            for name in places.village_aliases if name not in village_names]
    codes = {row["kode"] for row in villages}
    bad += [f"{path.parent / 'places.yaml'}: neighbourhoods.{i}: {place.name}: kode desa/kelurahan "
            f"'{place.village}' tidak ada di {path.name}"
            for i, place in enumerate(places.neighbourhoods) if place.village not in codes]
    bad += [f"{path.parent / 'places.yaml'}: kecamatan_aliases.{name}: kecamatan tidak ada"
            for name in places.kecamatan_aliases if name not in names]
    if bad:
        raise RulesError("\n".join(bad))


def load_bmkg_rules(rules_dir: Path, rules: Rules) -> BmkgRules:
    """rules/bmkg.yaml (optional: the defaults without it), checked against the categories and agencies; the
    city's centroid is the mean of the gazetteer's village centroids."""
    path = rules_dir / "bmkg.yaml"
    data = _model(path, BmkgFile) if path.exists() else BmkgFile()
    quake = data.earthquake
    problems = []
    if quake.category not in rules.categories:
        problems.append(f"{path}: earthquake.category: kategori '{quake.category}' tidak ada di categories.yaml")
    elif quake.subtype and quake.subtype not in rules.categories[quake.category].subtypes:
        problems.append(f"{path}: earthquake.subtype: jenis '{quake.subtype}' tidak ada di kategori {quake.category}")
    problems += [f"{path}: earthquake.{name}: prioritas '{value}' tidak ada di categories.yaml"
                 for name, value in (("priority", quake.priority), ("tsunami_priority", quake.tsunami_priority))
                 if value not in rules.priorities]
    problems += [f"{path}: warnings.groups: instansi '{key}' tidak ada di agencies.yaml"
                 for key in data.warnings.groups if key not in rules.agencies]
    if problems:
        raise RulesError("\n".join(problems))
    villages = rules.gazetteer.villages
    lat = sum(v.lat for v in villages) / len(villages) if villages else -3.69
    lon = sum(v.lon for v in villages) / len(villages) if villages else 128.19
    return BmkgRules(quake, data.warnings, lat, lon)


def _check_media(path: Path, media: MediaFile, categories: CategoriesFile, agencies: dict[str, Any]) -> list[str]:
    problems = [f"{path}: categories.{c}: kategori '{c}' tidak ada di categories.yaml"
                for c in media.categories if c not in categories.categories]
    for where, rule in [("default", media.default), *((f"categories.{k}", v) for k, v in media.categories.items())]:
        problems += [f"{path}: {where}.agencies: instansi '{a}' tidak ada di agencies.yaml"
                     for a in rule.agencies or [] if a not in agencies]
    return problems
