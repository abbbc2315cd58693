"""Settings from the environment or `.env`: built once in main and passed down, never read at import time."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .domain.rule_schemas import Duration


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and says what to put in `.env`."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./var/sigap112.db"
    rules_dir: Path = Path("./rules")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Jayapura"
    language: str = "id"
    log_level: str = "INFO"
    # Level of the libraries' own logs (PTB, aiosqlite, SQLAlchemy). At DEBUG they print request bodies with
    # callers' names and numbers: raise it only to debug the wire, and delete that log afterwards.
    log_level_libraries: str = "WARNING"
    # Reports one account may file per minute before the bot asks it to slow down (flood guard).
    lapor_per_minute: int = Field(default=10, ge=1)
    # A report draft or guided form left alone this long is dropped (90s, 30m, 2h, 1d); the person is told.
    draft_expiry: Duration = timedelta(hours=2)
    # How long the call log keeps a caller's phone number (30d, 90d); then the number is removed and the call
    # stays, counted in the statistics. A number's history (/nomor, the warning to the call taker) reaches this far.
    call_phone_retention: Duration = timedelta(days=90)
    # Telegram's flood limits as the bot keeps them (messages a minute to one group, a second overall). Leave
    # them unless Telegram changes its limits; the bot stays a little under them (see bot/tg/budget.py).
    telegram_group_per_minute: int = Field(default=20, ge=2)
    telegram_per_second: int = Field(default=30, ge=2)
    # Seconds to wait for Telegram's answer to a send: a slow answer waited for is one copy of a card, a send
    # given up too early and retried would be two.
    telegram_read_timeout: float = Field(default=30.0, gt=0, le=300)
    # How many instances run with this bot token (webhook mode behind a load balancer): Telegram's limits belong
    # to the token, so each instance keeps 1/INSTANCES of them.
    instances: int = Field(default=1, ge=1, le=20)
    # `sender` of CAP 1.2 alerts in exports: an id of this center without spaces, commas, '<' or '&'.
    cap_sender: str = Field(default="callcenter112@ambon.go.id", pattern=r"^[^\s,<&]+$")
    # Webhook mode (`sigap112 run --webhook`): the public https URL Telegram posts to, where this process
    # listens, and the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"  # behind a reverse proxy on the same host; 0.0.0.0 to listen everywhere
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # GET /healthz answers only {"status": ...} unless asked with `Authorization: Bearer <HEALTH_TOKEN>`.
    health_token: SecretStr | None = None
    # The map (Telegram Mini App, bot/tg/miniapp.py): its public https address (Telegram opens nothing else; empty
    # = no map), where polling mode serves it (WEB_PORT empty = not served; in webhook mode it shares the webhook's
    # server), how old Telegram's signed initData may be, and the map tiles (empty = points only, no tiles).
    webapp_url: str | None = None
    web_listen: str = "127.0.0.1"
    web_port: int | None = Field(default=None, ge=1, le=65535)
    webapp_max_age: Duration = timedelta(hours=1)
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Seconds between two sweeps of due follow-ups and scheduled reports.
    sweep_interval: float = Field(default=10.0, gt=0)
    # BMKG's open earthquake feeds (autogempa.json, gempaterkini.json, gempadirasakan.json live under this URL,
    # https://data.bmkg.go.id/DataMKG/TEWS/); empty turns the feed off. Polled every BMKG_POLL_SECONDS (with
    # jitter), each request given up after BMKG_TIMEOUT seconds.
    bmkg_base_url: str | None = None
    bmkg_poll_seconds: float = Field(default=60.0, ge=0.5, le=3600)
    bmkg_timeout: float = Field(default=10.0, gt=0, le=120)
    # BMKG's CAP 1.2 weather warnings: a CAP alert, or an RSS/Atom list of links to alerts; empty turns it off.
    bmkg_cap_url: str | None = None
    # Names this process in outbox leases; must differ between instances that share one database.
    instance_id: str = Field(default_factory=socket.gethostname)
    # The groups (agency keys of the call center, leadership or monitoring) that keep a live board: one message
    # showing every open report, pinned where the bot may pin. `none` for no board anywhere.
    board_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["call_center", "pimpinan", "monitoring"])
    # A board the bot may not pin is re-posted at the bottom at most this often; while reports are open, every
    # board's ages are refreshed (edited in place) at this pace too.
    board_repost_every: Duration = timedelta(minutes=5)

    @field_validator("board_groups", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().lower() in ("none", "-"):
                return []
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_form(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1–256 karakter A-Z, a-z, 0-9, _ atau - (aturan Telegram)")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        local = value.startswith(("http://127.0.0.1", "http://localhost"))
        if not (value.startswith("https://") or local):
            raise ValueError("harus https:// (Telegram hanya membuka Mini App lewat https)")
        return value.rstrip("/") + "/"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu '{value}' tidak dikenal (contoh: Asia/Jayapura)") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("harus diawali http:// atau https://")
        return value.rstrip("/")

    @field_validator("bmkg_base_url", "bmkg_cap_url")
    @classmethod
    def _feed_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("harus diawali http:// atau https:// (kosongkan untuk mematikan)")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("gunakan sqlite+aiosqlite:///path/file.db atau postgresql+asyncpg://user@host/db")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("id", "en"):
            raise ValueError("pilihan: id, en")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(
                "BOT_TOKEN belum diisi: salin .env.example menjadi .env lalu isi BOT_TOKEN dengan token dari "
                "@BotFather (BOT_TOKEN is not set: copy .env.example to .env and put your bot token in it)."
            )
        return self.bot_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            problems.append(f"Pengaturan {name} salah: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("; ".join(problems)) from exc
