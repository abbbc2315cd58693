"""Outside feeds over HTTP (BMKG's JSON and CAP): one conditional GET with a timeout, every failure a value."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024  # BMKG's answers are a few kB; a body past this is cut and reported as too large


@dataclass(frozen=True)
class Fetched:
    """An answer: 304 (nothing new since the validators we sent) or 200 with its body and new validators."""

    not_modified: bool
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchFailed:
    detail: str  # for the log and the health report: "timeout", "HTTP 503", "ClientConnectorError"


class FeedClient:
    """A session per request: a feed is asked a few times a minute, and nothing is left open at shutdown."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    async def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched | FetchFailed:
        import aiohttp  # here, not at the top: a bot without BMKG's feeds never loads it (a tenth of a second)

        headers = {"User-Agent": "sigap112 (Call Center 112 Kota Ambon)"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout)) as session, \
                    session.get(url, headers=headers, allow_redirects=True) as response:
                if response.status == 304:
                    return Fetched(True, etag=etag, last_modified=last_modified)
                if response.status != 200:
                    return FetchFailed(f"HTTP {response.status}")
                # The whole body, however many pieces it arrives in (content.read(n) gives only what is buffered),
                # up to one byte past the cap so that a too large answer is reported as such.
                buffer = bytearray()
                async for piece in response.content.iter_chunked(65536):
                    buffer += piece[:MAX_BYTES + 1 - len(buffer)]
                    if len(buffer) > MAX_BYTES:
                        break
                body = bytes(buffer)
                return Fetched(False, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        except TimeoutError:
            return FetchFailed("timeout")
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return FetchFailed(type(exc).__name__)
        except asyncio.CancelledError:
            raise
