"""Text as Telegram sees it: lengths in UTF-16 code units of the visible text (after entity parsing), a cut of
Telegram HTML that never breaks a tag, an entity or a character, and the cleaning of what users typed.

Pure standard library (`unicodedata` for character categories and combining marks)."""

from __future__ import annotations

import html
import re
import unicodedata

TEXT_LIMIT = 4096  # a message's text
CAPTION_LIMIT = 1024  # a photo's or document's caption
ANSWER_LIMIT = 200  # a callback query's answer (toast or alert)
ELLIPSIS = "…"

# Telegram's HTML: a tag, an entity it knows (all numeric ones, four named ones), or one character.
_TOKEN = re.compile(r"<[^<>]*>|&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});|.", re.DOTALL)
_MARKUP = re.compile(r"<[^<>]*>|&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")  # _TOKEN less "one character"
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_SPACES = re.compile(r"[ \t]*[\r\n\v\f\x85\u2028\u2029]+[ \t]*")
# Shown as nothing or reorder what follows: bidi embeddings, overrides, isolates and marks; zero-width characters.
_INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                       "\u200b\u200c\u200d\u2060\ufeff")
_LINE_BREAKS = "\n\r\v\f\x85\u2028\u2029"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts: a character beyond the BMP (most emoji) counts 2."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def visible(text: str) -> str:
    """The text a person sees of Telegram HTML: tags removed, entities replaced by their character. (The same as
    joining _visible_token over _TOKEN's tokens, in one pass of the regex engine: every card is measured.)"""
    return _MARKUP.sub(_visible_markup, text)


def _visible_markup(match: re.Match[str]) -> str:
    return _visible_token(match.group(0))


def _visible_token(token: str) -> str:
    if token.startswith("<") and token.endswith(">") and len(token) > 1:
        return ""
    if token.startswith("&") and len(token) > 1:
        return html.unescape(token)
    return token


def visible_len(text: str) -> int:
    """What Telegram counts against its limits for an HTML text."""
    return utf16_len(visible(text))


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """Telegram HTML cut to `limit` UTF-16 units of visible text, unchanged when it fits. The cut never splits a
    tag, an entity or a character (nor a character from its combining marks), falls on a line break when one is
    in the last fifth, closes the tags left open and ends with a visible "…"."""
    if visible_len(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    out: list[str] = []
    stack: list[str] = []
    used = 0
    line_break: tuple[int, list[str], int] | None = None  # (tokens kept, open tags, units) after the last \n
    for token in _TOKEN.findall(text):
        shown = _visible_token(token)
        if not shown and token.startswith("<"):
            _track(token, stack)
            out.append(token)
            continue
        units = utf16_len(shown)
        if used + units > budget:
            if _is_mark(shown):
                _drop_last_base(out)
            break
        out.append(token)
        used += units
        if shown == "\n":
            line_break = (len(out) - 1, list(stack), used - 1)
    if line_break is not None and line_break[2] >= budget * 4 // 5:
        kept, stack = out[: line_break[0]], line_break[1]
        return "".join(kept).rstrip() + "\n" + ELLIPSIS + _closing(stack)
    return "".join(out).rstrip() + ELLIPSIS + _closing(stack)


def _is_mark(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a joiner, a variation selector."""
    return len(char) == 1 and (unicodedata.combining(char) > 0 or unicodedata.category(char) in ("Mn", "Me", "Mc")
                               or char in "\u200d\ufe0e\ufe0f" or 0x1F3FB <= ord(char) <= 0x1F3FF)


def _drop_last_base(out: list[str]) -> None:
    """The cut fell between a character and its marks: drop the character with the marks already kept."""
    while out and len(out[-1]) == 1 and _is_mark(out[-1]):
        out.pop()
    if out and len(out[-1]) == 1:
        out.pop()


def _track(tag: str, stack: list[str]) -> None:
    match = _TAG_NAME.match(tag)
    if match is None or tag.endswith("/>"):
        return
    name = match.group(1).lower()
    if tag.startswith("</"):
        if name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name):]
    else:
        stack.append(name)


def _closing(stack: list[str]) -> str:
    return "".join(f"</{name}>" for name in reversed(stack))


def plain_fit(text: str, limit: int) -> str:
    """Plain text (no parse mode) cut to `limit` UTF-16 units with a visible "…"."""
    if utf16_len(text) <= limit:
        return text
    return head(text, limit - utf16_len(ELLIPSIS)).rstrip() + ELLIPSIS


def head(text: str, units: int) -> str:
    """The longest start of a plain text within `units` UTF-16 units, not ending between a character and its
    combining marks."""
    used, end = 0, 0
    for end, char in enumerate(text):  # noqa: B007 (end is the cut point when the loop breaks)
        used += _units(char)
        if used > units:
            break
    else:
        return text
    while end > 0 and _is_mark(text[end]):
        end -= 1
    return text[:end]


def shown_plain(html_text: str, limit: int) -> str:
    """An HTML text as plain text (what a callback answer or a fallback send shows), cut to `limit`."""
    return plain_fit(visible(html_text), limit)


def clean(text: str, *, one_line: bool = False) -> str:
    """User text made safe to show: control characters, bidi controls and zero-width characters removed,
    unpaired surrogates dropped; with `one_line`, line breaks (and the spaces around them) become one space."""
    if one_line:
        text = _SPACES.sub(" ", text)
    return _DROPPED.sub("", text)  # what _kept() refuses, in one pass (a card cleans some hundred values)


# Everything _kept() refuses: C0 and C1 controls but tab and newline (category Cc), surrogates (Cs), the other line
# breaks, the invisible characters.
_DROPPED = re.compile("[" + "".join(re.escape(c) for c in sorted(
    {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))} - {"\n", "\t"}
    | set(_INVISIBLE) | set(_LINE_BREAKS) - {"\n"})) + "\ud800-\udfff]")


def _kept(char: str) -> bool:
    if char in _INVISIBLE:
        return False
    if char in "\n\t":
        return True
    if char in _LINE_BREAKS:
        return False
    return unicodedata.category(char) not in ("Cc", "Cs")
