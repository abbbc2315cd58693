"""The one place python-telegram-bot keyboards are built, as pure functions of a button spec from the domain:
rows of (label, callback data) — a card's steps, a digest's ✅, a confirmation (services/outbox.py's `Job`) —
or a form `Prompt` whose labels are still catalogue keys (domain/form.py). And back: a markup's callback data."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from ..domain.form import Prompt
from ..i18n import Catalogue

Rows = Sequence[Sequence[tuple[str, str]]]  # rows of (label, callback data)


def keyboard(rows: Rows) -> InlineKeyboardMarkup:
    """The markup of these rows; no rows make an empty keyboard (which, on an edit, removes the buttons)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def form_keyboard(prompt: Prompt, tr: Catalogue) -> InlineKeyboardMarkup | None:
    if not prompt.buttons:
        return None
    return keyboard([[(tr(b.label_key) if b.label_key else b.label, b.data) for b in row] for row in prompt.buttons])


def callback_datas(markup: InlineKeyboardMarkup | None) -> list[str]:
    """Every button's callback data, in order (buttons without any are left out)."""
    datas = [b.callback_data for row in markup.inline_keyboard for b in row] if markup else []
    return [d for d in datas if isinstance(d, str)]


def map_keyboard(label: str, webapp_url: str, group_link: str | None) -> InlineKeyboardMarkup:
    """The map's button: a Mini App button in a private chat; in a group, where Telegram allows web_app buttons
    only in private chats, a link that opens the bot's Main Mini App (t.me/<bot>?startapp)."""
    if group_link is not None:
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=group_link)]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, web_app=WebAppInfo(webapp_url))]])
