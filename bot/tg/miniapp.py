"""The map as a Telegram Mini App, served by aiohttp under /peta/: the page and its assets (Leaflet from the
package, no CDN), and three JSON/PNG requests signed with Telegram's initData (`Authorization: tma <initData>`).
Forged, expired or missing initData gets 401; a valid one from someone the database does not know gets 403.
In webhook mode the routes join the webhook's server; in polling mode they get their own (WEB_PORT)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
import time
from pathlib import Path

from aiohttp import web
from telegram import ChatMember

from ..clock import utcnow
from ..config import Settings
from ..domain.map_view import Viewer
from ..domain.webapp_auth import InitDataError, verify
from ..services import map_data
from ..services.context import Services
from .context import App

log = logging.getLogger(__name__)
PREFIX = "/peta"
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
MEMBER_STATUSES = {"creator", "administrator", "member", "restricted"}
VIEWER_TTL = 60.0  # seconds a viewer's rights are remembered: a changed role or binding counts within a minute
CHART_TTL = 60.0
# Defence in depth: even a report text that slipped past textContent could run no script of its own, nor send data
# anywhere but here. Tiles are images from anywhere over https (MAP_TILE_URL); charts are blob: URLs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'")


def in_group(member: object) -> bool:
    """A getChatMember answer that makes its person a member now. "restricted" is also the status of someone
    restricted who has LEFT the group (is_member false): no right from that group."""
    if not isinstance(member, ChatMember) or member.status not in MEMBER_STATUSES:
        return False
    return member.status != ChatMember.RESTRICTED or bool(getattr(member, "is_member", True))


class MiniApp:
    def __init__(self, application: App, settings: Settings) -> None:
        self.app = application
        self.token = settings.token()
        self.max_age = settings.webapp_max_age
        tiles = settings.map_tile_url.strip()
        self.tile_url = None if tiles.lower() in ("", "none", "off") else tiles  # none: the gazetteer's points only
        self._viewers: dict[int, tuple[float, Viewer | None]] = {}
        self._charts: dict[str, tuple[float, bytes]] = {}
        # one drawing per period at a time: viewers arriving together wait for it instead of drawing it again
        self._chart_locks: dict[str, asyncio.Lock] = {p: asyncio.Lock() for p in map_data.CHART_PERIODS}

    @property
    def services(self) -> Services:
        return self.app.bot_data.services

    async def viewer(self, request: web.Request) -> Viewer:
        header = request.headers.get("Authorization", "")
        init_data = header.removeprefix("tma ") if header.startswith("tma ") else None
        try:
            user = verify(init_data, self.token, utcnow(), self.max_age)
        except InitDataError as exc:
            raise web.HTTPUnauthorized(text=str(exc)) from exc
        cached = self._viewers.get(user.id)
        if cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + VIEWER_TTL, await self._rights(user.id))
            self._viewers[user.id] = cached
        if cached[1] is None:
            raise web.HTTPForbidden(text="forbidden")
        return cached[1]

    async def _rights(self, user_id: int) -> Viewer | None:
        """Registered people by their role; anyone else by the bound groups they are a member of."""
        registered = await map_data.registered_viewer(self.services, user_id)
        if registered is not None:
            return registered
        groups = await map_data.bound_groups(self.services)
        answers = await asyncio.gather(*(self.app.bot.get_chat_member(chat_id, user_id) for chat_id, _ in groups),
                                       return_exceptions=True)
        # An error (not a member, the group gone, Telegram down) gives no right from that group.
        member_of = [key for (_, key), member in zip(groups, answers, strict=True) if in_group(member)]
        return map_data.group_viewer(self.services, user_id, member_of)

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html",
                                headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP})

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (STATIC / name).resolve()
        if path.parent not in (STATIC, STATIC / "images") or not path.is_file():
            raise web.HTTPNotFound()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600", "Content-Type": kind})

    async def places(self, request: web.Request) -> web.Response:
        viewer = await self.viewer(request)
        tr = self.services.tr
        body = {**map_data.places(self.services), "tiles": self.tile_url, "audience": viewer.audience.value,
                "texts": {key: str(tr(f"map.{key}", count="{count}")) for key in PAGE_TEXTS}}
        return web.json_response(body)

    async def reports(self, request: web.Request) -> web.Response:
        """The open reports; unchanged since the page's last poll, only 304 goes back over the mobile network."""
        viewer = await self.viewer(request)
        began = time.perf_counter()
        body = await map_data.open_reports(self.services, viewer, utcnow())
        updated = body.pop("updated")  # the clock alone is no change
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        tag = f'"{hashlib.blake2b(raw, digest_size=12).hexdigest()}"'
        spent = (time.perf_counter() - began) * 1000
        headers = {"Cache-Control": "no-cache", "ETag": tag, "Server-Timing": f"data;dur={spent:.1f}",
                   "X-Updated": updated}
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers=headers)
        response = web.Response(body=raw, content_type="application/json", headers=headers)
        response.enable_compression()  # JSON shrinks about tenfold; aiohttp only compresses when asked (gzip)
        return response

    async def chart(self, request: web.Request) -> web.Response:
        await self.viewer(request)
        which = request.match_info["which"]
        if which not in map_data.CHART_PERIODS:
            raise web.HTTPNotFound()
        async with self._chart_locks[which]:
            cached = self._charts.get(which)  # looked at inside the lock: drawn meanwhile by another viewer
            if cached is None or cached[0] < time.monotonic():
                cached = (time.monotonic() + CHART_TTL, await map_data.recap_chart(self.services, which, utcnow()))
                self._charts[which] = cached
        return web.Response(body=cached[1], content_type="image/png", headers={"Cache-Control": "no-store"})


PAGE_TEXTS = ("title", "tab_map", "tab_recap", "all_categories", "all_kecamatan", "all_agencies", "none_open",
              "updated", "approx", "silent", "age", "close", "today", "month", "offline", "refused", "open_count",
              "status.unanswered", "status.answered", "status.on_scene", "status.confirming", "outside")


def add_routes(web_app: web.Application, application: App, settings: Settings) -> None:
    mini = MiniApp(application, settings)
    web_app.router.add_get(f"{PREFIX}/", mini.index)
    web_app.router.add_get(f"{PREFIX}/static/{{name:[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?}}", mini.static)
    web_app.router.add_get(f"{PREFIX}/api/places", mini.places)
    web_app.router.add_get(f"{PREFIX}/api/reports", mini.reports)
    web_app.router.add_get(f"{PREFIX}/api/chart/{{which}}.png", mini.chart)


async def start_server(application: App, settings: Settings) -> web.AppRunner | None:
    """Polling mode: the map on its own port (WEB_PORT); nothing when it is not set."""
    if settings.web_port is None:
        if settings.webapp_url:
            log.warning("WEBAPP_URL is set but WEB_PORT is empty: in polling mode the map is not served")
        return None
    web_app = web.Application()
    add_routes(web_app, application, settings)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.web_listen, settings.web_port).start()
    log.info("map (Mini App) on %s:%s%s/", settings.web_listen, settings.web_port, PREFIX)
    return runner
