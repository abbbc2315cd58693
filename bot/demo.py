"""`sigap112 demo`: the real bot against the built-in Bot API emulator, on a throw-away SQLite database,
playing a house fire in Batu Merah from the call to the recap chart, and then an earthquake from the fake BMKG feed.
No token and no network needed."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .clock import utcnow
from .sandbox import world
from .sandbox.fake_api import FakeTelegram, Sent
from .sandbox.fake_bmkg import FakeBMKG, quake

ROOT = Path(__file__).resolve().parents[1]
WIT = ZoneInfo("Asia/Jayapura")
# Who the transcript says is speaking: the world's people, with what they do.
PEOPLE = {uid: f"{world.NAMES[uid]} ({role})" if role else world.NAMES[uid] for uid, role in (
    (world.ADMIN, "admin"), (world.CALL_TAKER, "call taker"), (world.LEADER, ""), (world.DAMKAR_STAFF, "Damkar"),
    (world.PLN_STAFF, "PLN"), (world.DINKES_STAFF, "Dinkes"), (world.DISHUB_STAFF, "Dishub"),
    (world.TNI_POLRI_STAFF, "TNI-Polri"))}
# The demo's ladder runs in seconds so the whole story fits in a minute.
FAST_LADDER = """priorities:
{blocks}"""
FAST_BLOCK = """  {name}:
    acknowledge: {{within: 5s, remind_every: 5s, reminders: 1,
                  ladder: [{{after: 9s, to: call_center}}, {{after: 13s, to: pimpinan}},
                           {{after: 13s, to: monitoring}}]}}
    on_scene: {{within: 1h, ladder: []}}
    update: {{every: 1h, reminders: 0}}
    resolve: {{within: 1d, ladder: []}}
"""


# Seconds between one press and the next, so that a reader can follow the cards changing (--pace).
PACE = 0.6
MEDIA_WORDS = {"photo": "foto", "video": "video", "voice": "pesan suara", "audio": "audio", "document": "dokumen"}


class Transcript:
    """Prints each group's conversation as it happens, readable, with timestamps."""

    def __init__(self, fake: FakeTelegram, out: Any = sys.stdout) -> None:
        self.names = {world.GROUPS[key]: title for key, title in world.GROUP_TITLES.items()}
        self.out = out
        fake.listeners.append(self)

    def __call__(self, what: str, chat_id: int, details: dict[str, Any]) -> None:
        where = self.names.get(chat_id, f"chat pribadi {PEOPLE.get(chat_id, chat_id)}")
        if what == "person" and "text" in details:
            self._say(where, PEOPLE.get(details["from"]["id"], "?"), details["text"])
        elif what == "person" and (kind := next((k for k in MEDIA_WORDS if k in details), None)):
            caption = details.get("caption", "")
            self._say(where, PEOPLE.get(details["from"]["id"], "?"), f"[{MEDIA_WORDS[kind]}] {caption}")
        elif what == "press":
            label = self._label(details)
            self._say(where, PEOPLE.get(details["from"]["id"], "?"), f"[menekan tombol {label}]")
        elif what == "sent":
            sent: Sent = details["sent"]
            self._say(where, "🤖 Sigap 112", sent.text if sent.kind == "text" else f"[{sent.kind}] {sent.text}")
        elif what == "edited":
            new = [line for line in details["sent"].text.splitlines() if line not in details["before"].splitlines()]
            self._say(where, "🤖 Sigap 112", "✏️ kartu diperbarui: " + " | ".join(new or ["(tombol)"]))

    @staticmethod
    def _label(query: dict[str, Any]) -> str:
        rows = (query["message"].get("reply_markup") or {}).get("inline_keyboard", [])
        return next((b["text"] for row in rows for b in row if b.get("callback_data") == query["data"]), query["data"])

    def _say(self, where: str, who: str, text: str) -> None:
        stamp = datetime.now(WIT).strftime("%H.%M.%S WIT")
        lines = text.strip().splitlines() or [""]
        print(f"\n[{stamp}] {where} — {who}:", file=self.out)
        for line in lines[:14]:
            print(f"    {line}", file=self.out)
        if len(lines) > 14:
            print(f"    … ({len(lines) - 14} baris lagi)", file=self.out)
        self.out.flush()


