"""A fake of BMKG's open data server for the tests and the demo: the earthquake feeds (autogempa.json,
gempaterkini.json, gempadirasakan.json) in BMKG's own shapes under /DataMKG/TEWS/, shakemap pictures beside them,
CAP 1.2 weather warnings and a list of them under /alerts/, with ETag / Last-Modified and scripted faults
(timeouts, 5xx, malformed JSON)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape, unescape

from aiohttp import web

TEWS = "/DataMKG/TEWS"
WIB = timezone(timedelta(hours=7))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def quake(at: datetime, lat: float, lon: float, magnitude: float, depth_km: float = 10, *, region: str = "",
          potential: str = "Tidak berpotensi tsunami", felt: str = "", shakemap: str | None = None) -> dict[str, str]:
    """One event as BMKG writes it (times in WIB, as BMKG's feeds give them; DateTime in UTC with its offset)."""
    local = at.astimezone(WIB)
    entry = {
        "Tanggal": f"{local.day:02d} {MONTHS[local.month - 1]} {local.year}",
        "Jam": f"{local:%H:%M:%S} WIB",
        "DateTime": at.astimezone(UTC).isoformat(timespec="seconds"),
        "Coordinates": f"{lat:.2f},{lon:.2f}",
        "Lintang": f"{abs(lat):.2f} {'LS' if lat < 0 else 'LU'}",
        "Bujur": f"{abs(lon):.2f} {'BT' if lon >= 0 else 'BB'}",
        "Magnitude": f"{magnitude:.1f}",
        "Kedalaman": f"{depth_km:g} km",
        "Wilayah": region or f"Pusat gempa berada di laut {lat:.2f},{lon:.2f}",
        "Potensi": potential,
    }
    if felt:
        entry["Dirasakan"] = felt
    entry["Shakemap"] = shakemap or f"{at.astimezone(WIB):%Y%m%d%H%M%S}.mmi.jpg"
    return entry


def cap_alert(identifier: str, sent: datetime, expires: datetime, area: str, headline: str,
              event: str = "Hujan Lebat", description: str = "") -> str:
    """A BMKG nowcast warning as CAP 1.2 XML (times with their +07:00 offset, as BMKG writes them)."""
    def t(moment: datetime) -> str:
        return moment.astimezone(WIB).isoformat(timespec="seconds")

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{escape(identifier)}</identifier><sender>bmkg.go.id</sender><sent>{t(sent)}</sent>"
        "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>"
        "<info><language>id</language><category>Met</category>"
        f"<event>{escape(event)}</event><urgency>Immediate</urgency><severity>Moderate</severity>"
        f"<certainty>Likely</certainty><effective>{t(sent)}</effective><expires>{t(expires)}</expires>"
        f"<senderName>BMKG</senderName><headline>{escape(headline)}</headline>"
        f"<description>{escape(description or headline)}</description>"
        f"<area><areaDesc>{escape(area)}</areaDesc></area></info></alert>"
    )


def png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid PNG: what a shakemap URL answers here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@dataclass
class FeedFault:
    path: str | None  # None: every path
    kind: str  # timeout | 500 | 502 | 503 | malformed | html | empty
    remaining: int  # -1: until cleared
    seconds: float = 30.0  # for timeouts: how long the answer is held


