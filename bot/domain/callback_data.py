"""Callback data: a tiny versioned protocol, always <= 64 bytes. Anything malformed decodes to None."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_FORM = re.compile(r"^f1:(\d{1,12}):([a-z]{1,6}):([0-9A-Za-z_.\-]{0,32})$")


@dataclass(frozen=True)
class FormPress:
    """A button of the guided /lapor form: op is the step or action, value what was chosen."""

    draft_id: int
    op: str
    value: str = ""

    def encode(self) -> str:
        data = f"f1:{self.draft_id}:{self.op}:{self.value}"
        if len(data.encode()) > MAX_BYTES or not _FORM.match(data):
            raise ValueError(f"callback data out of protocol: {data!r}")
        return data


def decode(data: str | None) -> FormPress | None:
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    match = _FORM.match(data)
    if match:
        return FormPress(int(match.group(1)), match.group(2), match.group(3))
    return None
