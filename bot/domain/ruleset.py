"""All rules together, with the look-ups the domain needs (aliases, priorities, routing)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .ladders_and_shifts import EscalationFile, Policy, ShiftsFile
from .places import Gazetteer, normalise
from .rule_schemas import (
    DEFAULT_CLAIM_WORDS,
    Agency,
    AgencyKind,
    CategoriesFile,
    Category,
    MediaFile,
    RoutingFile,
)


@dataclass(frozen=True)
class CategoryChoice:
    category: str
    subtype: str | None


class Rules:
    def __init__(self, categories: CategoriesFile, agencies: dict[str, Agency], routing: RoutingFile,
                 gazetteer: Gazetteer, escalation: EscalationFile, shifts: ShiftsFile,
                 claim_words: tuple[str, ...] = DEFAULT_CLAIM_WORDS, media: MediaFile | None = None) -> None:
        self.claim_words = claim_words
        self.media = media or MediaFile()
        self._categories_file = categories
        self.escalation = escalation
        self.shifts = shifts
        self.priorities = categories.priorities
        self.categories = categories.categories
        self.agencies = agencies
        self.routing = routing
        self.gazetteer = gazetteer
        self._category_words: dict[str, CategoryChoice] = {}
        for key, cat in self.categories.items():
            for sub_key, sub in cat.subtypes.items():
                for word in [sub_key, sub.label, *sub.aliases]:
                    self._category_words.setdefault(normalise(word), CategoryChoice(key, sub_key))
        for key, cat in self.categories.items():
            for word in [key, cat.label, *cat.aliases]:
                self._category_words[normalise(word)] = CategoryChoice(key, None)

    def in_language(self, language: str) -> Rules:
        """The same rules with the labels and agency names people see in `language` (the `*_en` fields for "en");
        the Indonesian labels stay accepted as aliases, since call takers type them."""
        if language == "id":
            return self
        cats = {k: c.model_copy(update={
            "label": c.label_en or c.label, "aliases": [*c.aliases, c.label],
            "subtypes": {sk: s.model_copy(update={"label": s.label_en or s.label, "aliases": [*s.aliases, s.label]})
                         for sk, s in c.subtypes.items()}}) for k, c in self.categories.items()}
        priorities = {k: p.model_copy(update={"label": p.label_en or p.label}) for k, p in self.priorities.items()}
        agencies = {k: a.model_copy(update={"name": a.name_en or a.name}) for k, a in self.agencies.items()}
        categories = self._categories_file.model_copy(update={"categories": cats, "priorities": priorities})
        return Rules(categories, agencies, self.routing, self.gazetteer, self.escalation, self.shifts,
                     self.claim_words, self.media)

    def priority_ranks(self) -> dict[str, int]:
        """Each priority's rank (0: the most urgent), to read the most urgent open reports first."""
        return {key: p.rank for key, p in self.priorities.items()}

    def policy(self, category: str, priority: str) -> Policy:
        """The follow-up policy of a report: its category's own block if there is one, else its priority's."""
        return self.escalation.categories.get(category) or self.escalation.priorities[priority]

    def category(self, key: str) -> Category:
        return self.categories[key]

    def find_category(self, text: str) -> CategoryChoice | None:
        """'kebakaran' -> bencana/kebakaran; 'bencana' -> bencana/None; unknown -> None."""
        return self._category_words.get(normalise(text))

    def find_subtype(self, category: str, text: str) -> str | None:
        choice = self.find_category(text)
        if choice and choice.category == category and choice.subtype:
            return choice.subtype
        return None

    def suggest_category(self, text: str) -> list[str]:
        close = difflib.get_close_matches(normalise(text), list(self._category_words), n=3, cutoff=0.6)
        return list(dict.fromkeys(close))

    def default_priority(self, category: str, subtype: str | None) -> str:
        cat = self.categories[category]
        if subtype and cat.subtypes[subtype].priority:
            return cat.subtypes[subtype].priority  # type: ignore[return-value]
        return cat.priority

    def cap_category(self, category: str, subtype: str | None) -> str:
        cat = self.categories[category]
        if subtype and cat.subtypes[subtype].cap:
            return cat.subtypes[subtype].cap  # type: ignore[return-value]
        return cat.cap

    def category_label(self, category: str, subtype: str | None) -> str:
        cat = self.categories[category]
        return f"{cat.label} / {cat.subtypes[subtype].label}" if subtype else cat.label

    def agency_name(self, key: str) -> str:
        agency = self.agencies.get(key)
        return agency.name if agency else key

    def media_to(self, category: str, agency_key: str) -> bool:
        """Whether this agency's group receives (and counts) the media of a report of this category."""
        return self.media.allows(category, agency_key, self.agency_kind(agency_key))

    def agency_kind(self, key: str) -> AgencyKind | None:
        agency = self.agencies.get(key)
        return agency.kind if agency else None

    def lead_agency(self, category: str, subtype: str | None) -> str | None:
        """The agency leading this kind of report (routing.yaml `lead`), or None when the rules name none."""
        route = f"{category}/{subtype}" if subtype and f"{category}/{subtype}" in self.routing.routes else category
        return self.routing.lead.get(route)

    def targets(self, category: str, subtype: str | None) -> list[str]:
        """Agency keys that receive a report: the route of the sub-type (or category), then `always`."""
        route = self.routing.routes.get(f"{category}/{subtype}") if subtype else None
        if route is None:
            route = self.routing.routes.get(category, [])
        return list(dict.fromkeys([*route, *self.routing.always]))
