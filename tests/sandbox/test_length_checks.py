"""The Bot API emulator measures texts as Telegram does: UTF-16 code units of the text after entity parsing,
4096 for a message, 1024 for a caption, 200 for a callback answer, refused in Telegram's own words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_api import FakeTelegram

GROUP = -100


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    server.add_user(5, "Rina")
    server.add_group(GROUP, "Grup")
    yield server
    server.stop()


def call(fake: FakeTelegram, method: str, **params: Any) -> dict[str, Any]:
    files = params.pop("files", None)
    if files:
        response = httpx.post(f"{fake.url}/bot{fake.token}/{method}", data=params, files=files)
    else:
        response = httpx.post(f"{fake.url}/bot{fake.token}/{method}", json=params)
    return response.json()  # type: ignore[no-any-return]


def test_it_counts_a_message_in_utf16_units_after_entity_parsing(fake: FakeTelegram) -> None:
    html = "<b>" + "&amp;" * 2000 + "🚒" * 1048 + "</b>"  # 5000+ characters of HTML, 4096 units shown
    assert call(fake, "sendMessage", chat_id=GROUP, text=html, parse_mode="HTML")["ok"]
    refused = call(fake, "sendMessage", chat_id=GROUP, text="🚒" * 2049)
    assert refused["description"] == "Bad Request: message is too long"
    assert len(fake.violations) == 1
    fake.violations.clear()


def test_it_refuses_a_long_caption_and_a_long_callback_answer_in_telegrams_words(fake: FakeTelegram) -> None:
    photo = {"photo": ("chart.png", b"\x89PNG...", "image/png")}
    refused = call(fake, "sendPhoto", chat_id=str(GROUP), caption="🚒" * 513, files=photo)
    assert refused["description"] == "Bad Request: message caption is too long"
    assert call(fake, "sendPhoto", chat_id=str(GROUP), caption="🚒" * 512, files=photo)["ok"]
    fake.pending_queries.update({"1", "2"})
    assert call(fake, "answerCallbackQuery", callback_query_id="1", text="🚒" * 100)["ok"]
    refused = call(fake, "answerCallbackQuery", callback_query_id="2", text="🚒" * 101)
    assert refused["description"] == "Bad Request: MESSAGE_TOO_LONG"
    assert len(fake.violations) == 2
    fake.violations.clear()
