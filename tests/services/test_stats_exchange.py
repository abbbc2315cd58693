"""Statistics and exchange formats on a real database, from a dataset matching Ambon's published figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import xmlschema

from bot.domain.exchange_formats import CSV_COLUMNS, cap_alert, csv_row, eido
from bot.domain.periods import Period, month_period
from bot.domain.stats import spoken_summary
from bot.services import exchange, intake, stats
from bot.services.context import Services
from bot.services.scheduled_posts import labels
from tests.center import FIRE, RINA, setup_center
from tests.published import CATEGORY_TOTALS, WIT, published_csv

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "cap12.xsd"
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def days(first: date, last: date) -> Period:
    return Period(datetime.combine(first, time(0), tzinfo=WIT),
                  datetime.combine(last + timedelta(days=1), time(0), tzinfo=WIT), "periode")


async def imported(services: Services) -> None:
    await exchange.import_rows(services, exchange.parse_csv(services, published_csv()), NOW)


async def test_the_published_ambon_figures_come_out_exactly(services: Services) -> None:
    await imported(services)
    async with services.db.uow() as uow:
        launch = await stats.recap(uow, services, days(date(2025, 9, 8), date(2026, 1, 31)))
        november = await stats.recap(uow, services, days(date(2025, 9, 8), date(2025, 11, 10)))
        january = await stats.recap(uow, services, month_period(2026, 1, services.tz))
    assert dict(launch.by_category) == CATEGORY_TOTALS and launch.total == 548
    assert dict(november.by_kecamatan) == {"Sirimau": 129, "Nusaniwe": 61, "Teluk Ambon": 37,
                                           "Teluk Ambon Baguala": 28, "Leitimur Selatan": 0}
    assert january.total == 80 and january.by_category[0][0] == "kamtibmas"
    assert [k for k, _ in january.by_kecamatan][:3] == ["Sirimau", "Nusaniwe", "Teluk Ambon"]
    assert january.by_kecamatan[-1][0] == "Leitimur Selatan"
    assert spoken_summary(january, labels(services)[0], services.tr) == (
        "Januari 2026: 80 laporan, terbanyak keamanan dan ketertiban; Sirimau tertinggi, disusul Nusaniwe dan "
        "Teluk Ambon; Leitimur Selatan terendah.")


async def test_response_times_per_agency_and_share_within_the_rules(services: Services) -> None:
    from bot.domain.lifecycle import Action
    from bot.services import lifecycle
    from bot.services.context import Actor

    await setup_center(services)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for i, ack_after in enumerate((30, 90, 150)):
        outcome = await intake.lapor(services, RINA, RINA.id, True, 10 + i, FIRE, start + timedelta(minutes=10 * i))
        assert isinstance(outcome, intake.Accepted)
        pressed = start + timedelta(minutes=10 * i, seconds=ack_after)
        await lifecycle.press(services, Actor(2001, "Budi"), -1005, outcome.incident_id, Action.ACK, pressed)
    async with services.db.uow() as uow:
        summary = await stats.recap(uow, services, days(date(2026, 3, 2), date(2026, 3, 2)))
    damkar = next(r for r in summary.response if r.key == "damkar")
    assert damkar.targets == 3 and damkar.acknowledge.n == 3
    assert damkar.acknowledge.median == pytest.approx(1.5)
    assert damkar.acknowledge.within == pytest.approx(1 / 3)  # critical: acknowledge within 1 minute


async def test_a_csv_export_imports_back_to_the_same_numbers(services: Services, database_url: str) -> None:
    await imported(services)
    period = days(date(2025, 9, 1), date(2026, 1, 31))
    records = await exchange.records(services, period)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(csv_row(r, services.tz, personal=False) for r in records)
    async with services.db.uow() as uow:
        before = await stats.recap(uow, services, period)
    with pytest.raises(exchange.ImportError_) as again:  # the same numbers cannot be imported twice
        await exchange.import_rows(services, exchange.parse_csv(services, out.getvalue()), NOW)
    assert "sudah ada" in again.value.problems[0]
    async with services.db.uow() as uow:
        from sqlalchemy import delete

        from bot.db import models as db

        for model in (db.Event, db.IncidentTarget, db.Incident, db.IncidentCounter):
            await uow.session.execute(delete(model))
        await uow.commit()
    await stats.rebuild(services, NOW)  # a bulk DELETE in SQL passes the roll-ups by: rebuilt, as an admin would
    await exchange.import_rows(services, exchange.parse_csv(services, out.getvalue()), NOW)
    async with services.db.uow() as uow:
        after = await stats.recap(uow, services, period)
    assert (after.total, after.by_category, after.by_kecamatan, after.false_reports) == (
        before.total, before.by_category, before.by_kecamatan, before.false_reports)


async def test_imported_rows_are_numbered_in_file_order_around_the_numbers_given(services: Services) -> None:
    """A row without a number takes the next of its year; a number given raises the counter for what follows,
    in the import and after it."""
    text = ("nomor,waktu,kategori,kecamatan,alamat,keterangan\n"
            ",2025-03-01T10:00:00+09:00,medis,Sirimau,Jl. A,tanpa nomor\n"
            "112-2025-00007,2025-03-01T11:00:00+09:00,medis,Sirimau,Jl. B,bernomor\n"
            ",2025-03-01T12:00:00+09:00,medis,Sirimau,Jl. C,tanpa nomor\n"
            "112-2025-00003,2025-03-01T13:00:00+09:00,medis,Sirimau,Jl. D,bernomor lebih kecil\n"
            ",2026-01-05T10:00:00+09:00,medis,Sirimau,Jl. E,tahun lain\n")
    assert await exchange.import_rows(services, exchange.parse_csv(services, text), NOW) == 5
    async with services.db.uow() as uow:
        numbers = {i.address: i.number for i in await uow.repo.incidents_between(datetime(2020, 1, 1, tzinfo=UTC),
                                                                                 NOW)}
        assert numbers == {"Jl. A": "112-2025-00001", "Jl. B": "112-2025-00007", "Jl. C": "112-2025-00008",
                           "Jl. D": "112-2025-00003", "Jl. E": "112-2026-00001"}
        assert (await uow.repo.next_seq(2025), await uow.repo.next_seq(2026)) == (9, 2)


async def test_a_file_with_bad_rows_imports_nothing_and_names_the_lines(services: Services) -> None:
    text = ("waktu,kategori,kecamatan,alamat,keterangan\n"
            "2026-01-05T10:00:00+09:00,medis,Sirimau,Jl. A,ok\n"
            "kemarin,medis,Sirimau,Jl. B,waktu salah\n"
            "2026-01-05T11:00:00+09:00,gempa bumi,Sirimau,Jl. C,jenis sebagai kategori: boleh\n"
            "2026-01-05T12:00:00+09:00,cuaca,Kota Lain,Jl. D,dua kesalahan\n")
    with pytest.raises(exchange.ImportError_) as error:
        exchange.parse_csv(services, text)
    assert [p.split(":")[0] for p in error.value.problems] == ["baris 3", "baris 5"]
    assert "kategori" in error.value.problems[1] and "kecamatan" in error.value.problems[1]
    async with services.db.uow() as uow:
        assert await uow.repo.incidents_between(datetime(2020, 1, 1, tzinfo=UTC), NOW) == []


async def test_every_cap_alert_validates_against_the_oasis_schema(services: Services) -> None:
    await setup_center(services)
    schema = xmlschema.XMLSchema(str(SCHEMA))
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE + "\nkoordinat: -3.69, 128.18",
                                 datetime(2026, 3, 2, 1, 0, 5, 123456, tzinfo=UTC))
    assert isinstance(outcome, intake.Accepted)
    await imported(services)
    records = await exchange.records(services, days(date(2025, 9, 1), date(2026, 3, 31)))
    assert len(records) == 549
    for record in records:
        xml = cap_alert(record, services.tz, "callcenter112@ambon.go.id", personal=False)
        schema.validate(xml.decode())
    fire = next(r for r in records if r.number == outcome.number)
    text = cap_alert(fire, services.tz, "callcenter112@ambon.go.id", personal=False).decode()
    assert "<sent>2026-03-02T10:00:05+09:00</sent>" in text and "<scope>Restricted</scope>" in text
    assert "<category>Fire</category>" in text and "<contact>…890</contact>" in text and "Ibu" not in text
    assert "7890" not in text and "3456" not in text


async def test_the_json_export_is_shaped_after_eido_and_masks_the_caller(services: Services) -> None:
    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE + "\npelapor: Ibu Maria", NOW)
    assert isinstance(outcome, intake.Accepted)
    [record] = await exchange.records(services, days(date(2026, 2, 1), date(2026, 2, 1)))
    shaped = eido(record, services.tz, personal=False)
    assert shaped["incidentTrackingIdentifier"] == outcome.number
    assert shaped["location"]["civicAddress"]["A3"] == "Sirimau"
    assert {a["agencyIdentifier"] for a in shaped["agencies"]} >= {"damkar", "pln", "monitoring"}
    came_in = "2026-02-01T09:00:00+09:00"  # the call log: the draft was begun as the report was filed
    assert shaped["calls"] == [{"callerName": "(disamarkan)", "callerPhone": "…890", "callTimestamp": came_in}]
    assert shaped["timeline"][0]["event"] == "created"
    full = eido(record, services.tz, personal=True)
    assert full["calls"] == [{"callerName": "Ibu Maria", "callerPhone": "0812-3456-7890", "callTimestamp": came_in}]


def test_the_chart_is_a_png_readable_on_a_phone() -> None:
    import struct

    from bot.chart_drawing import recap_png
    from bot.domain.chart_data import CHART_TEXTS, ChartData
    from bot.i18n import Catalogue

    texts = {key: str(Catalogue("id")(f"chart.{key}")) for key in CHART_TEXTS}
    png = recap_png(ChartData("Rekap Januari 2026 — 80 laporan", [("Keamanan & ketertiban", 34), ("Medis", 22)],
                              [("Sirimau", 30), ("Leitimur Selatan", 3)], [("Damkar", 1.5, 9.0), ("PLN", 2.0, None)],
                              texts))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert 900 <= width <= 2000 and height > width and 20_000 < len(png) < 1_500_000


def test_charts_drawn_in_parallel_threads_are_whole_and_never_touch_pyplot() -> None:
    """Review #13: pyplot's global state is not thread-safe, and the map's viewers, /rekap and the scheduled charts
    draw in worker threads at once: the charts use matplotlib's object API only."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from bot.chart_drawing import recap_png
    from bot.domain.chart_data import CHART_TEXTS, ChartData
    from bot.i18n import Catalogue

    probe = "import sys, bot.chart_drawing; print('matplotlib.pyplot' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
    texts = {key: str(Catalogue("id")(f"chart.{key}")) for key in CHART_TEXTS}
    charts = [ChartData(f"Rekap {n}", [("Medis", n + 1)], [("Sirimau", n)], [("Damkar", 1.0 + n, None)], texts)
              for n in range(6)]
    alone = [recap_png(c) for c in charts]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(recap_png, charts))
    assert together == alone


async def test_an_export_of_personal_data_is_recorded_with_who_asked(services: Services) -> None:
    from sqlalchemy import select

    from bot.db import models as db

    await exchange.record_personal_export(services, 1, "csv 01-01-2026 s.d. 31-01-2026", NOW)
    async with services.db.uow() as uow:
        events = (await uow.session.scalars(select(db.Event).where(db.Event.kind == "personal_data_export"))).all()
    assert [(e.actor_id, e.detail) for e in events] == [(1, {"export": "csv 01-01-2026 s.d. 31-01-2026"})]


def test_a_neutralised_csv_cell_reads_back_as_the_text_it_was() -> None:
    from bot.domain.exchange_formats import csv_safe, csv_unsafe

    for text in ('=HYPERLINK("http://x","y")', "+62 812", "-1+2", "@SUM(A1)", "\tx", "\rx", "'=already", "biasa",
                 "'kutip biasa"):
        assert csv_unsafe(str(csv_safe(text))) == text, text
    assert csv_safe("-3.695") == "-3.695" and csv_safe("+62812") == "+62812" and csv_safe(12) == 12
