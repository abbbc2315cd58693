"""The Bot API emulator sends media by file_id under Telegram's rules: known ids only, of the right type; albums
of 2-10 items where photos and videos mix but audio and documents keep to themselves; captions of 1024 units."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_api import FakeTelegram

GROUP = -100
USER = 5


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    server.add_user(USER, "Rina")
    server.add_group(GROUP, "Grup")
    yield server
    server.stop()


def call(fake: FakeTelegram, method: str, **params: Any) -> dict[str, Any]:
    return httpx.post(f"{fake.url}/bot{fake.token}/{method}", json=params).json()  # type: ignore[no-any-return]


def test_a_file_id_someone_sent_can_be_sent_on_and_an_unknown_one_is_refused(fake: FakeTelegram) -> None:
    photo = fake.send_media(USER, USER, "photo", caption="api")["photo"][-1]["file_id"]
    voice = fake.send_media(USER, USER, "voice")["voice"]["file_id"]
    sent = call(fake, "sendPhoto", chat_id=GROUP, photo=photo, caption="<b>112</b>", parse_mode="HTML")
    assert sent["ok"] and sent["result"]["photo"][-1]["file_id"] == photo and sent["result"]["caption"] == "112"
    assert call(fake, "sendVoice", chat_id=GROUP, voice=voice)["ok"]
    assert call(fake, "sendPhoto", chat_id=GROUP, photo="nope")["description"] == \
        "Bad Request: wrong file identifier/HTTP URL specified"
    assert "can't use file of type Voice" in call(fake, "sendPhoto", chat_id=GROUP, photo=voice)["description"]
    assert [fake.media_of(s)["kind"] for s in fake.media_sent(GROUP)] == ["photo", "voice"]


def test_albums_follow_telegrams_rules(fake: FakeTelegram) -> None:
    ids = {kind: fake.new_file(kind)["file_id"] for kind in ("photo", "video", "audio", "document")}
    extra = fake.new_file("photo")["file_id"]

    def album(*items: tuple[str, str]) -> dict[str, Any]:
        return call(fake, "sendMediaGroup", chat_id=GROUP,
                    media=[{"type": kind, "media": file_id, "caption": "x"} for kind, file_id in items])

    mixed = album(("photo", ids["photo"]), ("video", ids["video"]), ("photo", extra))
    assert mixed["ok"] and len({m["media_group_id"] for m in mixed["result"]}) == 1
    assert not album(("photo", ids["photo"]))["ok"]
    assert not album(*[("photo", ids["photo"])] * 11)["ok"]
    assert "document can't be mixed" in album(("photo", ids["photo"]), ("document", ids["document"]))["description"]
    assert "audio can't be mixed" in album(("audio", ids["audio"]), ("video", ids["video"]))["description"]
    long = call(fake, "sendMediaGroup", chat_id=GROUP, media=[
        {"type": "photo", "media": ids["photo"], "caption": "🚒" * 513}, {"type": "photo", "media": extra}])
    assert long["description"] == "Bad Request: message caption is too long"
    assert [len(a) for a in fake.albums(GROUP)] == [3]


def test_people_send_albums_stickers_and_forwards(fake: FakeTelegram) -> None:
    items = fake.send_album(USER, USER, ["photo", "photo", "video"], caption="dari WA", forwarded_from="Warga")
    assert len({m["media_group_id"] for m in items}) == 1 and items[0]["caption"] == "dari WA"
    assert items[0]["forward_origin"]["sender_user_name"] == "Warga"
    assert "sticker" in fake.send_other(USER, USER, "sticker")
    assert len(fake.updates) == 4
