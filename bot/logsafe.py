"""Log lines without callers' data. SQL parameters are hidden at the engine (hide_parameters); what PostgreSQL
itself quotes back in an error ("DETAIL: Failing row contains (…, Ibu Maria, +62812…)", "Key (…)=(…)") is cut
here, from every line and traceback any logger writes; so is the bot's token in a Bot API URL a library quotes."""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "[hidden: may hold personal data]"
_DETAIL = re.compile(r"^(\s*DETAIL:\s*).*$", re.MULTILINE)
_ROW = re.compile(r"(Failing row contains ).*$", re.MULTILINE)
_KEY = re.compile(r"(Key \([^)]*\)=)\(.*?\)(?= |$)", re.MULTILINE)
_PARAMETERS = re.compile(r"(\[parameters: ).*$", re.MULTILINE)
# A Bot API URL quoted by a library's error carries the bot's token (…/bot123456:AA…/sendMessage).
_TOKEN = re.compile(r"(/bot)\d+:[\w-]+")


def redact(text: str) -> str:
    for pattern in (_DETAIL, _ROW, _KEY, _PARAMETERS):
        text = pattern.sub(lambda m: m.group(1) + HIDDEN, text)
    return _TOKEN.sub(r"\1<token>", text)


class RedactingFormatter(logging.Formatter):
    """The usual format, with database error details (which quote rows' values) removed."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str, libraries: str, chatty: tuple[str, ...]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    for name in chatty:
        logging.getLogger(name).setLevel(libraries.upper())
