"""Button specs from the domain -> python-telegram-bot keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..domain.form import Prompt
from ..i18n import Catalogue


def form_keyboard(prompt: Prompt, tr: Catalogue) -> InlineKeyboardMarkup | None:
    if not prompt.buttons:
        return None
    rows = [[InlineKeyboardButton(tr(b.label_key) if b.label_key else b.label, callback_data=b.data) for b in row]
            for row in prompt.buttons]
    return InlineKeyboardMarkup(rows)
