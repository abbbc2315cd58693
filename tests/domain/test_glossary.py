"""Every message of both catalogues, rendered through the Catalogue with sample values, keeps to the glossary
(docs/glossary.md): none of its forbidden words, and no Indonesian in the English catalogue."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.domain.lifecycle import TargetStatus, TargetView
from bot.domain.model import Incident, Report
from bot.domain.privacy import Audience
from bot.domain.render import card_buttons, render_card
from bot.domain.rule_schemas import AgencyKind
from bot.domain.ruleset import Rules
from bot.i18n import LANGUAGES, Catalogue
from bot.sandbox.html_check import to_plain
from tests.words import FORBIDDEN, INDONESIAN

ROOT = Path(__file__).resolve().parents[2]
def raw(language: str) -> dict[str, str]:
    text = (ROOT / "bot" / "i18n" / f"{language}.yaml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in yaml.safe_load(text).items()}


def rendered(language: str) -> dict[str, str]:
    """Every key with each of its parameters filled by a neutral sample, as a person sees it (tags removed)."""
    tr = Catalogue(language)
    out = {}
    for key, message in raw(language).items():
        params = {name: "X9" for _, name, _, _ in string.Formatter().parse(message) if name}
        out[key] = to_plain(tr(key, **params))
    return out


def test_both_catalogues_have_the_same_keys_and_the_same_parameters() -> None:
    ids, ens = raw("id"), raw("en")
    assert set(ids) == set(ens)
    for key in ids:
        names = [{n for _, n, _, _ in string.Formatter().parse(cat[key]) if n} for cat in (ids, ens)]
        assert names[0] == names[1], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_uses_a_word_the_glossary_forbids(language: str) -> None:
    found = [f"{key}: {pattern} → {instead}: {text!r}" for key, text in rendered(language).items()
             for pattern, instead in FORBIDDEN.items() if re.search(pattern, text, re.IGNORECASE)]
    assert found == []


def test_the_rules_labels_use_no_word_the_glossary_forbids() -> None:
    labels = []
    for name in ("agencies.yaml", "categories.yaml"):
        text = (ROOT / "rules" / name).read_text(encoding="utf-8")
        labels += [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    found = [f"{line.strip()} ({pattern} → {instead})" for line in labels for pattern, instead in FORBIDDEN.items()
             if re.search(pattern, line, re.IGNORECASE)]
    assert found == []


def test_the_english_catalogue_shows_no_indonesian() -> None:
    found, catalogue = [], raw("en")
    for key, text in rendered("en").items():
        html = catalogue[key]
        for code in sorted(re.findall(r"<code>(.*?)</code>", html), key=len, reverse=True):
            text = text.replace(to_plain(code), " ")
        text = re.sub(r"\S+\.md\b", " ", text)  # file names of the guides
        text = re.sub(r"/[a-z_]+", " ", text)  # command names are Indonesian on purpose: /lapor, /tutup, ...
        if match := INDONESIAN.search(text):
            found.append(f"{key}: {match.group(0)!r} in {text!r}")
    assert found == []


def test_a_card_and_its_buttons_in_english_show_no_indonesian_but_the_place(rules: Rules) -> None:
    english, tr = rules.in_language("en"), Catalogue("en")
    report = Report(category="bencana", subtype="kebakaran", priority="kritis", kecamatan="Nusaniwe",
                    kecamatan_code="81.71.01", village="Nusaniwe", village_code="81.71.01.2003", outside_city=False,
                    address="Jl. X", description="smoke", caller_name="Maria", caller_phone=None, lat=None, lon=None)
    incident = Incident(1, "112-2026-00001", report, datetime(2026, 1, 5, 1, 4, tzinfo=UTC), "Rina")
    views = [TargetView(key, english.agency_name(key), TargetStatus.PENDING, None, None)
             for key in rules.targets("bencana", "kebakaran")]
    card = to_plain(render_card(incident, english, tr, ZoneInfo("Asia/Jayapura"), audience=Audience.RESPONDER,
                                targets=views))
    assert card.splitlines()[0] == "🔴 CRITICAL · Disaster / Fire · Negeri Nusaniwe, Kec. Nusaniwe"
    buttons = [str(tr(key)) for key, _ in card_buttons(incident, AgencyKind.RESPONDER, TargetStatus.PENDING)]
    assert INDONESIAN.findall(card.replace("Nusaniwe", "")) == [] and INDONESIAN.findall(" ".join(buttons)) == []
    # The Indonesian labels stay accepted as input: call takers type them.
    assert english.find_category("kebakaran") == rules.find_category("Kebakaran")
