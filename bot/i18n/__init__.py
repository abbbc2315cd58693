"""Message catalogues, one per language (Indonesian first, English second). All user-facing text lives here."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import yaml

from .text import clean

LANGUAGES = ("id", "en")
# Parameters that hold one line of user text (names, notes, places): a line break in them could forge a line of
# the message (a fake status line on a card), so it is shown as a space. Others keep their line breaks.
ONE_LINE = frozenset({"name", "note", "by", "caller", "place", "address", "origin", "destination", "agency",
                      "title", "value", "people", "category", "kecamatan"})


class Html(str):
    """A string that is already safe HTML (rendered by us), so it is not escaped again."""


# libyaml's parser when PyYAML has it: the same catalogue, read about ten times faster at every start.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _load(language: str) -> dict[str, str]:
    with (Path(__file__).parent / f"{language}.yaml").open(encoding="utf-8") as fh:
        return {str(k): str(v) for k, v in yaml.load(fh, Loader=SAFE_LOADER).items()}


class Catalogue:
    def __init__(self, language: str = "id") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"bahasa '{language}' tidak tersedia (pilihan: {', '.join(LANGUAGES)})")
        self.language = language
        self._messages = _load(language)

    def __call__(self, message_key: str, /, **params: object) -> Html:
        """The message `key` with every parameter cleaned (see domain/text.py) and HTML-escaped, except those
        already `Html`: the one point where what users typed becomes part of a message."""
        safe = {k: v if isinstance(v, Html) else html.escape(clean(str(v), one_line=k in ONE_LINE), quote=False)
                for k, v in params.items()}
        return Html(self._messages[message_key].format_map(safe))

    def has(self, key: str) -> bool:
        return key in self._messages

    def keys(self) -> set[str]:
        return set(self._messages)
