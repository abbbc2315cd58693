"""The Ambon gazetteer: 5 kecamatan and 50 villages, matched tolerantly against what a call taker types."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .rule_schemas import PlacesFile

_JENIS_PREFIXES = {
    "kelurahan": "kelurahan", "kel": "kelurahan", "desa": "desa", "ds": "desa", "negeri": "negeri", "ngr": "negeri",
}
_KECAMATAN_PREFIXES = ("kecamatan ", "kec ")


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: 'Kel. Batu-Merah ' -> 'kel batu merah'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _squash(text: str) -> str:
    return normalise(text).replace(" ", "")


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str
    bps_name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Village:
    code: str
    kecamatan: str
    name: str
    jenis: str
    lat: float
    lon: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.jenis}, {self.code})"


@dataclass(frozen=True)
class Found:
    value: Kecamatan | Village


@dataclass(frozen=True)
class Outside:
    """'luar Kota Ambon': accepted, not matched against the gazetteer."""


@dataclass(frozen=True)
class Ambiguous:
    options: tuple[Village, ...]


@dataclass(frozen=True)
class NotFound:
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class ElsewhereIn:
    """The village exists, but in another kecamatan than the one given."""

    village: Village


class Gazetteer:
    def __init__(self, kecamatan: list[Kecamatan], villages: list[Village], places: PlacesFile) -> None:
        self.kecamatan = kecamatan
        self.villages = villages
        self._kec_names: dict[str, Kecamatan] = {}
        for kec in kecamatan:
            for alias in [kec.name, kec.bps_name, *places.kecamatan_aliases.get(kec.name, [])]:
                self._kec_names[_squash(alias)] = kec
        self._village_names: dict[str, list[Village]] = {}
        for village in villages:
            for alias in [village.name, *places.village_aliases.get(village.name, [])]:
                names = self._village_names.setdefault(_squash(alias), [])
                if village not in names:
                    names.append(village)
        by_code = {v.code: v for v in villages}
        for place in places.neighbourhoods:
            if place.village in by_code:  # an unknown code is refused at start-up (rules_loader)
                self._village_names.setdefault(_squash(place.name), []).append(by_code[place.village])
        self._outside = {_squash(word) for word in places.outside_city}

    def villages_in(self, kecamatan: str) -> list[Village]:
        return [v for v in self.villages if v.kecamatan == kecamatan]

    def village_by_code(self, code: str) -> Village | None:
        return next((v for v in self.villages if v.code == code), None)

    def match_kecamatan(self, text: str) -> Found | Outside | NotFound:
        norm = normalise(text)
        for prefix in _KECAMATAN_PREFIXES:
            norm = norm.removeprefix(prefix)
        key = norm.replace(" ", "")
        if key in self._outside:
            return Outside()
        if key in self._kec_names:
            return Found(self._kec_names[key])
        by_code = next((k for k in self.kecamatan if k.code.replace(".", "") == key), None)
        if by_code:
            return Found(by_code)
        return NotFound(self._suggest(key, {k: v.name for k, v in self._kec_names.items()}))

    def match_village(
        self, text: str, kecamatan: Kecamatan | None = None, jenis: str | None = None
    ) -> Found | Ambiguous | NotFound | ElsewhereIn:
        """Match a village; `jenis` (kelurahan/desa/negeri) comes from the field name or a prefix like 'Kel.'."""
        by_code = self.village_by_code(text.strip())
        if by_code:
            return self._in_kecamatan([by_code], kecamatan)
        words = normalise(text).split(" ")
        if words and words[0] in _JENIS_PREFIXES and len(words) > 1:
            jenis, words = _JENIS_PREFIXES[words[0]], words[1:]
        candidates = self._village_names.get("".join(words), [])
        if not candidates:
            pool = {k: vs[0].name for k, vs in self._village_names.items()
                    if kecamatan is None or any(v.kecamatan == kecamatan.name for v in vs)}
            return NotFound(self._suggest("".join(words), pool))
        if jenis and any(_is_jenis(v, jenis) for v in candidates):
            candidates = [v for v in candidates if _is_jenis(v, jenis)]
        return self._in_kecamatan(candidates, kecamatan)

    @staticmethod
    def _in_kecamatan(candidates: list[Village], kecamatan: Kecamatan | None) -> Found | Ambiguous | ElsewhereIn:
        if kecamatan is not None:
            inside = [v for v in candidates if v.kecamatan == kecamatan.name]
            if not inside:
                return ElsewhereIn(candidates[0])
            candidates = inside
        if len(candidates) > 1:
            return Ambiguous(tuple(candidates))
        return Found(candidates[0])

    @staticmethod
    def _suggest(key: str, pool: dict[str, str]) -> tuple[str, ...]:
        close = difflib.get_close_matches(key, list(pool), n=3, cutoff=0.6)
        return tuple(dict.fromkeys(pool[c] for c in close))


def _is_jenis(village: Village, jenis: str) -> bool:
    # Kemendagri's "desa" class covers both desa and negeri (customary villages).
    return village.jenis == jenis or (jenis == "desa" and village.jenis == "negeri")


def gazetteer_from_rows(kec_rows: list[dict[str, str]], village_rows: list[dict[str, str]],
                        places: PlacesFile) -> Gazetteer:
    kecamatan = [Kecamatan(r["kode"], r["kecamatan"], r["nama_bps"], float(r["lat"]), float(r["lon"]))
                 for r in kec_rows]
    villages = [Village(r["kode"], r["kecamatan"], r["kelurahan_desa"], r["jenis"], float(r["lat"]),
                        float(r["lon"])) for r in village_rows]
    return Gazetteer(kecamatan, villages, places)
