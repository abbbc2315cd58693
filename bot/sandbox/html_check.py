"""Telegram's HTML parse mode, checked the way the Bot API does: only its tags, only its entities."""

from __future__ import annotations

import html
import re

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
           "blockquote", "tg-emoji"}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_START = re.compile(r"^([a-zA-Z][a-zA-Z0-9-]*)(\s+[^>]*)?$")


class HtmlError(ValueError):
    pass


def to_plain(text: str) -> str:
    """The text a person sees, or HtmlError with Telegram's own wording of what is wrong."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "<":
            end = text.find(">", i)
            if end < 0:
                raise HtmlError(f"can't parse entities: Unclosed start tag at byte offset {i}")
            _tag(text[i + 1:end], stack, i)
            i = end + 1
        elif c == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise HtmlError(f"can't parse entities: Character entity expected at byte offset {i}")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif c == ">":
            raise HtmlError(f"can't parse entities: Unexpected end tag at byte offset {i}")
        else:
            out.append(c)
            i += 1
    if stack:
        raise HtmlError(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _tag(inner: str, stack: list[str], offset: int) -> None:
    if inner.startswith("/"):
        name = inner[1:].strip().lower()
        if not stack or stack[-1] != name:
            raise HtmlError(f'can\'t parse entities: Unmatched end tag at byte offset {offset}, expected "</'
                            f'{stack[-1] if stack else ""}>", found "</{name}>"')
        stack.pop()
        return
    match = _START.match(inner)
    if not match or match.group(1).lower() not in ALLOWED:
        raise HtmlError(f'can\'t parse entities: Unsupported start tag "{inner.split(" ")[0]}" at byte offset {offset}')
    name = match.group(1).lower()
    if name == "a" and not re.search(r'href\s*=\s*"[^"<>]*"', match.group(2) or ""):
        raise HtmlError(f"can't parse entities: Can't find href in a tag at byte offset {offset}")
    stack.append(name)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
