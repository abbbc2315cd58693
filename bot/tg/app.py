"""The one wiring function: handlers in order, the outbox sender started and stopped with the application."""

from __future__ import annotations

import asyncio
import logging

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

from ..config import Settings
from ..domain.model import COMMANDS_BY_ROLE, Role
from ..services import people
from ..services.context import Services
from . import desk_handlers, handlers, shift_handlers, stats_handlers
from .budget import Budget, BudgetLimiter
from .processor import PerChatProcessor, Triage
from .sender import OutboxSender

log = logging.getLogger(__name__)


def build_application(settings: Settings, services: Services,
                      webhook: bool = False) -> Application:  # type: ignore[type-arg]
    # No PTB Updater: updates arrive through our own polling loop or web server, and are stored in the inbox
    # before Telegram is told they arrived (tg/inbox.py, tg/webhook.py).
    builder = Application.builder().updater(None)
    budget = Budget(settings.telegram_group_per_minute, settings.telegram_per_second, share=settings.instances)
    app = (
        builder
        .token(settings.token())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        # The scheduler's zone comes from Defaults.tzinfo (PTB configures APScheduler with it).
        .defaults(Defaults(tzinfo=settings.tz))
        # A slow answer from Telegram is awaited rather than taken for a failure: a send retried after a read
        # timeout would post a second copy of a card Telegram had already accepted.
        .read_timeout(settings.telegram_read_timeout)
        .rate_limiter(BudgetLimiter(budget))  # every post into a chat, replies and outbox alike
        # a wait in one chat does not hold up the others; strangers and chatter are rationed, never staff
        .concurrent_updates(PerChatProcessor(Triage(lambda: people.known(services))))
        .post_init(_start_sender)
        .post_stop(_stop_sender)
        .build()
    )
    app.bot_data["services"] = services
    app.bot_data["holder"] = settings.instance_id
    app.bot_data["budget"] = budget
    # Handler group 0, first match wins: edits (never new input), commands, then form buttons, then any other
    # button, then plain text (private chats, or replies to the bot in groups), then locations, then a group's
    # move to a supergroup.
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, handlers.edited))
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("whoami", handlers.whoami))
    app.add_handler(CommandHandler(["bantuan", "help"], handlers.bantuan))
    app.add_handler(CommandHandler("daftar_grup", handlers.daftar_grup))
    app.add_handler(CommandHandler(["lapor", "report"], handlers.lapor))
    app.add_handler(CommandHandler("batal", handlers.batal))
    for name, callback in (("tutup", desk_handlers.tutup), ("buka", desk_handlers.buka),
                           ("tambah", desk_handlers.tambah), ("prioritas", desk_handlers.prioritas),
                           ("catatan", desk_handlers.catatan), ("status", desk_handlers.status),
                           ("aktif", desk_handlers.aktif), ("tunda", shift_handlers.tunda),
                           ("serahterima", shift_handlers.serahterima), ("mulai_shift", shift_handlers.mulai_shift),
                           ("akhiri_shift", shift_handlers.akhiri_shift), ("rekap", stats_handlers.rekap),
                           ("kesehatan", shift_handlers.kesehatan)):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(handlers.form_button, pattern=r"^f1:"))
    app.add_handler(CallbackQueryHandler(desk_handlers.agency_button, pattern=r"^a1:"))
    app.add_handler(CallbackQueryHandler(desk_handlers.confirm_button, pattern=r"^c1:"))
    app.add_handler(CallbackQueryHandler(desk_handlers.phone_button, pattern=r"^p1:"))
    app.add_handler(CallbackQueryHandler(handlers.unknown_button))
    to_bot = filters.ChatType.PRIVATE | filters.REPLY
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & to_bot, handlers.text_message))
    app.add_handler(MessageHandler(filters.LOCATION, handlers.location))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.migrated))
    app.add_handler(ChatMemberHandler(handlers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(TypeHandler(Update, handlers.seen), group=-1)  # before everything: note the time
    app.add_error_handler(handlers.on_error)
    # The schedule lives in the database; this job only looks at it. Times are computed in the configured
    # zone by the services; the scheduler itself runs in that zone too (Defaults above).
    assert app.job_queue is not None
    app.job_queue.run_repeating(shift_handlers.sweep_job, interval=settings.sweep_interval, first=1,
                                name="followup-sweep")
    return app


async def _start_sender(app: Application) -> None:  # type: ignore[type-arg]
    services: Services = app.bot_data["services"]
    sender = OutboxSender(app.bot, services, app.bot_data["holder"], app.bot_data["budget"])
    app.bot_data["sender"] = sender
    app.bot_data["sender_task"] = asyncio.create_task(sender.run(), name="outbox")
    await _register_commands(app, services)


async def _stop_sender(app: Application) -> None:  # type: ignore[type-arg]
    task: asyncio.Task[None] | None = app.bot_data.pop("sender_task", None)
    sender: OutboxSender | None = app.bot_data.pop("sender", None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if sender is not None:
        await sender.stop()


async def _register_commands(app: Application, services: Services) -> None:  # type: ignore[type-arg]
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
