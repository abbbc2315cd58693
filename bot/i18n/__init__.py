"""Message catalogues, one per language (Indonesian first, English second). All user-facing text lives here."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("id", "en")


class Html(str):
    """A string that is already safe HTML (rendered by us), so it is not escaped again."""


@cache
def _load(language: str) -> dict[str, str]:
    with (Path(__file__).parent / f"{language}.yaml").open(encoding="utf-8") as fh:
        return {str(k): str(v) for k, v in yaml.safe_load(fh).items()}


class Catalogue:
    def __init__(self, language: str = "id") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"bahasa '{language}' tidak tersedia (pilihan: {', '.join(LANGUAGES)})")
        self.language = language
        self._messages = _load(language)

    def __call__(self, message_key: str, /, **params: object) -> Html:
        """The message `key` with every parameter HTML-escaped, except those already `Html`."""
        safe = {k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in params.items()}
        return Html(self._messages[message_key].format_map(safe))

    def has(self, key: str) -> bool:
        return key in self._messages

    def keys(self) -> set[str]:
        return set(self._messages)
