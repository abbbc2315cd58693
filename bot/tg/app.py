"""The one wiring function: handlers in order, the outbox sender started and stopped with the application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from ..clock import utcnow
from ..config import Settings
from ..domain.model import COMMANDS_BY_ROLE, Role
from ..feeds import FeedClient
from ..services import boards, people
from ..services.context import Services
from . import (
    call_handlers,
    card_handlers,
    desk_handlers,
    general_handlers,
    intake_handlers,
    jobs,
    media_handlers,
    miniapp_handlers,
    people_handlers,
    shift_handlers,
    stats_handlers,
)
from .budget import Budget, BudgetLimiter
from .context import CONTEXT_TYPES, App, Context
from .http import AiohttpRequest
from .processor import PerChatProcessor, Triage
from .sender import OutboxSender

log = logging.getLogger(__name__)


# Handler groups, in the order PTB runs them; in each, the first handler whose filter matches takes the update.
BMKG_JOB = "bmkg-feed"
SEEN = -2  # every update: note the time
CARD_REPLIES = -1  # a reply in a group that answers a card stops here (ApplicationHandlerStop); others go on
MAIN = 0  # PTB's default: edits (never new input), commands, form buttons, any other button, plain text (private
#           chats, or replies to the bot in groups), locations, stickers/polls/contacts/dice (a short answer), media
#           (photos, videos, voice, audio, documents), a group's move to a supergroup, the bot's membership


def build_application(settings: Settings, services: Services, webhook: bool = False) -> App:
    # No PTB Updater: updates arrive through our own polling loop or web server, and are stored in the inbox
    # before Telegram is told they arrived (tg/inbox.py, tg/webhook.py).
    budget = Budget(settings.telegram_group_per_minute, settings.telegram_per_second, share=settings.instances)
    app = (
        Application.builder()
        .updater(None)
        .context_types(CONTEXT_TYPES)
        .token(settings.token())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        # The scheduler's zone comes from Defaults.tzinfo (PTB configures APScheduler with it).
        .defaults(Defaults(tzinfo=settings.tz))
        # A slow answer from Telegram is awaited rather than taken for a failure: a send retried after a read
        # timeout would post a second copy of a card Telegram had already accepted. HTTP through aiohttp (http.py).
        .request(AiohttpRequest(read_timeout=settings.telegram_read_timeout))
        .get_updates_request(AiohttpRequest(pool_size=1, read_timeout=settings.telegram_read_timeout))
        .rate_limiter(BudgetLimiter(budget))  # every post into a chat, replies and outbox alike
        # a wait in one chat does not hold up the others; strangers and chatter are rationed, never staff
        .concurrent_updates(PerChatProcessor(Triage(lambda: people.known(services))))
        .post_init(_start_sender)
        .post_stop(_stop_sender)
        .build()
    )
    app.bot_data.wire(services, settings.instance_id)
    app.bot_data.webapp_url = settings.webapp_url
    app.bot_data.sender = OutboxSender(app.bot, services, settings.instance_id, budget)
    app.bot_data.board_keys = boards.board_keys(services, settings.board_groups)
    _add_handlers(app)
    # The schedule lives in the database; this job only looks at it. Times are computed in the configured
    # zone by the services; the scheduler itself runs in that zone too (Defaults above).
    assert app.job_queue is not None
    app.job_queue.run_repeating(jobs.sweep_job, interval=settings.sweep_interval, first=1, name="followup-sweep")
    if settings.bmkg_base_url:  # BMKG's feeds: polled with jitter, so that instances do not ask all at once
        app.job_queue.run_repeating(jobs.bmkg_job, interval=settings.bmkg_poll_seconds, first=1, name=BMKG_JOB,
                                    data=jobs.FeedJob(FeedClient(settings.bmkg_timeout), settings.bmkg_base_url),
                                    job_kwargs={"jitter": settings.bmkg_poll_seconds / 10})
    if settings.bmkg_cap_url:
        app.job_queue.run_repeating(jobs.cap_job, interval=settings.bmkg_poll_seconds, first=1, name="bmkg-cap",
                                    data=jobs.FeedJob(FeedClient(settings.bmkg_timeout), settings.bmkg_cap_url),
                                    job_kwargs={"jitter": settings.bmkg_poll_seconds / 10})
    return app


def _add_handlers(app: App) -> None:
    app.add_handler(TypeHandler(Update, general_handlers.seen), group=SEEN)
    in_group_reply = (filters.TEXT & ~filters.COMMAND & filters.REPLY & ~filters.ChatType.PRIVATE
                      & ~filters.UpdateType.EDITED)
    app.add_handler(MessageHandler(in_group_reply, card_handlers.card_reply), group=CARD_REPLIES)
    location_reply = filters.LOCATION & filters.REPLY & ~filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(location_reply, media_handlers.field_location), group=CARD_REPLIES)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, general_handlers.edited))
    for names, command in COMMANDS:
        app.add_handler(CommandHandler(names, command))
    app.add_handler(CallbackQueryHandler(intake_handlers.form_button, pattern=r"^f1:"))
    app.add_handler(CallbackQueryHandler(card_handlers.agency_button, pattern=r"^a1:"))
    app.add_handler(CallbackQueryHandler(desk_handlers.confirm_button, pattern=r"^c1:"))
    app.add_handler(CallbackQueryHandler(card_handlers.phone_button, pattern=r"^p1:"))
    app.add_handler(CallbackQueryHandler(call_handlers.call_button, pattern=r"^k1:"))
    app.add_handler(CallbackQueryHandler(general_handlers.unknown_button))
    to_bot = filters.ChatType.PRIVATE | filters.REPLY
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & to_bot, intake_handlers.text_message))
    app.add_handler(MessageHandler(filters.LOCATION, intake_handlers.location))
    app.add_handler(MessageHandler(NOT_MEDIA, media_handlers.not_media))  # before documents: a GIF is one too
    app.add_handler(MessageHandler(MEDIA, media_handlers.media_message))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, people_handlers.migrated))
    app.add_handler(MessageHandler(filters.StatusUpdate.FORUM_TOPIC_REOPENED, people_handlers.topic_reopened))
    app.add_handler(ChatMemberHandler(people_handlers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(general_handlers.on_error)


# Media (issue 13): what the bot keeps by file_id, and what it answers with a short refusal.
MEDIA = filters.PHOTO | filters.VIDEO | filters.VOICE | filters.AUDIO | filters.Document.ALL
NOT_MEDIA = (filters.Sticker.ALL | filters.POLL | filters.CONTACT | filters.Dice.ALL | filters.ANIMATION
             | filters.VIDEO_NOTE)
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
COMMANDS: tuple[tuple[str | list[str], Handler], ...] = (
    ("start", people_handlers.start), ("whoami", people_handlers.whoami),
    (["bantuan", "help"], people_handlers.bantuan), ("daftar_grup", people_handlers.daftar_grup),
    (["lapor", "report"], intake_handlers.lapor), ("batal", intake_handlers.batal),
    ("tutup", desk_handlers.tutup), ("buka", desk_handlers.buka), ("tambah", desk_handlers.tambah),
    ("prioritas", desk_handlers.prioritas), ("catatan", desk_handlers.catatan), ("catat", desk_handlers.catat),
    ("kabari", desk_handlers.kabari), ("lepas", desk_handlers.lepas), ("ubah", desk_handlers.ubah),
    ("status", desk_handlers.status),
    ("aktif", desk_handlers.aktif), ("tunda", desk_handlers.tunda), ("serahterima", shift_handlers.serahterima),
    ("mulai_shift", shift_handlers.mulai_shift), ("akhiri_shift", shift_handlers.akhiri_shift),
    ("rekap", stats_handlers.rekap), ("kesehatan", stats_handlers.kesehatan),
    (["panggilan", "call"], call_handlers.panggilan), ("nomor", call_handlers.nomor),
    ("peta", miniapp_handlers.peta),
    ("lampir", media_handlers.lampir),
)


async def _start_sender(app: App) -> None:
    data = app.bot_data
    try:  # the boards are a view: a failure here is logged, and never stops the start
        await boards.ensure(data.services, data.board_keys, utcnow())
    except Exception:
        log.exception("could not set up the live boards")
    if data.sender is not None:
        data.sender_task = asyncio.create_task(data.sender.run(), name="outbox")
    await _register_commands(app, data.services)
    await miniapp_handlers.set_menu_button(app)


async def _stop_sender(app: App) -> None:
    data = app.bot_data
    task, data.sender_task = data.sender_task, None
    if data.sender is not None:
        data.sender.stopping()
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if data.sender is not None:
        await data.sender.stop()  # its workers; a later start runs it again


async def _register_commands(app: App, services: Services) -> None:
    """Indonesian command menus: a minimal one for everyone, the staff's in the groups, and each registered
    person's own in their private chat (what /bantuan lists for their role)."""
    tr = services.tr

    def menu(role: Role | None) -> list[BotCommand]:
        return [BotCommand(c, tr(f"cmd.{c}")) for c in COMMANDS_BY_ROLE[role]]

    try:
        await app.bot.set_my_commands(menu(None), scope=BotCommandScopeAllPrivateChats())
        await app.bot.set_my_commands(menu(Role.ADMIN), scope=BotCommandScopeAllGroupChats())
    except Exception:  # the menu is a convenience; the bot works without it
        log.warning("could not register the command menu with Telegram", exc_info=True)
        return
    people_ = await people.list_users(services)
    for person in people_:
        try:
            await app.bot.set_my_commands(menu(Role(person.role)), scope=BotCommandScopeChat(person.telegram_id))
        except Exception:  # e.g. someone who never opened a chat with the bot
            log.info("no personal command menu for %s", person.telegram_id)
