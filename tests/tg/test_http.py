"""The bot's HTTP (bot/tg/http.py) under python-telegram-bot, against a real HTTP server on 127.0.0.1: parameters
and files arrive as Telegram reads them, Telegram's error answers become PTB's errors, and a slow answer, a
refused connection or a dropped one become TimedOut / NetworkError — what the outbox classifies (tg/errors.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.tg.http import AiohttpRequest

MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": -100, "type": "supergroup", "title": "Grup"}}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, dict[str, Handler], list[tuple[str, dict[str, Any]]]]]:
    """A Bot API stand-in: base URL, the method handlers to set, and what it received (method, parameters;
    files as (filename, content type, bytes))."""
    handlers: dict[str, Handler] = {}
    seen: list[tuple[str, dict[str, Any]]] = []

    async def route(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            params[key] = ((value.filename, value.content_type, value.file.read())
                           if isinstance(value, web.FileField) else value)
        seen.append((method, params))
        return await handlers[method](request)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot", handlers, seen
    finally:
        await runner.cleanup()


def ok(result: Any) -> Handler:
    async def answer(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": result})
    return answer


class Held:
    """A handler that answers only once released; `arrived` is set when a request reached it."""

    def __init__(self) -> None:
        self.arrived, self.release = asyncio.Event(), asyncio.Event()

    async def __call__(self, _request: web.Request) -> web.Response:
        self.arrived.set()
        await self.release.wait()
        return web.json_response({"ok": True, "result": {**MESSAGE, "text": "x"}})


async def bot_on(base_url: str, read_timeout: float = 5.0, connect_timeout: float = 5.0) -> Bot:
    bot = Bot("123:ABC", base_url=base_url,
              request=AiohttpRequest(read_timeout=read_timeout, connect_timeout=connect_timeout),
              get_updates_request=AiohttpRequest(pool_size=1))
    await bot.request.initialize()
    return bot


async def test_a_card_with_buttons_arrives_as_telegram_reads_it(server: Any) -> None:
    base, handlers, seen = server
    handlers["sendMessage"] = ok({**MESSAGE, "text": "LAPORAN"})
    bot = await bot_on(base)
    try:
        buttons = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Diterima", callback_data="a1:1:ack")]])
        sent = await bot.send_message(-100, "🔥 <b>LAPORAN</b> Jl. Sirimau & Co", parse_mode="HTML",
                                      reply_markup=buttons, message_thread_id=5)
    finally:
        await bot.request.shutdown()
    assert sent.message_id == 7
    [(method, params)] = seen
    assert method == "sendMessage" and params["chat_id"] == "-100" and params["message_thread_id"] == "5"
    assert params["text"] == "🔥 <b>LAPORAN</b> Jl. Sirimau & Co" and params["parse_mode"] == "HTML"
    assert json.loads(params["reply_markup"]) == {
        "inline_keyboard": [[{"text": "✅ Diterima", "callback_data": "a1:1:ack"}]]}


async def test_a_picture_is_uploaded_whole_with_its_caption(server: Any) -> None:
    base, handlers, seen = server
    handlers["sendPhoto"] = ok({**MESSAGE, "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1,
                                                      "height": 1}]})
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400  # every byte value, 100 kB
    bot = await bot_on(base)
    try:
        await bot.send_photo(-100, png, caption="Rekap bulanan", filename="rekap.png")
    finally:
        await bot.request.shutdown()
    [(method, params)] = seen
    assert method == "sendPhoto" and params["caption"] == "Rekap bulanan" and params["chat_id"] == "-100"
    filename, content_type, content = params["photo"]
    assert content == png and filename == "rekap.png" and content_type == "image/png"


async def test_telegrams_error_answers_are_ptbs_errors(server: Any) -> None:
    base, handlers, _ = server

    async def refused(_request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 400,
                                  "description": "Bad Request: can't parse entities"}, status=400)

    async def flood(_request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                  "parameters": {"retry_after": 7}}, status=429)

    handlers["sendMessage"], handlers["editMessageText"] = refused, flood
    bot = await bot_on(base)
    try:
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(-100, "<b>")
        with pytest.raises(RetryAfter) as waited:
            await bot.edit_message_text("x", chat_id=-100, message_id=7)
        assert "7" in str(waited.value)
    finally:
        await bot.request.shutdown()


async def test_an_answer_slower_than_the_read_timeout_is_timed_out(server: Any) -> None:
    base, handlers, seen = server
    handlers["sendMessage"] = slow = Held()
    bot = await bot_on(base, read_timeout=0.3)
    try:
        with pytest.raises(TimedOut):
            await bot.send_message(-100, "x")
        assert len(seen) == 1  # it reached the server: a caller must not take it as unsent (tg/errors.py)
    finally:
        slow.release.set()
        await bot.request.shutdown()


async def test_a_refused_or_dropped_connection_is_a_network_error(server: Any) -> None:
    base, handlers, _ = server

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()  # no answer at all: the connection ends
        return web.Response()

    handlers["sendMessage"] = drop
    bot = await bot_on(base)
    try:
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(-100, "x")
        assert not isinstance(dropped.value, TimedOut)
    finally:
        await bot.request.shutdown()
    nobody = await bot_on("http://127.0.0.1:9/bot", connect_timeout=2.0)  # the discard port: nothing listens
    try:
        with pytest.raises(NetworkError):
            await nobody.send_message(-100, "x")
    finally:
        await nobody.request.shutdown()


async def test_no_error_names_the_token(server: Any) -> None:
    """aiohttp's messages quote the URL, and the URL holds the bot's token: what the bot logs and stores of a
    failed request (a connection it waited too long for, a slow answer, a refused connection) does not."""
    base, handlers, _ = server
    handlers["sendMessage"] = slow = Held()
    token = "123:ABC"
    one = Bot(token, base_url=base, request=AiohttpRequest(pool_size=1, read_timeout=5.0, pool_timeout=0.2,
                                                           connect_timeout=0.2))
    await one.request.initialize()
    refused = await bot_on("http://127.0.0.1:9/bot", connect_timeout=2.0)
    try:
        first = asyncio.ensure_future(one.send_message(-100, "x"))  # holds the one connection
        await slow.arrived.wait()  # the first request holds the pool's one connection now
        with pytest.raises(TimedOut) as waited:
            await one.send_message(-100, "y")
        with pytest.raises(NetworkError) as unreachable:
            await refused.send_message(-100, "x")
        for error in (waited.value, unreachable.value):
            assert token not in str(error) and "ABC" not in error.message, error.message
        slow.release.set()
        assert (await first).message_id == 7
    finally:
        slow.release.set()
        await one.request.shutdown()
        await refused.request.shutdown()


async def test_it_can_be_shut_down_and_started_again() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    for _ in range(2):
        await request.initialize()
        await request.shutdown()
    await request.shutdown()  # twice is harmless
