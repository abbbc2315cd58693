"""The framework's floor for the latency benchmark: a bare python-telegram-bot bot that receives /lapor and sends
the same number of messages as Sigap 112 does for a fire report (a reply to the call taker and a card with
buttons to each of the 8 groups), all at once, with no parsing, no database and no outbox.

Run by benchmarks/latency_benchmark.py --bare (BOT_TOKEN, TELEGRAM_API_URL, BARE_GROUPS from the environment;
BARE_TRANSPORT=aiohttp gives it Sigap 112's HTTP, bot/tg/http.py, instead of python-telegram-bot's httpx)."""

from __future__ import annotations

import asyncio
import html
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

GROUPS = [int(g) for g in os.environ.get("BARE_GROUPS", "").split(",") if g]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Diterima", callback_data="a1:1:ack"),
                                 InlineKeyboardButton("🚗 Berangkat", callback_data="a1:1:claim")]])


async def lapor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    card = f"🔥 <b>LAPORAN</b>\n{html.escape(message.text)}"
    await asyncio.gather(
        message.reply_text("✅ Laporan tercatat", parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW),
        *(context.bot.send_message(chat_id, card, parse_mode=ParseMode.HTML, reply_markup=BUTTONS,
                                   link_preview_options=NO_PREVIEW) for chat_id in GROUPS))


def main() -> None:
    url = os.environ["TELEGRAM_API_URL"]
    builder = (Application.builder().token(os.environ["BOT_TOKEN"]).base_url(f"{url}/bot")
               .base_file_url(f"{url}/file/bot"))
    if os.environ.get("BARE_TRANSPORT") == "aiohttp":
        from bot.tg.http import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(pool_size=1))
    app = builder.build()
    app.add_handler(CommandHandler("lapor", lapor))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
