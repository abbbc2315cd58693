"""Webhook mode: PTB's 'custom webhook' pattern on aiohttp. Telegram's secret header is checked in constant time;
/healthz tells a load balancer whether this instance can work; its details (database, outbox backlog per group,
last update) only to whoever holds HEALTH_TOKEN."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from ..clock import utcnow
from ..config import Settings, SettingsError
from ..services import health, inbox
from . import miniapp
from .context import App
from .inbox import finish, initialize, start

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_settings(settings: Settings) -> tuple[str, str, str]:
    if not settings.webhook_url:
        raise SettingsError("WEBHOOK_URL belum diisi: alamat https publik yang diteruskan ke bot, "
                            "misalnya https://bot.ambon.go.id/telegram.")
    if settings.webhook_secret is None:
        raise SettingsError("WEBHOOK_SECRET belum diisi: 1–256 huruf, angka, _ atau -, rahasia bersama dengan "
                            "Telegram.")
    return settings.webhook_url, urlparse(settings.webhook_url).path or "/", settings.webhook_secret.get_secret_value()


def _authorised(request: web.Request, token: str | None) -> bool:
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def make_web_app(application: App, path: str, secret: str,
                 health_token: str | None = None) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="bad request")
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400, text="bad request")
        # Stored before the 200: if this fails Telegram delivers the update again (tg/inbox.py processes it).
        try:
            stored = await inbox.store(application.bot_data.services, [payload], application.bot_data.holder,
                                       utcnow())
        except Exception:
            log.exception("could not store update %s; Telegram will deliver it again", payload["update_id"])
            return web.Response(status=500, text="try again")
        application.bot_data.last_update_at = utcnow()
        processor = application.bot_data.inbox
        if processor is not None:
            await processor.offer(stored)
        return web.Response(text="ok")

    async def healthz(request: web.Request) -> web.Response:
        """Anyone learns only up or down; the details (backlog per group, instances) need the health token."""
        report = await health.check(application.bot_data.services, utcnow(),
                                    application.bot_data.last_update_at)
        status = "ok" if report["database"] == "ok" else "error"
        body = {"status": status, **report} if _authorised(request, health_token) else {"status": status}
        return web.json_response(body, status=200 if status == "ok" else 503)

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(application: App, settings: Settings) -> None:
    url, path, secret = webhook_settings(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not await initialize(application, stop):
        return
    try:
        await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        processor = await start(application)  # replays what a crash left in the inbox
        token = settings.health_token.get_secret_value() if settings.health_token else None
        web_app = make_web_app(application, path, secret, token)
        if settings.webapp_url:
            miniapp.add_routes(web_app, application, settings)  # the map shares the webhook's server
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        log.info("webhook server on %s:%s%s (healthz at /healthz)", settings.webhook_listen, settings.webhook_port,
                 path)
        await stop.wait()
        await runner.cleanup()
        await finish(application, processor)
    finally:
        await application.shutdown()
