"""Media, pure (issue 13): albums cut as Telegram allows, the card's count, t.me links, who sees what."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.domain.media import MediaItem, batches, chat_link, count_line
from bot.rules_loader import load_rules

RULES = Path(__file__).resolve().parents[2] / "rules"
AT = datetime(2026, 1, 5, 1, 4, tzinfo=UTC)


def item(n: int, kind: str) -> MediaItem:
    return MediaItem(n, 1, kind, f"f{n}", None, None, None, "Rina", None, AT, 1001, n)


def test_albums_keep_photos_with_videos_and_put_voice_notes_and_documents_apart() -> None:
    kinds = ["photo", "video", "photo", "voice", "document", "document", "audio", *["photo"] * 12]
    cut = [[i.kind for i in batch] for batch in batches([item(n, k) for n, k in enumerate(kinds)])]
    assert cut == [["photo", "video", "photo"], ["voice"], ["document", "document"], ["audio"], ["photo"] * 10,
                   ["photo"] * 2]


def test_the_count_and_the_links() -> None:
    assert count_line(["video", "photo", "voice", "photo", "photo"]) == "📷 3 · 🎥 1 · 🎙 1"
    assert count_line([]) == ""
    assert chat_link(-1001000000007, 42) == "https://t.me/c/1000000007/42"
    assert chat_link(1001, 42) is None and chat_link(-5123, 42) is None


def test_the_hearse_services_media_stay_with_the_call_center_and_the_hearse_group() -> None:
    rules = load_rules(RULES)
    assert [k for k in rules.agencies if rules.media_to("jenazah", k)] == ["call_center", "jenazah"]
    assert all(rules.media_to("bencana", k) for k in rules.agencies)
