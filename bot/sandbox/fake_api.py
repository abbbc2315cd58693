"""A fake Telegram Bot API server on 127.0.0.1 for tests: the real wire format, real error answers, a world of
users and groups, a way to play people typing and pressing buttons, and checks on everything the bot sends.

Runs its own event loop in a thread; the test thread drives it through the thread-safe methods below."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .html_check import HtmlError, to_plain, utf16_len

TOKEN = "123456:TEST-TOKEN-not-real"
BOT_USER = {"id": 700000001, "is_bot": True, "first_name": "Sigap 112", "username": "sigap112_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
ERRORS: dict[str, tuple[int, str]] = {
    "kicked": (403, "Forbidden: bot was kicked from the group chat"),
    "kicked_supergroup": (403, "Forbidden: bot was kicked from the supergroup chat"),
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "chat_not_found": (400, "Bad Request: chat not found"),
    "not_modified": (400, NOT_MODIFIED),
    "bad_html": (400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0"),
    "too_long": (400, "Bad Request: message is too long"),
    "server_error": (500, "Internal Server Error"),
    "bad_gateway": (502, "Bad Gateway"),
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "reply_to_message_id", "user_id"}
# Parameters whose values PTB sends JSON-encoded; everything else (text, captions) is taken as typed.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options", "reply_parameters",
                "entities", "caption_entities", "disable_notification", "protect_content", "show_alert",
                "drop_pending_updates", "disable_web_page_preview"}


# Methods that put something in a chat: these are what Telegram's flood control counts.
COUNTED = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
COUNTED |= {"sendVideo", "sendVoice", "sendAudio", "sendMediaGroup"}  # media (issue 13)


@dataclass(frozen=True)
class Limits:
    """Telegram's flood control as its FAQ describes it, enforced with real 429 answers: at most 20 messages a
    minute to one group (any 60 s window), about 30 a second overall (any 1 s window), and in a private chat
    about one a second with short bursts allowed (a bucket of `private_burst` refilled at one a second)."""

    group_per_minute: int = 20
    overall_per_second: int = 30
    private_burst: int = 10


class FloodControl:
    """Counts what each chat and the bot as a whole were sent, and answers 429 with the wait that would help."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._groups: dict[int, deque[float]] = {}
        self._overall: deque[float] = deque()
        self._private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def wait_needed(self, chat_id: int, now: float) -> float:
        """0 if a message to this chat may go now; otherwise the seconds until it may."""
        waits = [_window_wait(self._overall, self.limits.overall_per_second, 1.0, now)]
        if chat_id < 0:
            waits.append(_window_wait(self._groups.setdefault(chat_id, deque()), self.limits.group_per_minute,
                                      60.0, now))
        else:
            tokens = self._tokens(chat_id, now)
            waits.append(0.0 if tokens >= 1 else 1 - tokens)
        return max(waits)

    def record(self, chat_id: int, now: float) -> None:
        self._overall.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        else:
            self._private[chat_id] = (self._tokens(chat_id, now) - 1, now)

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, at = self._private.get(chat_id, (float(self.limits.private_burst), now))
        return min(float(self.limits.private_burst), tokens + (now - at))


def _window_wait(sent: deque[float], limit: int, window: float, now: float) -> float:
    while sent and sent[0] <= now - window:
        sent.popleft()
    return 0.0 if len(sent) < limit else sent[0] + window - now


@dataclass
class Fault:
    method: str | None
    chat_id: int | None
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int  # -1: until cleared
    containing: str | None = None  # only calls whose text or caption contains this


@dataclass
class Slow:
    """A call Telegram carries out at once but answers only after `seconds` (a slow or lost answer)."""

    method: str
    chat_id: int | None
    seconds: float
    remaining: int  # -1: until cleared


