"""Telegram's initData check, against a signature computed here step by step as Telegram documents it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from bot.domain.webapp_auth import InitDataError, sign, verify

TOKEN = "123456:ABC-test-token"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
USER = '{"id":1001,"first_name":"Rina","last_name":"","language_code":"id"}'


def telegram_signed(auth_date: int, token: str = TOKEN) -> str:
    fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": USER, "auth_date": str(auth_date)}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) + f"&hash={digest}"


def test_it_accepts_initdata_signed_as_telegram_documents() -> None:
    user = verify(telegram_signed(int(NOW.timestamp()) - 60), TOKEN, NOW, timedelta(hours=1))
    assert user.id == 1001 and user.name == "Rina"


def test_its_own_signature_is_telegrams() -> None:
    fields = {"user": USER, "auth_date": str(int(NOW.timestamp()))}
    assert verify(sign(fields, TOKEN), TOKEN, NOW, timedelta(hours=1)).id == 1001


@pytest.mark.parametrize("init_data", [
    None, "", "hash=", "user=%7B%7D&auth_date=1&hash=00", "x" * 5000, "%%%&&&==",
    telegram_signed(int(NOW.timestamp()), token="999:other-bot"),
    telegram_signed(int(NOW.timestamp())).replace("1001", "1002"),
    telegram_signed(int(NOW.timestamp())) + "&extra=1",
])
def test_it_refuses_missing_forged_or_tampered_initdata(init_data: str | None) -> None:
    with pytest.raises(InitDataError):
        verify(init_data, TOKEN, NOW, timedelta(hours=1))


@pytest.mark.parametrize("age", [timedelta(hours=1, seconds=1), timedelta(days=400), -timedelta(hours=1)])
def test_it_refuses_initdata_too_old_or_from_the_future(age: timedelta) -> None:
    with pytest.raises(InitDataError, match="expired"):
        verify(telegram_signed(int((NOW - age).timestamp())), TOKEN, NOW, timedelta(hours=1))
