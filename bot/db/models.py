"""SQLAlchemy 2 typed models. Tables are singular snake_case; every *_at column is tz-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite hands them back naive, so they are made aware again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Person(Base):
    __tablename__ = "person"
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AgencyGroup(Base):
    """The Telegram group, or topic of a forum supergroup, bound to an agency key (one place per key, one key per
    place: several agencies may share a supergroup, each in its own topic)."""

    __tablename__ = "agency_group"
    __table_args__ = (UniqueConstraint("chat_id", "thread_id", name="uq_agency_group_chat_thread"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_key: Mapped[str] = mapped_column(String(40), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # 0: the whole group
    title: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="ok")
    status_reason: Mapped[str | None] = mapped_column(String(100))
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentCounter(Base):
    """Last number given out per year; incremented in the incident's own transaction, so numbers have no gaps."""

    __tablename__ = "incident_counter"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    # Where the report came from ("msg:<chat>:<message>" or "draft:<id>"): the same update twice is one incident.
    source_key: Mapped[str] = mapped_column(String(100), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    subtype: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(20))
    cap_category: Mapped[str] = mapped_column(String(20))
    kecamatan: Mapped[str | None] = mapped_column(String(60))
    kecamatan_code: Mapped[str | None] = mapped_column(String(20))
    village: Mapped[str | None] = mapped_column(String(100))
    village_code: Mapped[str | None] = mapped_column(String(20))
    outside_city: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_phone: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    origin: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="open", index=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Raised by one at every change that re-renders the cards (touch_incident): what a copy was rendered from.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivery_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_name: Mapped[str | None] = mapped_column(String(200))
    confirmation: Mapped[str | None] = mapped_column(String(20))  # confirmed | unreachable
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IncidentTarget(Base):
    """One agency that must act on an incident."""

    __tablename__ = "incident_target"
    __table_args__ = (Index("uq_incident_target_incident_agency", "incident_id", "agency_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    agency_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_by: Mapped[int | None] = mapped_column(BigInteger)
    status_by_name: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    note_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note_by_name: Mapped[str | None] = mapped_column(String(200))
    # Recorded by the call center for the agency (/catat): the name is the desk person's; the card says so.
    status_by_desk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note_by_desk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Delivery(Base):
    """The outbox: one row per message to send, written in the same transaction as the change it reports."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"), Index("ix_delivery_sent_at", "sent_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # card | notice
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    agency_key: Mapped[str | None] = mapped_column(String(40))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # for notices to a person or a fixed chat
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # that fixed chat's forum topic (None: the chat)
    text: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A reply to the agency's card of the incident, found when it is sent (after the card, if that is on its way).
    reply_to_card: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(300))


class PostedMessage(Base):
    """Every copy of an incident card the bot posted, so one change can re-render all of them."""

    __tablename__ = "posted_message"
    __table_args__ = (Index("uq_posted_message_chat_message", "chat_id", "message_id", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    agency_key: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Draft(Base):
    """A report being typed; kept until it is submitted or cancelled, so nothing typed is lost."""

    __tablename__ = "draft"
    __table_args__ = (Index("ix_draft_owner", "chat_id", "user_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | submitted | cancelled | replaced
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    step: Mapped[str | None] = mapped_column(String(30))
    # The last typed message applied to the form: the same message replayed from the inbox is not a new answer.
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Event(Base):
    """Append-only audit trail: who did what, where, when, from which state to which."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    agency_key: Mapped[str | None] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Followup(Base):
    """A pending obligation with its schedule: the next rung of its ladder is due at `due_at`.
    The sweep takes a rung with a conditional UPDATE on (id, step), so no rung is ever sent twice."""

    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    agency_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # acknowledge | on_scene | update | resolve
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    step: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | settled | exhausted | cancelled
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ScheduledRun(Base):
    """A periodic report that has been produced (handover, check-in flag, daily recap): one row per period,
    inserted by whichever process gets there first, so several instances never post it twice."""

    __tablename__ = "scheduled_run"
    __table_args__ = (Index("uq_scheduled_run_kind_period", "kind", "period_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    period_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ShiftCheckin(Base):
    __tablename__ = "shift_checkin"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, index=True)
    person_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Heartbeat(Base):
    """Each running instance's last update received and last sweep, for `sigap112 health` and /healthz."""

    __tablename__ = "heartbeat"
    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_update_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sweep_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboxUpdate(Base):
    """The inbox: every update from Telegram, stored before it is acknowledged (polling: before the offset passes
    it; webhook: before the 200), processed from here and marked when its handlers finished. A crash leaves rows
    unprocessed; they are replayed at start-up, and the handlers are idempotent."""

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_pending", "received_by", "processed_at", "update_id"),)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Call(Base):
    """The call log: every call the desk took, reports included (kind "darurat", with its incident). The phone
    (E.164) is removed after the retention; the call stays for the statistics."""

    __tablename__ = "call"
    # ix_call_open_details: a person's call here waiting for its details, found without reading the whole log
    # (every report and every text the desk sends asks).
    __table_args__ = (Index("ix_call_phone_called_at", "phone", "called_at"),
                      Index("ix_call_open_details", "chat_id", "created_by", "details_open"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Where it came from ("msg:<chat>:<message>", "prompt:<chat>:<message>", "incident:<id>"): once per source.
    source_key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    called_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    details_open: Mapped[bool] = mapped_column(Boolean, default=False)  # a reply may still add phone and note
    phone_removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BmkgQuake(Base):
    """A BMKG earthquake event seen by the feeds, and the incident it made. Its key (the time and coordinates first
    seen) makes creating it idempotent; a revision that moves the time or epicentre is found by event_at/lat/lon."""

    __tablename__ = "bmkg_quake"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    magnitude: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float | None] = mapped_column(Float)
    fingerprint: Mapped[str] = mapped_column(String(64))  # what the incident says now
    event_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the latest time and epicentre
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # feed name -> what that feed said last: only a change in the same feed's copy is a revision (the three feeds
    # lag one another; comparing across them would flip an incident back and forth)
    feed_fingerprints: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Where BMKG says it was felt: only some feeds say it (gempaterkini never does), so it is kept once known
    felt: Mapped[str | None] = mapped_column(String(500))
    # The shakemap whose picture went to the groups: not every feed names it (gempaterkini never does), so the
    # first copy that does sends it ("?": seen before this was kept, taken as sent)
    shakemap: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FeedState(Base):
    """An outside feed (BMKG's JSON and CAP): last good poll, last error, validators for conditional requests."""

    __tablename__ = "feed_state"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CapAlert(Base):
    """A BMKG CAP warning already posted (by its identifier): once per alert."""

    __tablename__ = "cap_alert"
    identifier: Mapped[str] = mapped_column(String(200), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- media (issue 13) ----------------------------------------------------------------------------------------
class MediaAlbum(Base):
    """An album (Telegram's media_group_id) being gathered: its items arrive one update each, and it is relayed
    once `due_at` passes with no new item — a timer row, so that a crash loses nothing."""

    __tablename__ = "media_album"
    __table_args__ = (UniqueConstraint("chat_id", "media_group_id", name="uq_media_album_group"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"))  # sent while a draft was open
    chat_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(200))
    agency_key: Mapped[str | None] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="gathering")  # gathering | relayed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MediaItem(Base):
    """A photo, video, voice note, audio or document on an incident, kept by Telegram's file_id (reusable by
    this bot: nothing is downloaded). One row per message a person sent (replays add nothing)."""

    __tablename__ = "media_item"
    __table_args__ = (UniqueConstraint("source_chat_id", "source_message_id", name="uq_media_item_source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    album_id: Mapped[int | None] = mapped_column(ForeignKey("media_album.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), index=True)  # relayed once it is sent
    kind: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(100))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(Text)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(200))
    agency_key: Mapped[str | None] = mapped_column(String(40))  # a responding agency's evidence; None: the desk
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MediaAttach(Base):
    """/lampir <nomor>: where this person's next media in this chat goes, until `until`."""

    __tablename__ = "media_attach"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    until: Mapped[datetime] = mapped_column(UtcDateTime)


class Board(Base):
    """The live board of a group (call center, leadership, monitoring): the one message kept up to date there,
    whether the bot may pin it, and when it was last posted (a group where it may not pin gets it re-posted at
    the bottom, at most every BOARD_REPOST_EVERY)."""

    __tablename__ = "board"
    agency_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # the forum topic it is in (None: the whole group)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    pinned: Mapped[bool | None] = mapped_column(Boolean)  # None: not known yet (never tried)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last sent (posted or edited)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatsCount(Base):
    """Statistics roll-up: how many incidents (or calls) of a WIT day fall under one key of one dimension
    (bot/domain/rollups.py). Written in the transaction of the change it counts; `sigap112 stats rebuild`."""

    __tablename__ = "stats_count"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatsResponse(Base):
    """Statistics roll-up: a response-time histogram per WIT day (of the report), agency and step: how many
    durations start at `bucket` seconds (bot/domain/histogram.py), and how many of them were within the deadline."""

    __tablename__ = "stats_response"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
    inside: Mapped[int] = mapped_column(Integer, default=0)


class StatsResponseMonth(Base):
    """The same histograms summed per calendar month (`day` is the month's first day): a year's recap reads 12
    of these per agency and step instead of 365, written together with the day's."""

    __tablename__ = "stats_response_month"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
    inside: Mapped[int] = mapped_column(Integer, default=0)


class StatsState(Base):
    """What the roll-ups were built for (time zone and deadlines): a different fingerprint means rebuild."""

    __tablename__ = "stats_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
