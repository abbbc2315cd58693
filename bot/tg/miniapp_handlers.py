"""/peta opens the map: a Mini App button in a private chat, a t.me link in a group; and the menu button of every
private chat opens it too (setChatMenuButton)."""

from __future__ import annotations

import logging

from telegram import MenuButtonWebApp, Update, WebAppInfo

from ..services import people
from .common import reply, said
from .context import App, Context
from .keyboards import map_keyboard

log = logging.getLogger(__name__)


async def peta(update: Update, context: Context) -> None:
    """/peta: anyone registered, or in a bound group, gets the map's button; strangers get nothing."""
    if (got := said(update)) is None:
        return
    svc = context.services
    info = await people.who_am_i(svc, got.user.id, got.chat.id)
    if info.role is None and info.group_key is None:
        return
    url = context.bot_data.webapp_url
    if url is None:
        await reply(got.message, svc.tr("map.off"))
        return
    link = None if got.private else f"https://t.me/{context.bot.username}?startapp"
    await reply(got.message, svc.tr("map.open_text"), reply_markup=map_keyboard(svc.tr("map.button"), url, link))


async def set_menu_button(app: App) -> None:
    """The menu button of private chats opens the map (the map itself checks who may see it)."""
    url = app.bot_data.webapp_url
    if url is None:
        return
    try:
        await app.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(app.bot_data.services.tr("map.button"),
                                                                        WebAppInfo(url)))
    except Exception:  # a convenience, as the command menu: /peta works without it
        log.warning("could not set the map's menu button", exc_info=True)