def run_demo(keep: Path | None = None, pace: float = PACE) -> int:
    workdir = keep or Path(tempfile.mkdtemp(prefix="sigap112-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    fake = FakeTelegram().start()
    bmkg = FakeBMKG().start()
    for user_id in PEOPLE:
        fake.add_user(user_id, world.NAMES[user_id])
    for key, title in world.GROUP_TITLES.items():
        fake.add_group(world.GROUPS[key], title)
    env = {**_environment(fake, workdir), "BMKG_BASE_URL": bmkg.base_url, "BMKG_POLL_SECONDS": "2"}
    bot = None
    try:
        _prepare(env["DATABASE_URL"], Path(env["RULES_DIR"]),
                 [(world.CALL_TAKER, "call_taker"), (world.LEADER, "leader")])
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=workdir,
                               stdout=(workdir / "bot.log").open("ab"), stderr=subprocess.STDOUT)
        fake.wait_polling()
        scenario = Scenario(fake, pace)
        scenario.bind_groups()
        print("Sigap 112 — demo tanpa token: bot asli melawan emulator Bot API, basis data sementara.\n"
              f"{len(world.GROUPS)} grup sudah didaftarkan admin (/daftar_grup). Percakapan di setiap grup:")
        Transcript(fake)
        scenario.play()
        chart = workdir / "rekap.png"
        photo = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.GROUPS["pimpinan"])
                                              if m.kind == "photo"), None), what="grafik rekap")
        chart.write_bytes(photo.file or b"")
        scenario.earthquake(bmkg)
        print(f"\nSelesai. Grafik rekap: {chart}\nBasis data: {workdir / 'demo.db'}\nLog bot: {workdir / 'bot.log'}")
        return 0
    except AssertionError as exc:
        print(f"\nDemo berhenti: {exc}\nLog bot: {workdir / 'bot.log'}", file=sys.stderr)
        return 1
    finally:
        if bot is not None:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(20)
            except subprocess.TimeoutExpired:
                bot.kill()
        fake.stop()
        bmkg.stop()


def _environment(fake: FakeTelegram, workdir: Path) -> dict[str, str]:
    rules = workdir / "rules"
    if not rules.exists():
        shutil.copytree(ROOT / "rules", rules)
    blocks = "".join(FAST_BLOCK.format(name=n) for n in ("kritis", "tinggi", "sedang", "rendah"))
    (rules / "escalation.yaml").write_text(FAST_LADDER.format(blocks=blocks))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "RULES_"))}
    return {**base, "BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'demo.db'}", "RULES_DIR": str(rules), "ADMIN_IDS": "1",
            "SWEEP_INTERVAL": "1", "INSTANCE_ID": "demo", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}


def _prepare(database_url: str, rules_dir: Path, staff: list[tuple[int, str]]) -> None:
    """What `sigap112 db upgrade` and `sigap112 users add` do, through the same code in this process (a process
    each took a second or more to start)."""
    from .db import migrate
    from .db.engine import make_engine, make_session_factory
    from .db.uow import Database
    from .i18n import Catalogue
    from .rules_loader import load_rules
    from .services import people
    from .services.context import Services

    migrate.upgrade(database_url)

    async def add() -> None:
        engine = make_engine(database_url)
        try:
            services = Services(Database(make_session_factory(engine)), load_rules(rules_dir), WIT, Catalogue("id"),
                                frozenset(), lapor_per_minute=10)
            for user_id, role in staff:
                await people.add_user(services, user_id, world.NAMES[user_id], role, None, utcnow())
        finally:
            await engine.dispose()

    asyncio.run(add())


