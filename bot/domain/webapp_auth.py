"""Telegram's signed Mini App `initData`, checked as Telegram documents it ("Validating data received via the Mini
App"): the data-check-string is every field but `hash` as sorted `key=value` lines joined by newlines; the secret key
is HMAC-SHA256 of the bot token under the key "WebAppData"; the hash is HMAC-SHA256 of the data-check-string under
that secret, in hex. A maximum age stops an old, leaked initData from opening the map for ever."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA = 4096  # Telegram's initData is a few hundred bytes; anything far longer is not from Telegram


class InitDataError(ValueError):
    """Missing, forged, malformed or too old: the request gets 401."""


@dataclass(frozen=True)
class WebAppUser:
    id: int
    name: str
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it (for the tests, the benchmark and the demo)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def verify(init_data: str | None, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("missing")
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError as exc:
        raise InitDataError("malformed") from exc
    given = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("forged")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise InitDataError("malformed") from exc
    if now - auth_date > max_age or auth_date - now > timedelta(minutes=5):
        raise InitDataError("expired")
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return WebAppUser(user_id, name[:200], auth_date)
