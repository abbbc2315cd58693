"""A reply claims only when it says so: claim words from the rules, whole words, any case; the list is checked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.domain.lifecycle import says_claim
from bot.domain.rule_schemas import DEFAULT_CLAIM_WORDS, AgenciesFile

WORDS = DEFAULT_CLAIM_WORDS


@pytest.mark.parametrize("text", ["OTW", "otw 2 unit", "Siap!", "kami meluncur", "Berangkat sekarang",
                                  "on the  way", "ON THE WAY, 5 menit"])
def test_a_reply_with_a_claim_word_claims(text: str) -> None:
    assert says_claim(text, WORDS)


@pytest.mark.parametrize("text", ["bukan wewenang kami", "siapa yang lapor?", "botw", "unit sedang keluar",
                                  "on the road", ""])
def test_any_other_reply_is_a_note(text: str) -> None:
    assert not says_claim(text, WORDS)


@pytest.mark.parametrize("words", [[], ["otw", " "]])
def test_an_empty_list_or_a_blank_word_is_refused_at_start_up(words: list[str]) -> None:
    with pytest.raises(ValidationError, match="claim_words"):
        AgenciesFile(agencies={}, claim_words=words)
