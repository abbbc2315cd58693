"""Photos, videos, voice notes, audio and documents on an incident: which kinds there are, how Telegram lets them
travel together (albums), how a card counts them, and what the exports call them. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    VOICE = "voice"
    AUDIO = "audio"
    DOCUMENT = "document"
    LOCATION = "location"  # a responder's location reply: file_id holds "lat,lon"; relayed as a map link


ICONS = {MediaKind.PHOTO: "📷", MediaKind.VIDEO: "🎥", MediaKind.VOICE: "🎙", MediaKind.AUDIO: "🎵",
         MediaKind.DOCUMENT: "📄", MediaKind.LOCATION: "📍"}
# Which kinds may share one album (sendMediaGroup): photos with videos, audio with audio, documents with
# documents; a voice note never goes in an album.
FAMILY = {MediaKind.PHOTO: "visual", MediaKind.VIDEO: "visual", MediaKind.AUDIO: "audio",
          MediaKind.DOCUMENT: "document"}
ALBUM_MAX = 10
# No size limit of our own: Telegram caps what a person can send (2 GB, 4 GB with Premium) and a bot re-sends any
# file_id whatever its size; only a bot's downloads (20 MB) and uploads (50 MB) are capped, and the bot does
# neither (the exports carry a link and the size, not the file).
DEFAULT_MIME = {MediaKind.PHOTO: "image/jpeg", MediaKind.VIDEO: "video/mp4", MediaKind.VOICE: "audio/ogg",
                MediaKind.AUDIO: "audio/mpeg", MediaKind.DOCUMENT: "application/octet-stream"}
# What people send that is no media the bot keeps: each gets a short answer (catalogue key media_refused.<what>).
REFUSED = ("sticker", "poll", "contact", "dice", "animation", "video_note", "game", "venue", "story")


@dataclass(frozen=True)
class MediaItem:
    """One stored photo, video, voice note, audio or document of an incident."""

    id: int
    incident_id: int | None
    kind: str  # a MediaKind
    file_id: str
    mime_type: str | None
    file_size: int | None
    caption: str | None
    by_name: str
    agency_key: str | None  # the responding agency it came from; None for the call center
    at: datetime
    source_chat_id: int
    source_message_id: int

    @property
    def mime(self) -> str:
        return self.mime_type or DEFAULT_MIME.get(MediaKind(self.kind), "application/octet-stream")


def count_line(kinds: Iterable[str]) -> str:
    """'📷 3 · 🎥 1 · 🎙 1' (kinds in a fixed order; empty when there is nothing)."""
    kinds = list(kinds)
    return " · ".join(f"{ICONS[k]} {kinds.count(k)}" for k in MediaKind if kinds.count(k))


def batches(items: Sequence[MediaItem]) -> list[list[MediaItem]]:
    """How items go out: in their order, runs of one album family cut into albums of at most 10; a voice note
    (or an album family of one item) goes alone."""
    out: list[list[MediaItem]] = []
    for item in items:
        family = FAMILY.get(MediaKind(item.kind))
        last = out[-1] if out else None
        if (family is not None and last is not None and FAMILY.get(MediaKind(last[0].kind)) == family
                and len(last) < ALBUM_MAX):
            last.append(item)
        else:
            out.append([item])
    return out


def chat_link(chat_id: int, message_id: int) -> str | None:
    """A t.me/c link to a message in a supergroup (whose id is -100 followed by the internal id); None elsewhere."""
    text = str(chat_id)
    if not text.startswith("-100") or message_id <= 0:
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"
