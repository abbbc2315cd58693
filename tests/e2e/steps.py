"""What people do in the end-to-end tests, and where they look — shared by the test modules (which import this
module, never one another): file the fire, find an agency's card, press its buttons; a fast escalation ladder;
the settings of webhook mode."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent

NUMBER = re.compile(r"112-\d{4}-\d{5}")
SECRET = "s3cret-token_for-tests"
HEALTH_TOKEN = "health-token-for-tests"
RESPONDERS = ["damkar", "pln", "dinkes", "dishub", "tni_polri"]  # the fire's responding agencies

# A ladder in seconds (rules/escalation.yaml), one BLOCK per priority.
FAST = """priorities:
{blocks}
"""
BLOCK = """  {name}:
    acknowledge: {{within: 3s, remind_every: 3s, reminders: 1,
                  ladder: [{{after: 6s, to: call_center}}, {{after: 9s, to: pimpinan}}]}}
    on_scene: {{within: 1h, ladder: []}}
    update: {{every: 1h, reminders: 0}}
    resolve: {{within: 1d, ladder: []}}
"""


def file_fire(fake: FakeTelegram) -> str:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    return match.group(0)


def card(fake: FakeTelegram, key: str, number: str) -> Sent:
    return fake.wait_until(lambda: next((m for m in fake.bot_messages(world.GROUPS[key])
                                         if number in m.text and "LAPORAN" in m.text), None), what=f"{key} card")


def press(fake: FakeTelegram, user: int, key: str, number: str, label: str) -> dict:
    message = card(fake, key, number)
    data = next(d for text, d in message.buttons() if label in text)
    return fake.wait_for_answer(fake.press(user, world.GROUPS[key], message.message_id, data))


def all_responders_finish(fake: FakeTelegram, number: str, user: int = world.DAMKAR_STAFF) -> None:
    """Every responding agency presses ✅ Diterima, then ✅ Selesai once its card offers it — all of them at
    once, as five agencies on a real fire do (one after another, each step waiting for eight groups' copies to
    be edited within Telegram's 20 edits a minute, it took half a minute)."""
    for key in RESPONDERS:
        press(fake, user, key, number, "Diterima")
    for key in RESPONDERS:
        fake.wait_until(lambda key=key: any("Selesai" in t for t, _ in card(fake, key, number).buttons()),
                        what=f"Selesai on {key}")
        press(fake, user, key, number, "Selesai")


def everywhere(fake: FakeTelegram, number: str, text: str, keys: set[str] = world.FIRE_GROUPS) -> None:
    for key in keys:
        fake.wait_until(lambda key=key: text in card(fake, key, number).text, what=f"{text!r} on the {key} copy")


def webhook_env(port: int) -> dict[str, str]:
    return {"WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port), "WEBHOOK_SECRET": SECRET, "HEALTH_TOKEN": HEALTH_TOKEN}


def healthz(port: int, token: str | None = HEALTH_TOKEN) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())