class Scenario:
    """The story, played by people pressing and typing in the emulator."""

    def __init__(self, fake: FakeTelegram, pace: float = PACE) -> None:
        self.fake = fake
        self.pace = pace
        self.number = ""

    def chat(self, key: str) -> int:
        return world.GROUPS[key]

    def card(self, key: str) -> Sent:
        return self.fake.wait_until(lambda: next((m for m in self.fake.bot_messages(self.chat(key))
                                                  if self.number in m.text and "LAPORAN" in m.text), None),
                                    what=f"kartu di grup {key}")

    def press(self, user: int, key: str, label: str) -> None:
        def find() -> str | None:
            return next((d for text, d in self.card(key).buttons() if label in text), None)

        data = self.fake.wait_until(find, what=f"tombol {label} di grup {key}")
        self.fake.wait_for_answer(self.fake.press(user, self.chat(key), self.card(key).message_id, data))
        if self.pace:
            time.sleep(self.pace)  # a reader follows the cards changing

    def bind_groups(self) -> None:
        for key, chat_id in world.GROUPS.items():
            self.fake.send_text(world.ADMIN, chat_id, f"/daftar_grup {key}")
        for chat_id in world.GROUPS.values():
            self.fake.wait_for_message(chat_id, "sekarang terdaftar")

    def play(self) -> None:
        fake = self.fake
        fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
        accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
        self.number = accepted.text.split("Laporan tercatat: ")[1].split()[0]
        fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
        self.press(world.PLN_STAFF, "pln", "Diterima")
        fake.send_text(world.DAMKAR_STAFF, self.chat("damkar"), "OTW 2 unit", reply_to=self.card("damkar").message_id)
        fake.wait_for_message(self.chat("damkar"), "Damkar berangkat untuk")
        # A photo from the scene: Damkar's responder replies to the card with it; the call center gets it under
        # its card, and every copy counts it.
        fake.send_media(world.DAMKAR_STAFF, self.chat("damkar"), "photo", caption="Api di lantai 2, 2 unit di lokasi",
                        reply_to=self.card("damkar").message_id)
        fake.wait_until(lambda: any(self.number in m.text for m in fake.media_sent(self.chat("call_center"))),
                        what="foto dari lokasi di grup Call Center 112")
        self.press(world.DISHUB_STAFF, "dishub", "Diterima")
        self.press(world.TNI_POLRI_STAFF, "tni_polri", "Berangkat")
        fake.wait_for_message(self.chat("dinkes"), "Pengingat", timeout=90)
        fake.wait_for_message(self.chat("pimpinan"), "ESKALASI", timeout=90)
        self.press(world.DINKES_STAFF, "dinkes", "Berangkat")
        for user, key, steps in ((world.DAMKAR_STAFF, "damkar", ("Tiba", "Selesai")),
                                 (world.PLN_STAFF, "pln", ("Selesai",)),
                                 (world.DINKES_STAFF, "dinkes", ("Tiba", "Selesai")),
                                 (world.DISHUB_STAFF, "dishub", ("Selesai",)),
                                 (world.TNI_POLRI_STAFF, "tni_polri", ("Tiba", "Selesai"))):
            for label in steps:
                self.press(user, key, label)
        ask = fake.wait_for_message(world.CALL_TAKER, "Telepon pelapor")
        data = next(d for text, d in ask.buttons() if "mengonfirmasi" in text)
        fake.wait_for_answer(fake.press(world.CALL_TAKER, world.CALL_TAKER, ask.message_id, data))
        self.fake.wait_until(lambda: "DITUTUP" in self.card("monitoring").text, what="laporan ditutup")
        fake.send_text(world.LEADER, self.chat("pimpinan"), "/rekap")

    def earthquake(self, bmkg: FakeBMKG) -> None:
        """BMKG publishes an M5.6 earthquake 40 km south-east of Ambon: before the first call, BPBD, SAR and the
        leaders have the card, and BMKG's shakemap under it."""
        print("\n— BMKG menerbitkan data gempa M5.6 di laut 40 km tenggara Ambon (emulator data BMKG) —")
        bmkg.publish(quake(utcnow() - timedelta(minutes=1), -3.95, 128.45, 5.6, 10,
                           region="Pusat gempa berada di laut 40 km Tenggara Ambon", felt="III-IV Ambon"), felt=True)
        card = self.fake.wait_until(lambda: next((m for m in self.fake.bot_messages(self.chat("bpbd"))
                                                  if "Gempa M5.6" in m.text), None), what="kartu gempa BMKG")
        self.fake.wait_until(lambda: any(m.kind == "photo" and m.reply_to == card.message_id
                                         for m in self.fake.bot_messages(self.chat("bpbd"))), what="peta guncangan")