class FakeBMKG:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.files: dict[str, tuple[bytes, str, datetime]] = {}  # path -> (body, content type, last modified)
        self.faults: list[FeedFault] = []
        self.requests: list[tuple[str, dict[str, str], int]] = []  # (path, conditional headers, status)
        self.terkini: list[dict[str, str]] = []
        self.dirasakan: list[dict[str, str]] = []
        self.cap_alerts: dict[str, str] = {}  # identifier -> XML
        self.latest: dict[str, str] | None = None  # what autogempa.json says
        self.url = ""
        self.split_pause: float | None = None  # set: every body is sent in two pieces with this pause between
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.set_feeds(None)
        self._put_warnings()  # BMKG's list of warnings is always there, empty when none is in force

    # lifecycle --------------------------------------------------------------------------------------------------
    def start(self) -> FakeBMKG:
        threading.Thread(target=self._serve, name="fake-bmkg", daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("fake BMKG did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
            self._done.wait(10)

    @property
    def base_url(self) -> str:
        """What BMKG_BASE_URL is set to."""
        return self.url + TEWS

    @property
    def cap_url(self) -> str:
        """What BMKG_CAP_URL is set to: the list of current warnings (RSS, links to CAP files)."""
        return self.url + "/alerts/rss.xml"

    def _serve(self) -> None:
        self._done = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._main())
        loop.close()
        self._done.set()

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await self._stop_event.wait()
        await runner.cleanup()

    # the world --------------------------------------------------------------------------------------------------
    def publish(self, event: dict[str, str], *, felt: bool = False, replaces: dict[str, str] | None = None,
                latest: bool = True) -> None:
        """A new event (or a revision of one: same DateTime and Coordinates, or those of `replaces` when BMKG's
        revision moved it): the latest in autogempa.json, in gempaterkini.json when M5+, in gempadirasakan.json
        when felt; its shakemap picture is served. `latest=False`: autogempa.json lags (still says what it said),
        until set_feeds(event)."""
        with self._lock:
            keys = {(e["DateTime"], e["Coordinates"]) for e in (event, replaces) if e is not None}
            same = [e for e in self.terkini if (e["DateTime"], e["Coordinates"]) not in keys]
            if float(event["Magnitude"]) >= 5.0:
                same.insert(0, {k: v for k, v in event.items() if k not in ("Dirasakan", "Shakemap")})
            self.terkini = same[:15]
            if felt:
                self.dirasakan = [e for e in self.dirasakan if (e["DateTime"], e["Coordinates"]) not in keys]
                self.dirasakan.insert(0, {k: v for k, v in event.items() if k != "Shakemap"})
                self.dirasakan = self.dirasakan[:15]
            self.set_feeds(event if latest else self.latest)
            if event.get("Shakemap"):
                self._put(f"{TEWS}/{event['Shakemap']}", png(), "image/jpeg")

    def set_feeds(self, latest: dict[str, str] | None) -> None:
        import json

        with self._lock:
            self.latest = latest
            auto: dict[str, Any] = {"Infogempa": {"gempa": latest if latest else []}}
            self._put(f"{TEWS}/autogempa.json", json.dumps(auto).encode(), "application/json")
            self._put(f"{TEWS}/gempaterkini.json", json.dumps({"Infogempa": {"gempa": self.terkini}}).encode(),
                      "application/json")
            self._put(f"{TEWS}/gempadirasakan.json",
                      json.dumps({"Infogempa": {"gempa": self.dirasakan}}).encode(), "application/json")

    def raw(self, feed: str, body: bytes) -> None:
        """Any bytes as a feed's answer (a fuzz case, a half-written file)."""
        with self._lock:
            self._put(f"{TEWS}/{feed}", body, "application/json")

    def warn(self, identifier: str, xml: str) -> None:
        """A CAP warning in the list of current warnings."""
        with self._lock:
            self.cap_alerts[identifier] = xml
            self._put(f"/alerts/{_safe(identifier)}.xml", xml.encode(), "application/xml")
            self._put_warnings()

    def _put_warnings(self) -> None:
        with self._lock:
            # Like BMKG's list: the headline as the title, the areas as the description
            items = "".join(f"<item><title>{escape(_tag(x, 'headline'))}</title><link>{self.url}/alerts/{_safe(i)}.xml"
                            f"</link><description>{escape(_tag(x, 'areaDesc'))}</description>"
                            f"<guid>{escape(i)}</guid></item>" for i, x in self.cap_alerts.items())
            rss = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>{items}</channel></rss>'
            self._put("/alerts/rss.xml", rss.encode(), "application/rss+xml")

    def fail(self, kind: str, *, feed: str | None = None, times: int = 1, seconds: float = 30.0) -> None:
        """The next `times` answers (of one feed, or of any path) fail: timeout | 500 | 502 | 503 | malformed |
        html | empty. times=-1: until clear_faults()."""
        path = None if feed is None else (feed if feed.startswith("/") else f"{TEWS}/{feed}")
        with self._lock:
            self.faults.append(FeedFault(path, kind, times, seconds))

    def split_bodies(self, pause: float | None = 0.3) -> None:
        """Every answer's body in two pieces with a pause between (as BMKG's server sends a 7 kB feed); None: one
        piece again."""
        with self._lock:
            self.split_pause = pause

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests_of(self, feed: str) -> list[tuple[str, dict[str, str], int]]:
        with self._lock:
            return [r for r in self.requests if r[0].endswith(feed)]

    def _put(self, path: str, body: bytes, content_type: str) -> None:
        old = self.files.get(path)
        if old is not None and old[0] == body:
            return
        self.files[path] = (body, content_type, datetime.now(UTC).replace(microsecond=0))

    # serving ----------------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        conditional = {k: v for k, v in request.headers.items() if k.lower() in ("if-none-match", "if-modified-since")}
        with self._lock:
            fault = self._take_fault(path)
            stored = self.files.get(path)
            pause = self.split_pause
        if fault is not None:
            return await self._faulty(fault, path, conditional)
        if stored is None:
            return self._log(path, conditional, web.Response(status=404, text="not found"))
        body, content_type, modified = stored
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if _not_modified(conditional, etag, modified):
            return self._log(path, conditional, web.Response(status=304, headers=headers))
        if pause is None or len(body) < 2:
            return self._log(path, conditional, web.Response(body=body, content_type=content_type, headers=headers))
        response = web.StreamResponse(headers={**headers, "Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(body[:len(body) // 2])
        await asyncio.sleep(pause)  # the second piece comes later: a reader must wait for it
        await response.write(body[len(body) // 2:])
        await response.write_eof()
        self._log(path, conditional, web.Response(status=response.status))
        return response

    async def _faulty(self, fault: FeedFault, path: str, conditional: dict[str, str]) -> web.StreamResponse:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)  # longer than the client waits: it gives up first
            return self._log(path, conditional, web.Response(status=504))
        if fault.kind in ("500", "502", "503"):
            return self._log(path, conditional, web.Response(status=int(fault.kind), text="Service Unavailable"))
        body = {"malformed": b'{"Infogempa": {"gempa": [{"Magnitude": ', "html": b"<html>maintenance</html>",
                "empty": b""}[fault.kind]
        return self._log(path, conditional, web.Response(body=body, content_type="application/json"))

    def _take_fault(self, path: str) -> FeedFault | None:
        for fault in self.faults:
            if fault.path is None or fault.path == path:
                if fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _log(self, path: str, conditional: dict[str, str], response: web.Response) -> web.Response:
        with self._lock:
            self.requests.append((path, conditional, response.status))
        return response


def _not_modified(conditional: dict[str, Any], etag: str, modified: datetime) -> bool:
    headers = {k.lower(): v for k, v in conditional.items()}
    if "if-none-match" in headers:
        return etag in [t.strip() for t in str(headers["if-none-match"]).split(",")]
    if "if-modified-since" in headers:
        try:
            return modified <= parsedate_to_datetime(str(headers["if-modified-since"]))
        except (TypeError, ValueError):
            return False
    return False


def _tag(xml: str, name: str) -> str:
    found = re.search(rf"<{name}>(.*?)</{name}>", xml, re.S)
    return unescape(found.group(1)) if found else ""


def _safe(identifier: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in identifier)[:100]
