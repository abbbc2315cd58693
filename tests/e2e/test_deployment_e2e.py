"""Running it for real: webhook mode with a verified secret and /healthz, and two instances on one PostgreSQL
that send every post, reminder and scheduled report exactly once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess, free_port
from tests.conftest import RULES_DIR, fresh_database_url

from .conftest import add_staff, bind_all_groups
from .settle import wait_quiet
from .steps import BLOCK, FAST, SECRET, healthz, webhook_env

pytestmark = pytest.mark.e2e
REPORTS = 8


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_webhook_mode_takes_updates_only_with_the_secret_and_answers_healthz(
        process: BotProcess, fake: FakeTelegram) -> None:
    port = free_port()
    process.env.update(webhook_env(port))
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start("--webhook")
    fake.wait_until(lambda: fake.webhook, what="setWebhook")
    assert fake.webhook == {"url": f"http://127.0.0.1:{port}/telegram", "secret_token": SECRET}
    bind_all_groups(fake)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/lapor\nkategori: medis\nkecamatan: Sirimau\nalamat: Pasar\n"
                                                       "keterangan: Pingsan")
    fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    forged = json.dumps({"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/lapor x",
                                                       "chat": {"id": 1, "type": "private"}}}).encode()
    url = f"http://127.0.0.1:{port}/telegram"
    assert post(url, forged, {}) == 403
    assert post(url, forged, {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "x"}) == 403
    status, health = healthz(port)
    assert status == 200 and health["database"] == "ok" and health["last_update_at"]
    assert "outbox_backlog" in health and health["unreachable_groups"] == []


def test_a_webhook_start_without_its_settings_names_the_missing_one(process: BotProcess) -> None:
    result = process.cli("run", "--webhook", check=False)
    assert result.returncode == 2 and "WEBHOOK_URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_instances_on_one_postgresql_send_each_post_reminder_and_report_once(
        fake: FakeTelegram, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    # Reminders at 3 s, but no escalation inside the test: 8 reports with 5 silent agencies each would put 40
    # escalations into the leadership and call-center groups, more than Telegram lets into a group in the two
    # minutes this test waits for the handover and the recap behind them (they go last, by priority).
    slow_ladder = BLOCK.replace("after: 6s", "after: 1h").replace("after: 9s", "after: 2h")
    (rules / "escalation.yaml").write_text(FAST.format(blocks="".join(slow_ladder.format(name=n) for n in (
        "kritis", "tinggi", "sedang", "rendah"))))
    wit = ZoneInfo("Asia/Jayapura")
    boundary = (datetime.now(wit) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    half = boundary + timedelta(hours=12)
    (rules / "shifts.yaml").write_text(
        f'shifts:\n  - {{name: A, start: "{boundary:%H:%M}", end: "{half:%H:%M}"}}\n'
        f'  - {{name: B, start: "{half:%H:%M}", end: "{boundary:%H:%M}"}}\n'
        f'checkin_grace: 12h\ndaily_recap: "{boundary:%H:%M}"\n')
    for url in fresh_database_url("postgresql", tmp_path):
        ports = [free_port(), free_port()]
        bots = []
        for i, port in enumerate(ports):
            work = tmp_path / f"instance{i}"
            work.mkdir()
            bot = BotProcess(fake, url, work, admin_ids=[world.ADMIN],
                             extra_env={**webhook_env(port), "INSTANCE_ID": f"sigap-{i}", "RULES_DIR": str(rules),
                                        "SWEEP_INTERVAL": "0.5",
                                        "INSTANCES": "2"})  # they share the token's flood limits
            bots.append(bot)
        bots[0].cli("db", "upgrade")
        add_staff(bots[0], [(world.CALL_TAKER, "Rina", "call_taker")])
        # The handover and the recap are due from the first sweep: their groups are bound before it (a scheduled
        # post for an agency with no group yet fails for good), the others through the bot as usual.
        early = ("call_center", "pimpinan", "monitoring")
        for key in early:
            bots[0].cli("groups", "add", "--chat-id", str(world.GROUPS[key]), "--key", key)
        fake.load_balance = [f"http://127.0.0.1:{p}/telegram" for p in ports]
        try:
            for bot in bots:
                bot.start("--webhook")
            fake.wait_until(lambda: fake.webhook, what="setWebhook")
            # Telegram load-balances only over instances that answer: wait until both webhook servers listen.
            fake.wait_until(lambda ports=ports: all(_listening(p) for p in ports), what="both webhook servers up")
            later = {key: chat_id for key, chat_id in world.GROUPS.items() if key not in early}
            for key, chat_id in later.items():
                fake.send_text(world.ADMIN, chat_id, f"/daftar_grup {key}")
            for chat_id in later.values():
                fake.wait_for_message(chat_id, "sekarang terdaftar")
            for i in range(REPORTS):
                fake.send_text(world.CALL_TAKER, world.CALL_TAKER,
                               f"/lapor\nkategori: kebakaran\nkecamatan: Sirimau\nalamat: Gudang {i}\nketerangan: Api")
            def accepted() -> set[str] | None:
                found = {m.text.split(": ")[1].split()[0] for m in fake.bot_messages(world.CALL_TAKER)
                         if "Laporan tercatat" in m.text}
                return found if len(found) >= REPORTS else None

            numbers = fake.wait_until(accepted, timeout=60, what="every report accepted")
            assert len(numbers) == REPORTS
            assert {t for t, s in fake.webhook_posts if s == 200} == set(fake.load_balance)  # both took updates
            def mentions(key: str, marker: str, numbers: set[str] = numbers) -> list[str]:
                """Report numbers in the group's messages, once per post (a card, or a line of a digest) that
                carries `marker` (two instances at half the flood budget each merge posts in a backlog)."""
                return [number for m in fake.bot_messages(world.GROUPS[key]) for line in m.text.split("\n\n")
                        for number in numbers if number in line and marker in line]

            for key in world.FIRE_GROUPS:
                fake.wait_until(lambda key=key, all_=numbers: set(mentions(key, "LAPORAN")
                                                                   + mentions(key, "laporan baru sekaligus")) >= all_,
                                timeout=90, what=f"every report in {key}")
            for key in ("damkar", "pln", "dinkes", "dishub", "tni_polri"):  # reminders at 5 s
                fake.wait_until(lambda key=key, all_=numbers: set(mentions(key, "Pengingat")) >= all_, timeout=90,
                                what=f"a reminder of every report in {key}")
            fake.wait_until(lambda: any("Serah terima" in m.text for m in fake.bot_messages(
                world.GROUPS["call_center"])), timeout=120, what="the handover")
            fake.wait_until(lambda: any("Rekap harian" in m.text for m in fake.bot_messages(
                world.GROUPS["pimpinan"])), timeout=120, what="the daily recap")
            wait_quiet(fake, bots[0])  # every instance swept after now, nothing waits: a second copy would be here
            for key in world.FIRE_GROUPS:
                cards = [n for m in fake.bot_messages(world.GROUPS[key]) for n in numbers
                         if f"LAPORAN {n}" in m.text.split("\n\n")[0]]  # the card's title block
                digested = [n for m in fake.bot_messages(world.GROUPS[key]) if "laporan baru sekaligus" in m.text
                            for n in numbers if n in m.text]
                assert sorted(cards + digested) == sorted(numbers), key
            for key in ("damkar", "pln", "dinkes", "dishub", "tni_polri"):
                assert sorted(mentions(key, "Pengingat")) == sorted(numbers), key
            handovers = [m for m in fake.bot_messages(world.GROUPS["call_center"]) if "Serah terima" in m.text]
            recaps = [m for m in fake.bot_messages(world.GROUPS["pimpinan"]) if "Rekap harian" in m.text]
            assert len(handovers) == 1 and len(recaps) == 1
        except BaseException:
            for i, bot in enumerate(bots):
                print(f"---- log of instance {i} ----\n" + bot.logs()[-8000:])
            raise
        finally:
            for bot in bots:
                bot.stop()


def test_health_shows_backlog_unreachable_groups_and_the_last_update(running: BotProcess,
                                                                     fake: FakeTelegram) -> None:
    fake.kick_bot(world.GROUPS["sar"])
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/lapor\nkategori: orang hilang\nkecamatan: Nusaniwe\n"
                                                       "alamat: Pantai\nketerangan: Hilang")
    fake.wait_for_message(world.CALL_TAKER, "GAGAL")
    fake.send_text(world.ADMIN, world.ADMIN, "/kesehatan")
    text = fake.wait_for_message(world.ADMIN, "Kesehatan Sigap 112").text
    assert "Basis data: ok" in text and "Grup yang tidak dapat dihubungi: sar" in text
    report = json.loads(fake.wait_until(lambda: (lambda r: r.stdout if '"e2e-1"' in r.stdout else None)(
        running.cli("health")), what="a heartbeat"))
    assert report["database"] == "ok" and report["unreachable_groups"] == ["sar"]
    assert report["instances"]["e2e-1"]["last_update_at"] is not None


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
