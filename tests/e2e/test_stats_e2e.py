"""End to end: the published figures through `sigap112 import` / `stats` / `export` and /rekap with a chart."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import xmlschema

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess
from tests.published import CATEGORY_TOTALS, published_csv

from .conftest import bind_all_groups

pytestmark = pytest.mark.e2e
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "cap12.xsd"


def test_the_published_figures_come_out_of_the_cli_and_of_rekap_as_text_and_chart(
        process: BotProcess, fake: FakeTelegram, tmp_path: Path) -> None:
    data = tmp_path / "ambon.csv"
    data.write_text(published_csv())
    assert "548 laporan diimpor" in process.cli("import", "--format", "csv", str(data)).stdout
    result = json.loads(process.cli("stats", "--from", "2025-09-08", "--to", "2026-01-31", "--format", "json").stdout)
    assert {r["key"]: r["value"] for r in result["rows"] if r["group"] == "kategori"} == CATEGORY_TOTALS
    table = process.cli("stats", "--from", "2025-09-08", "--to", "2025-11-10").stdout
    assert "548 laporan" in process.cli("stats", "rebuild").stdout  # the daily roll-ups from scratch: the same
    again = json.loads(process.cli("stats", "--from", "2025-09-08", "--to", "2026-01-31", "--format", "json").stdout)
    assert again == result
    assert "Sirimau" in table and "129" in table and "Leitimur Selatan" in table
    process.cli("users", "add", "--id", str(world.LEADER), "--name", "Pak Kadis", "--role", "leader")
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    fake.send_text(world.LEADER, world.GROUPS["pimpinan"], "/rekap 2026-01")
    text = fake.wait_for_message(world.GROUPS["pimpinan"], "Rekap Januari 2026")
    assert text.text.startswith("Januari 2026: 80 laporan, terbanyak keamanan dan ketertiban; Sirimau tertinggi, "
                                "disusul Nusaniwe dan Teluk Ambon; Leitimur Selatan terendah.")
    photo = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.GROUPS["pimpinan"])
                                          if m.kind == "photo"), None), what="the chart")
    assert photo.file is not None and photo.file[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", photo.file[16:24])
    assert width >= 900 and height > width
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/rekap")  # not registered here: ignored
    fake.send_text(world.LEADER, world.LEADER, "/rekap 2026-13")
    assert "tidak ada" in fake.wait_for_message(world.LEADER, "Cara pakai").text


def january_2026() -> str:
    """The published figures' January 2026 (80 reports): what the export test reads, without importing 548."""
    header, *rows = published_csv().splitlines()
    return "\n".join([header, *(row for row in rows if row.startswith("2026-01"))]) + "\n"


def test_exports_validate_and_keep_callers_private_unless_an_admin_asks(process: BotProcess, tmp_path: Path) -> None:
    data = tmp_path / "ambon.csv"
    data.write_text(january_2026())
    process.cli("import", "--format", "csv", str(data))
    out = tmp_path / "cap"
    process.cli("export", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "cap", "--output", str(out))
    schema = xmlschema.XMLSchema(str(SCHEMA))
    files = sorted(out.glob("*.xml"))
    assert len(files) == 80
    for file in files:
        schema.validate(str(file))
    eido = json.loads(process.cli("export", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json").stdout)
    assert len(eido["incidents"]) == 80 and eido["incidents"][0]["incidentTrackingIdentifier"].startswith("112-2026-")
    refused = process.cli("export", "--format", "csv", "--include-personal-data", check=False)
    assert refused.returncode == 2 and "--by" in refused.stderr
    stranger = process.cli("export", "--format", "csv", "--include-personal-data", "--by", "42", check=False)
    assert stranger.returncode == 2 and "bukan admin" in stranger.stderr
    allowed = process.cli("export", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "csv",
                          "--include-personal-data", "--by", str(world.ADMIN))
    assert allowed.stdout.startswith("nomor,waktu,kategori")


def test_a_bad_import_file_is_refused_whole_with_line_numbers(process: BotProcess, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("waktu,kategori,kecamatan\n2026-01-05T10:00:00+09:00,medis,Sirimau\nkemarin,medis,Sirimau\n")
    result = process.cli("import", "--format", "csv", str(bad), check=False)
    assert result.returncode == 2 and "baris 3" in result.stderr and "Tidak ada yang diimpor" in result.stderr
    stats = json.loads(process.cli("stats", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json").stdout)
    assert stats["total"] == 0
