"""The Bot API's HTTP through aiohttp: python-telegram-bot's request interface (telegram.request.BaseRequest), with
aiohttp's client in place of PTB's default httpx one. A report's cards go out as 8 requests at once; with httpx
each cost ≈ 1.5 ms of the event loop to build, write and read back (its pure-Python HTTP stack), with aiohttp
≈ 0.2 ms (C-accelerated parser). Everything above the wire — parameters, files, Telegram's answers and errors
— stays PTB's. aiohttp is a dependency already (the webhook and map server, BMKG's feeds).

The timeouts keep httpx's meaning as far as aiohttp has them: `connect` to open a connection, `pool` to wait for a
free one (aiohttp bounds the two together, by their sum), `read` between two pieces of the answer (a slow answer
from Telegram is awaited, see tg/app.py), and `write` — aiohttp has none of its own — bounds the whole request
together with the others, so a stalled upload still ends. No error names the URL: it holds the bot's token."""

from __future__ import annotations

import os
import ssl
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _ssl_context() -> ssl.SSLContext:
    """As httpx chose them: SSL_CERT_FILE / SSL_CERT_DIR when set (a proxy that inspects TLS), else certifi's roots
    (a host without a CA bundle still reaches Telegram), else the system's."""
    cafile, capath = os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with python-telegram-bot's httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """One connection pool (`pool_size` connections at most) for the bot's requests."""

    __slots__ = ("_session", "_pool_size", "_read", "_write", "_connect", "_pool", "_media_write")

    def __init__(self, pool_size: int = 256, read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0,
                 media_write_timeout: float | None = 20.0) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size,
                                             ssl=_ssl_context())
            # trust_env: HTTPS_PROXY / NO_PROXY from the environment, as httpx took them.
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  timeout=aiohttp.ClientTimeout(total=None), trust_env=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = ((self._media_write if files else self._write) if isinstance(write_timeout, DefaultValue)
                 else write_timeout)
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if any(p is None for p in parts) else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect, sock_connect=connect,
            sock_read=read)
        try:
            async with session.request(method, url, data=_body(request_data, files), timeout=timeout) as answer:
                return answer.status, await answer.read()
        # The error's name only: aiohttp's messages quote the URL, which holds the bot's token (logs, the outbox's
        # attempts). The cause stays chained for a traceback, which logsafe cleans of the token.
        except TimeoutError as exc:  # aiohttp's own time-outs (ServerTimeoutError …) are TimeoutErrors
            raise TimedOut(f"Timed out (aiohttp.{type(exc).__name__})") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    """The parameters as a form (as httpx sent them); with files, a multipart form."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=_safe_filename(filename), content_type=mimetype)
    return form


def _safe_filename(name: str) -> str:
    """A file name as it may stand in a multipart header (quote_fields=False leaves it as is): quotes and line
    breaks percent-encoded, as httpx did."""
    return name.replace("%", "%25").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
