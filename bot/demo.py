"""`sigap112 demo`: the real bot against the built-in Bot API emulator, on a throw-away SQLite database,
playing a house fire in Batu Merah from the call to the recap chart. No token and no network needed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .sandbox.fake_api import FakeTelegram, Sent

ROOT = Path(__file__).resolve().parents[1]
WIT = ZoneInfo("Asia/Jayapura")
PEOPLE = {1: "Andi (admin)", 1001: "Rina (call taker)", 3001: "Pak Kadis", 2001: "Budi (Damkar)",
          2002: "Yani (PLN)", 2003: "dr. Sinta (Dinkes)", 2004: "Ferry (Dishub)", 2005: "Agus (TNI-Polri)"}
GROUPS = {"call_center": (-1001000000001, "Call Center 112"), "pimpinan": (-1001000000002, "Pimpinan Instansi"),
          "monitoring": (-1001000000003, "Pemantauan Wali Kota"), "tni_polri": (-1001000000004, "TNI-Polri"),
          "sar": (-1001000000005, "SAR"), "damkar": (-1001000000006, "Damkar"), "pln": (-1001000000007, "PLN"),
          "dinkes": (-1001000000008, "Dinkes/RS"), "dishub": (-1001000000009, "Dishub"),
          "bpbd": (-1001000000010, "BPBD"), "satpol_pp": (-1001000000011, "Satpol PP"),
          "perkim": (-1001000000012, "Perkim"), "dlhp": (-1001000000013, "DLHP"),
          "jenazah": (-1001000000014, "Ambulans Jenazah")}
FIRE = """/lapor
kategori: bencana
jenis: kebakaran
kecamatan: Sirimau
kelurahan: Batu Merah
alamat: Jl. Jend. Sudirman, belakang masjid
pelapor: Ibu Maria
telepon: 0812 3456 7890
keterangan: Rumah terbakar, 2 orang terjebak di lantai 2"""
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


class Transcript:
    """Prints each group's conversation as it happens, readable, with timestamps."""

    def __init__(self, fake: FakeTelegram, out: Any = sys.stdout) -> None:
        self.names = {chat: title for chat, title in GROUPS.values()}
        self.out = out
        fake.listeners.append(self)

    def __call__(self, what: str, chat_id: int, details: dict[str, Any]) -> None:
        where = self.names.get(chat_id, f"chat pribadi {PEOPLE.get(chat_id, chat_id)}")
        if what == "person" and "text" in details:
            self._say(where, PEOPLE.get(details["from"]["id"], "?"), details["text"])
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


def run_demo(keep: Path | None = None) -> int:
    workdir = keep or Path(tempfile.mkdtemp(prefix="sigap112-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    fake = FakeTelegram().start()
    for user_id, name in PEOPLE.items():
        fake.add_user(user_id, name.split(" (")[0])
    for chat_id, title in GROUPS.values():
        fake.add_group(chat_id, title)
    env = _environment(fake, workdir)
    bot = None
    try:
        _sigap(env, workdir, "db", "upgrade")
        for user_id, role in ((1001, "call_taker"), (3001, "leader")):
            _sigap(env, workdir, "users", "add", "--id", str(user_id), "--name", PEOPLE[user_id].split(" (")[0],
                   "--role", role)
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=workdir,
                               stdout=(workdir / "bot.log").open("ab"), stderr=subprocess.STDOUT)
        fake.wait_polling()
        scenario = Scenario(fake)
        scenario.bind_groups()
        print("Sigap 112 — demo tanpa token: bot asli melawan emulator Bot API, basis data sementara.\n"
              f"{len(GROUPS)} grup sudah didaftarkan admin (/daftar_grup). Percakapan di setiap grup:")
        Transcript(fake)
        scenario.play()
        chart = workdir / "rekap.png"
        photo = fake.wait_until(lambda: next((m for m in fake.bot_messages(GROUPS["pimpinan"][0])
                                              if m.kind == "photo"), None), what="grafik rekap")
        chart.write_bytes(photo.file or b"")
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


def _sigap(env: dict[str, str], workdir: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=workdir, capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"sigap112 {' '.join(args)}: {result.stderr.strip()}")


class Scenario:
    """The story, played by people pressing and typing in the emulator."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.number = ""

    def chat(self, key: str) -> int:
        return GROUPS[key][0]

    def card(self, key: str) -> Sent:
        return self.fake.wait_until(lambda: next((m for m in self.fake.bot_messages(self.chat(key))
                                                  if self.number in m.text and "LAPORAN" in m.text), None),
                                    what=f"kartu di grup {key}")

    def press(self, user: int, key: str, label: str) -> None:
        def find() -> str | None:
            return next((d for text, d in self.card(key).buttons() if label in text), None)

        data = self.fake.wait_until(find, what=f"tombol {label} di grup {key}")
        self.fake.wait_for_answer(self.fake.press(user, self.chat(key), self.card(key).message_id, data))
        time.sleep(0.6)

    def bind_groups(self) -> None:
        for key, (chat_id, _) in GROUPS.items():
            self.fake.send_text(1, chat_id, f"/daftar_grup {key}")
        for chat_id, _ in GROUPS.values():
            self.fake.wait_for_message(chat_id, "sekarang terdaftar")

    def play(self) -> None:
        fake = self.fake
        fake.send_text(1001, 1001, FIRE)
        accepted = fake.wait_for_message(1001, "Laporan tercatat")
        self.number = accepted.text.split("Laporan tercatat: ")[1].split()[0]
        fake.wait_for_message(1001, "terkirim ke semua grup")
        self.press(2002, "pln", "Diterima")
        fake.send_text(2001, self.chat("damkar"), "OTW 2 unit", reply_to=self.card("damkar").message_id)
        fake.wait_for_message(self.chat("damkar"), "Damkar berangkat untuk")
        self.press(2004, "dishub", "Diterima")
        self.press(2005, "tni_polri", "Berangkat")
        fake.wait_for_message(self.chat("dinkes"), "Pengingat", timeout=30)
        fake.wait_for_message(self.chat("pimpinan"), "ESKALASI", timeout=30)
        self.press(2003, "dinkes", "Berangkat")
        for user, key, steps in ((2001, "damkar", ("Tiba", "Selesai")), (2002, "pln", ("Selesai",)),
                                 (2003, "dinkes", ("Tiba", "Selesai")), (2004, "dishub", ("Selesai",)),
                                 (2005, "tni_polri", ("Tiba", "Selesai"))):
            for label in steps:
                self.press(user, key, label)
        ask = fake.wait_for_message(1001, "Telepon pelapor")
        data = next(d for text, d in ask.buttons() if "mengonfirmasi" in text)
        fake.wait_for_answer(fake.press(1001, 1001, ask.message_id, data))
        self.fake.wait_until(lambda: "DITUTUP" in self.card("monitoring").text, what="laporan ditutup")
        fake.send_text(3001, self.chat("pimpinan"), "/rekap")