@dataclass
class Sent:
    """A message the bot posted, as the chat shows it now."""

    chat_id: int
    message_id: int
    html: str
    text: str
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    kind: str = "text"
    edits: list[str] = field(default_factory=list)
    file_size: int = 0
    file: bytes | None = None  # what a sendPhoto / sendDocument uploaded
    url: str | None = None  # a photo sent by URL (bmkg-topics)
    thread_id: int | None = None  # the forum topic it was posted in (bmkg-topics)

    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class FakeTelegram:
    def __init__(self, token: str = TOKEN, limits: Limits | None = Limits()) -> None:
        """`limits`: enforce Telegram's flood control (the default); None lets everything through."""
        self.token = token
        self.flood = FloodControl(limits) if limits else None
        self.flood_429s: list[tuple[int, int]] = []  # (chat id, retry_after) of every 429 the limits answered
        self._lock = threading.RLock()
        # Bumped and notified after every Bot API call: a test waiting on what the bot did looks again at once
        # instead of at its next 50 ms poll (conditions on anything else are still polled).
        self._changed = threading.Condition(threading.Lock())
        self._generation = 0
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}  # every message by chat and id (people's too)
        self.sent: dict[int, list[Sent]] = {}
        self.started_private: set[int] = set()
        self.kicked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.updates: list[dict[str, Any]] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self.pending_queries: set[str] = set()
        self.faults: list[Fault] = []
        self.slow_answers: list[Slow] = []
        self._held: list[tuple[str, Any, asyncio.Future[None]]] = []  # slow answers still held: (method, chat, release)
        self.outage_until = 0.0  # time.monotonic() until which every call is answered 502 and no webhook is pushed
        self.acknowledged = 0  # the highest update id the bot has confirmed (getUpdates with a higher offset)
        self.handed_out = 0  # the highest update id a getUpdates answer has carried
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}  # setChatMenuButton by chat (None: the default)
        self.members: dict[int, set[int]] = {}  # getChatMember: who is in which group
        self.get_updates_calls = 0
        self.listeners: list[Callable[[str, int, dict[str, Any]], None]] = []  # (what, chat id, details)
        self.webhook: dict[str, Any] | None = None  # set by setWebhook: url and secret_token
        self.load_balance: list[str] = []  # where webhook updates really go (several instances behind one URL)
        self.webhook_posts: list[tuple[str, int]] = []  # (target, HTTP status) of every delivery
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._new_update: asyncio.Event | None = None
        self.url = ""
        self.unfetchable_urls: set[str] = set()  # bmkg-topics: photo URLs Telegram cannot fetch
        self.topics: dict[int, dict[int, dict[str, Any]]] = {}  # bmkg-topics: forum chat -> thread id -> topic
        self._send_thread: int | None = None

    # lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        threading.Thread(target=self._serve, name="fake-telegram", daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
            self._thread_done.wait(10)

    def _serve(self) -> None:
        self._thread_done = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._main())
        loop.close()
        self._thread_done.set()

    async def _main(self) -> None:
        self._new_update = asyncio.Event()
        self._stop_event = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        pusher = asyncio.create_task(self._push_webhooks())
        await self._stop_event.wait()
        self._new_update.set()  # a long poll still open ends now rather than holding up the shutdown
        pusher.cancel()
        await asyncio.wait([pusher], timeout=2.0)
        await runner.cleanup()

    # the world ------------------------------------------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, username: str | None = None) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        with self._lock:
            self.users[user_id] = user
            self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def add_group(self, chat_id: int, title: str, kind: str = "supergroup") -> dict[str, Any]:
        chat = {"id": chat_id, "type": kind, "title": title}
        with self._lock:
            self.chats[chat_id] = chat
        return chat

    def kick_bot(self, chat_id: int) -> None:
        with self._lock:
            self.kicked.add(chat_id)

    def migrate_group(self, chat_id: int, new_chat_id: int) -> None:
        """The group becomes a supergroup with a new id; the old id answers 'upgraded'."""
        with self._lock:
            chat = dict(self.chats[chat_id], id=new_chat_id, type="supergroup")
            self.chats[new_chat_id] = chat
            self.migrated[chat_id] = new_chat_id

    def announce_migration(self, chat_id: int, new_chat_id: int, by_user: int) -> None:
        """Someone upgrades the group (`migrate_group`), and Telegram posts its two service messages: one with
        `migrate_to_chat_id` in the old chat, one with `migrate_from_chat_id` in the new."""
        self.migrate_group(chat_id, new_chat_id)
        self._push({"message": self._person_message(by_user, chat_id, None, {"migrate_to_chat_id": new_chat_id})})
        self._push({"message": self._person_message(by_user, new_chat_id, None, {"migrate_from_chat_id": chat_id})})

    def fail(self, error: str, *, method: str | None = None, chat_id: int | None = None, times: int = 1,
             retry_after: int | None = None, migrate_to: int | None = None, containing: str | None = None) -> None:
        """Answer the next `times` matching calls with a real Telegram error (times=-1: until cleared);
        `containing`: only calls whose text or caption contains it (a card, not the recap sent at start-up)."""
        parameters = None
        if error == "retry_after":
            status, description = 429, f"Too Many Requests: retry after {retry_after}"
            parameters = {"retry_after": retry_after}
        elif error == "migrated":
            status, description = 400, "Bad Request: group chat was upgraded to a supergroup chat"
            parameters = {"migrate_to_chat_id": migrate_to}
        else:
            status, description = ERRORS[error]
        with self._lock:
            self.faults.append(Fault(method, chat_id, status, description, parameters, times, containing))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self.slow_answers.clear()

    def outage(self, seconds: float) -> None:
        """Telegram is down for `seconds`: every call is answered 502 Bad Gateway, webhooks are not pushed."""
        with self._lock:
            self.outage_until = time.monotonic() + seconds

    def in_outage(self) -> bool:
        return time.monotonic() < self.outage_until

    def slow(self, method: str, seconds: float, *, chat_id: int | None = None, times: int = 1) -> None:
        """The next `times` matching calls take effect at once (the message is in the chat) but are answered only
        after `seconds`, as when Telegram is slow or the answer is lost on the way (times=-1: until cleared)."""
        with self._lock:
            self.slow_answers.append(Slow(method, chat_id, seconds, times))

    def held_answers(self, method: str, chat_id: int | None = None) -> int:
        """How many answers `slow` holds back now (the call took effect; the bot has not heard so yet)."""
        with self._lock:
            return sum(1 for m, chat, _ in self._held if m == method and (chat_id is None or chat == chat_id))

    def answer_held(self) -> None:
        """Every answer `slow` still holds back goes out now, as when Telegram's delay ends."""
        with self._lock:
            held = [release for _, _, release in self._held]
        if self._loop is not None:
            for release in held:
                self._loop.call_soon_threadsafe(_release, release)

    # playing people -------------------------------------------------------------------------------------------
    def send_text(self, user_id: int, chat_id: int, text: str, reply_to: int | None = None,
                  edited_of: int | None = None) -> dict[str, Any]:
        message = self._person_message(user_id, chat_id, reply_to, {"text": text})
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        self._push({"edited_message" if edited_of else "message": message})
        return message

    def send_location(self, user_id: int, chat_id: int, lat: float, lon: float,
                      live_period: int | None = None) -> dict[str, Any]:
        """A location; with `live_period` (seconds) a live one, which `edit_location` then moves."""
        location: dict[str, Any] = {"latitude": lat, "longitude": lon}
        if live_period:
            location["live_period"] = live_period
        message = self._person_message(user_id, chat_id, None, {"location": location})
        self._push({"message": message})
        return message

    def edit_text(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The author edits one of their messages: Telegram sends it again, same id, as `edited_message`."""
        with self._lock:
            message = dict(self.messages[chat_id][message_id], text=text, edit_date=int(time.time()))
            message.pop("entities", None)
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            self.messages[chat_id][message_id] = message
        self._push({"edited_message": message})
        return message

    def edit_location(self, chat_id: int, message_id: int, lat: float, lon: float) -> dict[str, Any]:
        """A live location moves: an `edited_message` with the new position."""
        with self._lock:
            stored = self.messages[chat_id][message_id]
            message = dict(stored, location={**stored["location"], "latitude": lat, "longitude": lon},
                           edit_date=int(time.time()))
            self.messages[chat_id][message_id] = message
        self._push({"edited_message": message})
        return message

    def press(self, user_id: int, chat_id: int, message_id: int, data: str, forge: bool = False) -> str:
        """Press a button of a bot message (it must have that button unless `forge`); returns the query id."""
        with self._lock:
            stored = self.messages[chat_id][message_id]
            buttons = [b.get("callback_data") for row in (stored.get("reply_markup") or {}).get("inline_keyboard", [])
                       for b in row]
            if not forge and data not in buttons:
                raise AssertionError(f"message {message_id} in {chat_id} has no button {data!r}: {buttons}")
            query_id = str(next(self._query_ids))
            self.pending_queries.add(query_id)
            query = {"id": query_id, "from": self.users[user_id], "message": stored,
                     "chat_instance": str(chat_id), "data": data}
        self._push({"callback_query": query})
        return query_id

    def bot_joins(self, chat_id: int, by_user: int, present: bool = True) -> None:
        """Someone adds the bot to a group (or removes it): Telegram sends a my_chat_member update."""
        statuses = ("left", "member") if present else ("member", "kicked")
        with self._lock:
            if present:
                self.kicked.discard(chat_id)
            else:
                self.kicked.add(chat_id)
            update = {"chat": self.chats[chat_id], "from": self.users[by_user], "date": int(time.time()),
                      "old_chat_member": {"user": BOT_USER, "status": statuses[0]},
                      "new_chat_member": {"user": BOT_USER, "status": statuses[1],
                                          **({"until_date": 0} if not present else {})}}
        self._push({"my_chat_member": update})

    def redeliver(self, payload: dict[str, Any]) -> None:
        """The same update content once more (as after a lost confirmation), under a new update id."""
        self._push(payload)

    def _person_message(self, user_id: int, chat_id: int, reply_to: int | None,
                        content: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message = {"message_id": self._next_message_id(chat_id), "from": self.users[user_id],
                       "chat": self.chats[chat_id], "date": int(time.time()), **content}
            if reply_to is not None:
                message["reply_to_message"] = self.messages[chat_id][reply_to]
            self.messages.setdefault(chat_id, {})[message["message_id"]] = message
            if chat_id == user_id:
                self.started_private.add(user_id)
        return message

    def _notify(self, what: str, chat_id: int, details: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(what, chat_id, details)

    def _push(self, payload: dict[str, Any]) -> None:
        if "message" in payload:
            message = payload["message"]
            self._notify("person", message["chat"]["id"], message)
        if "callback_query" in payload:
            query = payload["callback_query"]
            self._notify("press", query["message"]["chat"]["id"], query)
        with self._lock:
            self.updates.append({"update_id": next(self._update_ids), **payload})
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)

    def send_unreadable(self, chat_id: int) -> None:
        """An update from a newer Bot API than the bot's library knows (a field it requires is missing): it must
        be skipped alone, never block the updates after it."""
        with self._lock:
            self.updates.append({"update_id": next(self._update_ids), "message": {
                "message_id": self._next_message_id(chat_id), "chat": {"id": chat_id, "type": "private"}}})
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)

    # observing ------------------------------------------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return list(self.sent.get(chat_id, []))

    def last(self, chat_id: int) -> Sent:
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to {chat_id}")
        return messages[-1]

    def answer_of(self, query_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.answers.get(query_id)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_until(self, condition: Callable[[], Any], timeout: float = 90.0, what: str = "condition") -> Any:
        """Looks again after each call the bot makes (at most every 20 ms) and at least every 50 ms."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = self._generation
            looked = time.monotonic()
            value = condition()
            if value:
                return value
            if looked >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            with self._changed:
                if self._generation == seen:
                    self._changed.wait(min(0.05, deadline - looked))
            pause = looked + 0.02 - time.monotonic()
            if pause > 0:  # a burst of calls does not make every waiter look hundreds of times a second
                time.sleep(pause)

    def _bump(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait_for_message(self, chat_id: int, contains: str, timeout: float = 90.0) -> Sent:
        return self.wait_until(
            lambda: next((m for m in self.bot_messages(chat_id) if contains in m.text), None), timeout,
            f"a message in {chat_id} containing {contains!r}; got {[m.text[:80] for m in self.bot_messages(chat_id)]}")

    def wait_for_answer(self, query_id: str, timeout: float = 90.0) -> dict[str, Any]:
        return self.wait_until(lambda: self.answer_of(query_id), timeout, f"an answer to callback {query_id}")

    def wait_polling(self, timeout: float = 90.0) -> None:
        """Until the bot is polling (it has asked for updates at least once)."""
        self.wait_until(lambda: self.get_updates_calls > 0, timeout, "the bot to poll getUpdates")

    # the HTTP side --------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        try:
            return await self._handle_call(request)
        finally:
            self._bump()

    async def _handle_call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        with self._lock:
            self.calls.append((method, params))
            if self.in_outage():
                return _error(502, "Bad Gateway")
            fault = self._take_fault(method, params)
            delay = self._take_slow(method, params)
        if fault is not None:
            return _error(fault.status, fault.description, fault.parameters)
        if delay:
            response = await self._handle_now(method, params)
            held = (method, params.get("chat_id"), asyncio.get_running_loop().create_future())
            with self._lock:
                self._held.append(held)
            try:
                await asyncio.wait([held[2]], timeout=delay)  # the delay, or until `answer_held`
            finally:
                with self._lock:
                    self._held.remove(held)
            return response
        return await self._handle_now(method, params)

    def _take_slow(self, method: str, params: dict[str, Any]) -> float:
        for rule in self.slow_answers:
            if rule.method != method or (rule.chat_id is not None and params.get("chat_id") != rule.chat_id):
                continue
            if rule.remaining > 0:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.slow_answers.remove(rule)
            return rule.seconds
        return 0.0

    async def _handle_now(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "getUpdates":
            if self.webhook:
                return _error(409, "Conflict: can't use getUpdates method while webhook is active; use "
                                   "deleteWebhook to delete the webhook first")
            return await self._get_updates(params)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        with self._lock:
            try:
                return _ok(self._flood_checked(method, params, handler))
            except ApiError as exc:
                return _error(exc.status, exc.description, exc.parameters)

    def _flood_checked(self, method: str, params: dict[str, Any], handler: Callable[[dict[str, Any]], Any]) -> Any:
        chat_id = params.get("chat_id")
        if self.flood is None or method not in COUNTED or not isinstance(chat_id, int):
            return handler(params)
        now = time.monotonic()
        wait = self.flood.wait_needed(chat_id, now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.flood_429s.append((chat_id, retry_after))
            self._notify("429", chat_id, {"method": method, "retry_after": retry_after})
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        result = handler(params)
        self.flood.record(chat_id, now)
        return result

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.method not in (None, method):
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            if fault.containing is not None and fault.containing not in str(params.get("text") or
                                                                          params.get("caption") or ""):
                continue
            if fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
            return fault
        return None

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        self.get_updates_calls += 1
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                    self.acknowledged = max(self.acknowledged, offset - 1)
                ready = self.updates[:limit]
                if ready:
                    self.handed_out = max(self.handed_out, ready[-1]["update_id"])
                assert self._new_update is not None
                self._new_update.clear()
            self._bump()  # polling, acknowledged: what tests wait for
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._stop_event.is_set():
                return _ok(ready)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), remaining)

    async def _push_webhooks(self) -> None:
        """While a webhook is set, updates are POSTed to it (round-robin over `load_balance` if given), with
        the secret header, one at a time and in order, as Telegram does; a failed delivery is retried."""
        from aiohttp import ClientSession, ClientTimeout

        turn = 0
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while not self._stop_event.is_set():  # ends by itself at stop (a cancel can be lost in a wait_for)
                assert self._new_update is not None
                with self._lock:
                    hook = dict(self.webhook) if self.webhook else None
                    update = self.updates[0] if hook and self.updates and not self.in_outage() else None
                    self._new_update.clear()
                if update is None or hook is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._new_update.wait(), 0.2)
                    continue
                targets = self.load_balance or [hook["url"]]
                target = targets[turn % len(targets)]
                turn += 1
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"] or ""}
                try:
                    async with session.post(target, json=update, headers=headers) as response:
                        status = response.status
                except Exception:  # the instance is down: Telegram retries later
                    status = 0
                self.webhook_posts.append((target, status))
                if status == 200:
                    with self._lock:
                        if self.updates and self.updates[0] is update:
                            self.updates.pop(0)
                else:
                    await asyncio.sleep(0.3)

    # Bot API methods (called with the lock held) ----------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _m_getChat(self, params: dict[str, Any]) -> Any:
        return self._chat(params)

    def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        for command in params.get("commands", []):
            if not (1 <= len(command["command"]) <= 32 and command["command"].islower()
                    and 1 <= len(command["description"]) <= 256):
                self._violation(f"setMyCommands with an invalid command {command}")
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = json.dumps(params.get("scope", {"type": "default"}), sort_keys=True)
        self.commands[scope] = params.get("commands", [])
        return True

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        text = str(params.get("text", ""))
        plain = self._check_text(text, params.get("parse_mode"), "sendMessage")
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat["id"], params)
        return self._post(chat, Sent(chat["id"], 0, text, plain, markup, reply_to))

    def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._send_file(params, "photo")

    def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._send_file(params, "document")

    def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        if kind == "photo" and str(params.get("photo", "")).startswith(("http://", "https://")):
            return self._send_photo_url(params)  # a picture by URL (BMKG's shakemap); a file_id: the media block
        chat = self._writable_chat(params)
        payload = params.get(kind)
        if isinstance(payload, str):  # a file_id (or URL): see the media block
            return self._send_by_file_id(params, kind)
        if not isinstance(payload, bytes) or not payload:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = str(params.get("caption", ""))
        plain = self._check_text(caption, params.get("parse_mode"), f"{kind} caption", limit=1024) if caption else ""
        sent = Sent(chat["id"], 0, caption, plain, self._check_markup(params.get("reply_markup")),
                    self._reply_to(chat["id"], params), kind=kind, file_size=len(payload), file=payload)
        return self._post(chat, sent)

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        chat, stored, sent = self._editable(params)
        text = str(params.get("text", ""))
        plain = self._check_text(text, params.get("parse_mode"), "editMessageText")
        markup = self._check_markup(params.get("reply_markup"))
        if plain == sent.text and markup == sent.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        sent.edits.append(sent.text)
        sent.html, sent.text, sent.reply_markup = text, plain, markup
        self._notify("edited", chat["id"], {"sent": sent, "before": sent.edits[-1]})
        stored.update(text=plain, reply_markup=markup, edit_date=int(time.time()))
        return _wire(stored)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        chat, stored, sent = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == sent.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        sent.reply_markup = markup
        stored.update(reply_markup=markup, edit_date=int(time.time()))
        return _wire(stored)

    # The map (Mini App): the menu button, and who is in which group (the map's rights for unregistered people) ---
    def add_member(self, chat_id: int, user_id: int) -> None:
        with self._lock:
            self.members.setdefault(chat_id, set()).add(user_id)

    def _m_setChatMenuButton(self, params: dict[str, Any]) -> Any:
        button = params.get("menu_button") or {"type": "default"}
        if isinstance(button, str):  # PTB sends it JSON-encoded in a form
            button = json.loads(button)
        if button.get("type") == "web_app" and not str((button.get("web_app") or {}).get("url", "")).startswith(
                ("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        self.menu_buttons[params.get("chat_id")] = button
        return True

    def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        user_id = params.get("user_id")
        if user_id not in self.users:
            raise ApiError(400, "Bad Request: user not found")
        status = "member" if user_id in self.members.get(chat["id"], set()) else "left"
        return {"status": status, "user": self.users[user_id]}

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.pending_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > 200:  # plain text, UTF-16 code units, as Telegram counts
            self._violation(f"answerCallbackQuery text of {utf16_len(str(text))} characters (limit 200): {text!r}")
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.pending_queries.discard(query_id)
        self.answers[query_id] = {"text": text, "show_alert": bool(params.get("show_alert"))}
        return True

    # board (issue 14): pinning and deleting messages, with Telegram's own answers ----------------------------
    # In a supergroup the bot pins only as an admin with "pin messages"; tests take that right away per chat.
    PIN_RIGHTS = "Bad Request: not enough rights to manage pinned messages in the chat"

    def _pin_state(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_pins", {"denied": set(), "pinned": {}, "deleted": {}})

    def forbid_pinning(self, chat_id: int) -> None:
        """The bot is no admin with the right to pin in this chat (pin and unpin answer Telegram's 400)."""
        with self._lock:
            self._pin_state()["denied"].add(chat_id)

    def allow_pinning(self, chat_id: int) -> None:
        with self._lock:
            self._pin_state()["denied"].discard(chat_id)

    def pinned(self, chat_id: int) -> list[int]:
        """The chat's pinned messages, the latest last (the one Telegram shows at the top)."""
        with self._lock:
            return list(self._pin_state()["pinned"].get(chat_id, []))

    def deleted(self, chat_id: int) -> list[Sent]:
        """The bot's messages it deleted in this chat (gone from bot_messages, as from the chat)."""
        with self._lock:
            return list(self._pin_state()["deleted"].get(chat_id, []))

    def _m_pinChatMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        message_id = int(params.get("message_id") or 0)
        if chat["type"] != "private" and chat["id"] in self._pin_state()["denied"]:
            raise ApiError(400, self.PIN_RIGHTS)
        if message_id not in self.messages.get(chat["id"], {}):
            raise ApiError(400, "Bad Request: message to pin not found")
        pinned = self._pin_state()["pinned"].setdefault(chat["id"], [])
        if message_id in pinned:
            pinned.remove(message_id)
        pinned.append(message_id)
        return True

    def _m_unpinChatMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        if chat["type"] != "private" and chat["id"] in self._pin_state()["denied"]:
            raise ApiError(400, self.PIN_RIGHTS)
        pinned = self._pin_state()["pinned"].setdefault(chat["id"], [])
        message_id = params.get("message_id")
        if message_id is None:  # the latest pinned one
            if pinned:
                pinned.pop()
            return True
        if int(message_id) not in self.messages.get(chat["id"], {}):
            raise ApiError(400, "Bad Request: message to unpin not found")
        if int(message_id) in pinned:
            pinned.remove(int(message_id))
        return True

    def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        message_id = int(params.get("message_id") or 0)
        if message_id not in self.messages.get(chat["id"], {}):
            raise ApiError(400, "Bad Request: message to delete not found")
        sent = next((m for m in self.sent.get(chat["id"], []) if m.message_id == message_id), None)
        if sent is None:  # someone else's message: only an admin with "delete messages" may
            raise ApiError(400, "Bad Request: message can't be deleted")
        self.sent[chat["id"]].remove(sent)
        del self.messages[chat["id"]][message_id]
        pinned = self._pin_state()["pinned"].get(chat["id"], [])
        if message_id in pinned:
            pinned.remove(message_id)
        self._pin_state()["deleted"].setdefault(chat["id"], []).append(sent)
        return True

    # helpers -------------------------------------------------------------------------------------------------
    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return self.chats[chat_id]

    def _writable_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        if chat["id"] in self.kicked:
            raise ApiError(*ERRORS["kicked_supergroup" if chat["type"] == "supergroup" else "kicked"])
        if chat["type"] == "private" and chat["id"] not in self.started_private:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        self._send_thread = self._topic_of_send(chat, params)  # bmkg-topics: the topic a new post goes to
        return chat

    def _check_text(self, text: str, parse_mode: Any, where: str, limit: int = 4096) -> str:
        if not text.strip() and where in ("sendMessage", "editMessageText"):
            raise ApiError(400, "Bad Request: message text is empty")
        plain = text
        if parse_mode == "HTML":
            try:
                plain = to_plain(text)
            except HtmlError as exc:
                self._violation(f"{where} with invalid HTML ({exc}): {text[:300]!r}")
                raise ApiError(400, f"Bad Request: {exc}") from exc
        elif parse_mode not in (None, ""):
            self._violation(f"{where} with parse_mode {parse_mode!r}; the bot should only use HTML")
        if utf16_len(plain) > limit:  # UTF-16 code units of the text after entity parsing, as Telegram counts
            self._violation(f"{where} with {utf16_len(plain)} characters (limit {limit})")
            raise ApiError(400, "Bad Request: message caption is too long" if "caption" in where
                           else "Bad Request: message is too long")
        return plain

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not (1 <= len(data.encode()) <= 64):
                    self._violation(f"callback data of {len(data.encode())} bytes: {data!r}")
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    self._violation(f"a button without text: {button}")
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup  # type: ignore[no-any-return]

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters") or {}
        target = reply.get("message_id") or params.get("reply_to_message_id")
        if target is None:
            return None
        if int(target) not in self.messages.get(chat_id, {}) and not reply.get("allow_sending_without_reply"):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return int(target)

    def _post(self, chat: dict[str, Any], sent: Sent) -> dict[str, Any]:
        sent.message_id = self._next_message_id(chat["id"])
        message: dict[str, Any] = {"message_id": sent.message_id, "from": BOT_USER, "chat": chat,
                                   "date": int(time.time())}
        if sent.kind == "text":
            message["text"] = sent.text
        elif sent.kind == "photo":
            message["photo"] = [{"file_id": f"photo-{sent.message_id}", "file_unique_id": f"p{sent.message_id}",
                                 "width": 1280, "height": 960, "file_size": sent.file_size}]
        else:
            message["document"] = {"file_id": f"doc-{sent.message_id}", "file_unique_id": f"d{sent.message_id}",
                                   "file_size": sent.file_size}
        if sent.kind != "text" and sent.text:
            message["caption"] = sent.text
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        if sent.reply_to is not None and sent.reply_to in self.messages.get(chat["id"], {}):
            message["reply_to_message"] = self.messages[chat["id"]][sent.reply_to]
        sent.thread_id = self._send_thread  # bmkg-topics
        if sent.thread_id is not None:
            message.update(message_thread_id=sent.thread_id, is_topic_message=True)
        self.messages.setdefault(chat["id"], {})[sent.message_id] = message
        self.sent.setdefault(chat["id"], []).append(sent)
        self._notify("sent", chat["id"], {"sent": sent})
        return _wire(message)

    def _editable(self, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Sent]:
        chat = self._writable_chat(params)
        message_id = int(params.get("message_id") or 0)
        sent = next((s for s in self.sent.get(chat["id"], []) if s.message_id == message_id), None)
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat, self.messages[chat["id"]][message_id], sent

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _violation(self, what: str) -> None:
        self.violations.append(what)

    # --- bmkg-topics: a photo given by URL (Telegram fetches it) ---------------------------------------------------
    def fail_photo_urls(self, *urls: str) -> None:
        """Telegram cannot fetch these URLs (sendPhoto answers 400 'failed to get HTTP URL content')."""
        with self._lock:
            self.unfetchable_urls.update(urls)

    # --- bmkg-topics: forum supergroups and their topics ------------------------------------------------------------
    def add_forum(self, chat_id: int, title: str) -> dict[str, Any]:
        """A supergroup with topics (is_forum); its General topic takes posts without a message_thread_id."""
        chat = self.add_group(chat_id, title)
        with self._lock:
            chat["is_forum"] = True
            self.topics.setdefault(chat_id, {})
        return chat

    def open_topic(self, chat_id: int, name: str) -> int:
        """A new topic; its id (message_thread_id) is the id of the service message that created it."""
        with self._lock:
            thread_id = self._next_message_id(chat_id)
            self.topics.setdefault(chat_id, {})[thread_id] = {"name": name, "closed": False}
            self.messages.setdefault(chat_id, {})[thread_id] = {
                "message_id": thread_id, "chat": self.chats[chat_id], "date": int(time.time()),
                "message_thread_id": thread_id, "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": 7322096}}
        return thread_id

    def close_topic(self, chat_id: int, thread_id: int, closed: bool = True, by: int | None = None) -> None:
        """Close (or reopen) a topic; `by`: the member who did it, and Telegram then posts its service message in
        the topic (forum_topic_closed / forum_topic_reopened), which the bot receives."""
        with self._lock:
            self.topics[chat_id][thread_id]["closed"] = closed
        if by is not None:
            self._push({"message": self._person_message(by, chat_id, None, {
                "message_thread_id": thread_id, "is_topic_message": True,
                "forum_topic_closed" if closed else "forum_topic_reopened": {}})})

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        with self._lock:
            del self.topics[chat_id][thread_id]

    def send_in_topic(self, user_id: int, chat_id: int, thread_id: int, text: str,
                      reply_to: int | None = None) -> dict[str, Any]:
        """A person writes in a topic of a forum (a reply within it, when `reply_to` is given)."""
        message = self._person_message(user_id, chat_id, reply_to, {
            "text": text, "message_thread_id": thread_id, "is_topic_message": True})
        if reply_to is None:  # in a topic, a message without a reply answers the topic's first message
            message["reply_to_message"] = self.messages[chat_id][thread_id]
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}]
        self._push({"message": message})
        return message

    def in_topic(self, chat_id: int, thread_id: int | None) -> list[Sent]:
        """What the bot posted in one topic (None: the General topic, or a group without topics)."""
        return [m for m in self.bot_messages(chat_id) if m.thread_id == thread_id]

    def _topic_of_send(self, chat: dict[str, Any], params: dict[str, Any]) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None or not chat.get("is_forum"):
            if thread is not None:
                self._violation(f"message_thread_id {thread} in chat {chat['id']}, which has no topics")
                raise ApiError(400, "Bad Request: message thread not found")
            return None
        topic = self.topics.get(chat["id"], {}).get(int(thread))
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_CLOSED")
        return int(thread)

    def _send_photo_url(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        url = str(params["photo"])
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if url in self.unfetchable_urls:
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        caption = str(params.get("caption", ""))
        plain = self._check_text(caption, params.get("parse_mode"), "photo caption", limit=1024) if caption else ""
        sent = Sent(chat["id"], 0, caption, plain, self._check_markup(params.get("reply_markup")),
                    self._reply_to(chat["id"], params), kind="photo", url=url)
        return self._post(chat, sent)
    # --- media (issue 13): photos, videos, voice notes, audio, documents and albums by file_id ---------------
    # People send media (each file gets a file_id the bot may reuse); the bot sends it on by file_id, alone or as
    # an album (sendMediaGroup), under Telegram's rules: 2-10 items, photos and videos may mix, audio only with
    # audio, documents only with documents, captions of at most 1024 UTF-16 units after entity parsing.
    MEDIA_KINDS = ("photo", "video", "voice", "audio", "document", "animation", "video_note")
    ALBUM_FAMILIES = {"photo": "visual", "video": "visual", "audio": "audio", "document": "document"}

    def _media(self) -> dict[str, Any]:
        """The media state, kept apart from __init__: known files by id, what each sent media message carried."""
        state: dict[str, Any] = self.__dict__.setdefault("_media_state", {
            "files": {}, "sent": {}, "ids": itertools.count(1), "groups": itertools.count(1)})
        return state

    def new_file(self, kind: str, file_size: int = 150_000, mime_type: str | None = None,
                 duration: int | None = None) -> dict[str, Any]:
        """A file Telegram knows (as if someone had uploaded it): its id works in every send* method of its kind."""
        with self._lock:
            n = next(self._media()["ids"])
            file = {"file_id": f"{kind.upper()[:3]}-AgACAg{n:06d}", "file_unique_id": f"AQAD{kind[:2]}{n}",
                    "file_size": file_size}
            if mime_type:
                file["mime_type"] = mime_type
            if duration is not None:
                file["duration"] = duration
            if kind in ("video", "animation", "video_note"):  # what Telegram always gives for a moving picture
                file.update(width=640, height=640) if kind == "video_note" else file.update(width=1280, height=720)
            self._media()["files"][file["file_id"]] = {"kind": kind, **file}
        return file

    def send_media(self, user_id: int, chat_id: int, kind: str, *, caption: str | None = None,
                   reply_to: int | None = None, media_group_id: str | None = None, forwarded_from: str | None = None,
                   file_size: int = 150_000, mime_type: str | None = None,
                   thread_id: int | None = None) -> dict[str, Any]:
        """Someone sends (or with `forwarded_from`, forwards) a photo, video, voice note, audio, document..."""
        default_mime = {"video": "video/mp4", "voice": "audio/ogg", "audio": "audio/mpeg",
                        "document": "application/pdf", "animation": "video/mp4", "video_note": "video/mp4"}
        file = self.new_file(kind, file_size, mime_type or default_mime.get(kind),
                             duration=12 if kind in ("video", "voice", "audio", "video_note") else None)
        content: dict[str, Any] = {}
        if kind == "photo":  # several sizes of one picture, the largest last
            small = {"file_id": file["file_id"] + "-s", "file_unique_id": file["file_unique_id"] + "s",
                     "width": 320, "height": 240, "file_size": max(1, file_size // 10)}
            with self._lock:
                self._media()["files"][small["file_id"]] = {"kind": "photo", **small}
            content["photo"] = [small, {**file, "width": 1280, "height": 960}]
        else:
            content[kind] = file
            if kind == "document":
                content[kind]["file_name"] = "laporan.pdf"
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        if forwarded_from:
            content["forward_origin"] = {"type": "hidden_user", "sender_user_name": forwarded_from,
                                         "date": int(time.time()) - 600}
        if thread_id is not None:  # in a topic of a forum
            content.update(message_thread_id=thread_id, is_topic_message=True)
        message = self._person_message(user_id, chat_id, reply_to, content)
        self._push({"message": message})
        return message

    def send_album(self, user_id: int, chat_id: int, kinds: list[str], *, caption: str | None = None,
                   reply_to: int | None = None, forwarded_from: str | None = None,
                   thread_id: int | None = None) -> list[dict[str, Any]]:
        """An album: one update per item, all with the same media_group_id, the caption on the first."""
        with self._lock:
            group_id = f"1337{next(self._media()['groups']):010d}"
        return [self.send_media(user_id, chat_id, kind, caption=caption if n == 0 else None, reply_to=reply_to,
                                media_group_id=group_id, forwarded_from=forwarded_from, thread_id=thread_id)
                for n, kind in enumerate(kinds)]

    def send_location_reply(self, user_id: int, chat_id: int, lat: float, lon: float,
                            reply_to: int) -> dict[str, Any]:
        """A location sent as a reply (a responder's position under a card)."""
        message = self._person_message(user_id, chat_id, reply_to, {"location": {"latitude": lat, "longitude": lon}})
        self._push({"message": message})
        return message

    def send_other(self, user_id: int, chat_id: int, what: str, reply_to: int | None = None) -> dict[str, Any]:
        """Something that is neither text nor media: a sticker, poll, contact or dice."""
        contents: dict[str, dict[str, Any]] = {
            "sticker": {"sticker": {"file_id": "CAACAgIAAxk-sticker", "file_unique_id": "AgADsticker",
                                    "type": "regular",
                                    "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                    "emoji": "🔥"}},
            "poll": {"poll": {"id": "5012", "question": "Sudah aman?", "options": [
                {"text": "Ya", "voter_count": 0, "persistent_id": "po1"},
                {"text": "Belum", "voter_count": 0, "persistent_id": "po2"}], "total_voter_count": 0,
                "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
                "allows_revoting": False, "members_only": False}},
            "contact": {"contact": {"phone_number": "+6281234567890", "first_name": "Maria"}},
            "dice": {"dice": {"emoji": "🎲", "value": 4}},
        }
        message = self._person_message(user_id, chat_id, reply_to, contents[what])
        self._push({"message": message})
        return message

    def media_of(self, sent: Sent) -> dict[str, Any]:
        """What a media message the bot sent carried: kind, file_id, media_group_id (empty for texts)."""
        with self._lock:
            return dict(self._media()["sent"].get((sent.chat_id, sent.message_id), {}))

    def albums(self, chat_id: int) -> list[list[Sent]]:
        """The albums the bot sent to a chat (one sendMediaGroup each), in order."""
        groups: dict[str, list[Sent]] = {}
        for sent in self.bot_messages(chat_id):
            group_id = self.media_of(sent).get("media_group_id")
            if group_id:
                groups.setdefault(group_id, []).append(sent)
        return list(groups.values())

    def media_sent(self, chat_id: int) -> list[Sent]:
        """Every media message the bot sent to a chat, alone or in albums."""
        return [s for s in self.bot_messages(chat_id) if self.media_of(s)]

    def _known_file(self, file_id: Any, kind: str) -> dict[str, Any]:
        if not isinstance(file_id, str) or not file_id:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if file_id.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")  # no web in the sandbox
        file = self._media()["files"].get(file_id)
        if file is None:
            self._violation(f"send {kind} with an unknown file_id {file_id!r}")
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if file["kind"] != kind and not (kind == "document" and file["kind"] in ("audio", "video", "animation")):
            self._violation(f"send {kind} with the file_id of a {file['kind']}")
            raise ApiError(400, f"Bad Request: can't use file of type {file['kind'].title()} as "
                                f"{kind.title()}")
        return file

    def _media_message(self, chat: dict[str, Any], kind: str, file: dict[str, Any], caption: str, parse_mode: Any,
                       markup: Any, reply_to: int | None, media_group_id: str | None = None) -> dict[str, Any]:
        plain = self._check_text(caption, parse_mode, f"{kind} caption", limit=1024) if caption else ""
        sent = Sent(chat["id"], 0, caption, plain, self._check_markup(markup), reply_to, kind=kind,
                    file_size=int(file.get("file_size") or 0))
        self._post(chat, sent)
        stored = self.messages[chat["id"]][sent.message_id]
        stored.pop("document", None)
        stored.pop("photo", None)
        content = {k: v for k, v in file.items() if k != "kind"}
        stored[kind] = [{**content, "width": 1280, "height": 960}] if kind == "photo" else content
        if media_group_id:
            stored["media_group_id"] = media_group_id
        self._media()["sent"][(chat["id"], sent.message_id)] = {
            "kind": kind, "file_id": file["file_id"], "media_group_id": media_group_id}
        return _wire(stored)

    def _send_by_file_id(self, params: dict[str, Any], kind: str) -> Any:
        chat = self._writable_chat(params)
        file = self._known_file(params.get(kind), kind)
        return self._media_message(chat, kind, file, str(params.get("caption", "")), params.get("parse_mode"),
                                   params.get("reply_markup"), self._reply_to(chat["id"], params))

    def _m_sendVideo(self, params: dict[str, Any]) -> Any:
        return self._send_by_file_id(params, "video")

    def _m_sendVoice(self, params: dict[str, Any]) -> Any:
        return self._send_by_file_id(params, "voice")

    def _m_sendAudio(self, params: dict[str, Any]) -> Any:
        return self._send_by_file_id(params, "audio")

    def _m_sendMediaGroup(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params)
        media = params.get("media")
        if isinstance(media, str):
            try:
                media = json.loads(media)
            except ValueError as exc:
                raise ApiError(400, "Bad Request: can't parse media JSON object") from exc
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            self._violation(f"sendMediaGroup with {len(media) if isinstance(media, list) else media!r} items")
            raise ApiError(400, "Bad Request: wrong number of media specified" if isinstance(media, list)
                           else "Bad Request: can't parse media JSON object")
        families = {self.ALBUM_FAMILIES.get(str(item.get("type"))) for item in media}
        if None in families or len(families) != 1:
            self._violation(f"sendMediaGroup mixing {[item.get('type') for item in media]}")
            raise ApiError(400, "Bad Request: MEDIA_INVALID" if None in families
                           else "Bad Request: document can't be mixed with other media types"
                           if "document" in families else "Bad Request: audio can't be mixed with other media types")
        files = [self._known_file(item.get("media"), str(item["type"])) for item in media]
        for item in media:  # every caption is checked before anything is posted: an album goes whole or not at all
            if item.get("caption"):
                self._check_text(str(item["caption"]), item.get("parse_mode"), f"{item['type']} caption", limit=1024)
        reply_to = self._reply_to(chat["id"], params)
        group_id = f"1400{next(self._media()['groups']):010d}"
        result = [self._media_message(chat, str(item["type"]), file, str(item.get("caption") or ""),
                                      item.get("parse_mode"), None, reply_to, group_id)
                  for item, file in zip(media, files, strict=True)]
        if self.flood is not None:  # each item of an album is a message to flood control (the call counted one)
            for _ in media[1:]:
                self.flood.record(chat["id"], time.monotonic())
        return result


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _wire(message: dict[str, Any]) -> dict[str, Any]:
    """A message as the API returns it (a replied-to message is not nested twice)."""
    result = dict(message)
    if "reply_to_message" in result:
        result["reply_to_message"] = {k: v for k, v in result["reply_to_message"].items() if k != "reply_to_message"}
    return result


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _release(held: asyncio.Future[None]) -> None:
    if not held.done():
        held.set_result(None)


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters arrive as JSON, a form or multipart; complex values are JSON-encoded strings."""
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    elif request.method == "GET":
        raw = dict(request.query)
    else:
        raw = {}
        for key, value in (await request.post()).items():
            raw[key] = value.file.read() if hasattr(value, "file") else value
    return {k: _decode(k, v) for k, v in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
