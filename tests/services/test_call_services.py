"""The call log's timers on a real database: the supervisors' weekly list of repeat numbers (posted once per week,
to them alone) and the retention of phones (the call stays, the phone goes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cli_data import _stat_rows
from bot.db import models as db
from bot.domain.periods import Period
from bot.services import calls, exchange, intake, people, scheduled_posts, stats
from bot.services.context import Services
from tests.center import FIRE, NOW, RINA, setup_center

MONDAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # made WIT in the test


async def log(services: Services, line: str, when: datetime, message_id: int) -> None:
    result = await calls.log_line(services, RINA, RINA.id, True, message_id, line, when)
    assert isinstance(result, calls.Logged), result


async def test_supervisors_get_the_weeks_repeat_prank_numbers_once_and_no_group_does(services: Services) -> None:
    await setup_center(services)
    await people.add_user(services, 1002, "Sari", "supervisor", None, datetime(2026, 3, 1, tzinfo=UTC))
    monday = MONDAY_8.replace(tzinfo=services.tz).astimezone(UTC)
    for n, line in enumerate(["iseng 0811 2222 3333", "diam 0811 2222 3333", "iseng 0812 3456 7890",
                              "info 0813 1111 2222", "info 0813 1111 2222"]):
        await log(services, line, monday - timedelta(days=2, minutes=n), 10 + n)
    assert "weekly_repeat_numbers" in await scheduled_posts.run_due(services, monday + timedelta(minutes=1))
    assert "weekly_repeat_numbers" not in await scheduled_posts.run_due(services, monday + timedelta(minutes=2))
    async with services.db.uow() as uow:
        rows = [r for r in await uow.session.scalars(select(db.Delivery).where(db.Delivery.kind == "notice"))
                if r.text and "berulang" in r.text]
    assert sorted(r.chat_id for r in rows if r.chat_id) == [1, 1002] and all(r.agency_key is None for r in rows)
    assert "0811-2222-3333: 2 kali" in str(rows[0].text)
    assert "3456" not in str(rows[0].text) and "1111" not in str(rows[0].text)  # one prank, or no prank at all


async def test_phones_older_than_the_retention_are_removed_and_the_calls_stay(services: Services) -> None:
    await setup_center(services)
    now = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    await log(services, "iseng 0811 2222 3333", now - timedelta(days=91), 10)
    await log(services, "iseng 0811 2222 3333", now - timedelta(days=5), 11)
    assert await calls.forget_old_phones(services, now) == 1
    assert await calls.forget_old_phones(services, now + timedelta(minutes=5)) == 0  # once an hour
    async with services.db.uow() as uow:
        rows = list(await uow.session.scalars(select(db.Call).order_by(db.Call.called_at)))
    assert [r.phone for r in rows] == [None, "+6281122223333"] and rows[0].phone_removed_at is not None
    history = await calls.number_history(services, RINA, RINA.id, True, "0811 2222 3333", now)
    assert isinstance(history, calls.NumberHistory) and len(history.history.calls) == 1


async def test_stats_and_exports_count_calls_beside_reports(services: Services) -> None:
    await setup_center(services)
    await log(services, "iseng 0811 2222 3333", NOW - timedelta(minutes=10), 10)
    await log(services, "salah sambung", NOW - timedelta(minutes=9), 11)
    came_in = (NOW - timedelta(minutes=4)).astimezone(services.tz)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 12, FIRE + f"\nwaktu_panggilan: {came_in:%H.%M}", NOW)
    assert isinstance(outcome, intake.Accepted)
    period = Period(NOW - timedelta(hours=1), NOW + timedelta(hours=1), "x")
    rows = _stat_rows(services, await stats.recap_of(services, period))
    assert ("panggilan", "total", 3) in rows and ("panggilan", "iseng", 1) in rows
    assert ("panggilan", "salah_sambung", 1) in rows and ("panggilan", "darurat", 1) in rows
    assert ("panggilan_ke_laporan", "median_menit", 4.0) in rows and ("panggilan_ke_laporan", "n", 1) in rows
    [record] = await exchange.records(services, period)
    assert record.called_at == NOW - timedelta(minutes=4)


async def test_the_daily_recap_to_the_leaders_counts_calls_without_any_number(services: Services) -> None:
    await setup_center(services)
    day = datetime(2026, 3, 2, 10, 0, tzinfo=services.tz).astimezone(UTC)
    await log(services, "iseng 0811 2222 3333", day, 10)
    await log(services, "info", day + timedelta(minutes=1), 11)
    next_morning = datetime(2026, 3, 3, 7, 0, 30, tzinfo=services.tz).astimezone(UTC)
    assert "daily_recap" in await scheduled_posts.run_due(services, next_morning)
    async with services.db.uow() as uow:
        recaps = [r for r in await uow.session.scalars(select(db.Delivery).where(db.Delivery.kind == "notice"))
                  if r.text and "Rekap harian" in r.text]
    assert sorted(str(r.agency_key) for r in recaps) == ["monitoring", "pimpinan"]
    assert all("Panggilan:</b> 2 (informasi 1, iseng 1); iseng 50%" in str(r.text) for r in recaps), recaps[0].text
    assert all("2222" not in str(r.text) for r in recaps)


async def test_a_report_tells_every_earlier_call_of_its_number_in_the_window_as_counted_from_the_calls(
        services: Services) -> None:
    """The call taker's line counts the number's calls of the last 30 days in the database (all of them: 230
    here, more than a page of calls), each kind as often as it was called, the last call's time, nothing older
    and not the report's own call: what the same calls give when read one by one."""
    from bot.domain.calls import PastCall, history_line, history_of

    await setup_center(services)
    phone = "0811 2222 3333"
    kinds = ["iseng"] * 150 + ["diam"] * 50 + ["info"] * 30
    past = [PastCall(NOW - timedelta(days=29, minutes=-i), kind) for i, kind in enumerate(kinds)]
    for i, call in enumerate(past):
        await log(services, f"{call.kind} {phone}", call.called_at, 100 + i)
    await log(services, f"info {phone}", NOW - timedelta(days=31), 99)  # outside the window
    outcome = await intake.lapor(services, RINA, RINA.id, True, 12, FIRE.replace("0812 3456 7890", phone), NOW)
    assert isinstance(outcome, intake.Accepted) and outcome.history is not None
    line = history_line(outcome.history, services.tr, services.tz)
    assert line == history_line(history_of(past, NOW), services.tr, services.tz)
    assert line is not None and "150 iseng, 50 diam, 30 informasi dalam 30 hari" in line, line
    looked_up = await calls.number_history(services, RINA, RINA.id, True, phone, NOW)  # /nomor: 90 days
    assert isinstance(looked_up, calls.NumberHistory)
    assert looked_up.history.total == 232 and looked_up.history.kinds[0] == ("iseng", 150)  # + the report, + day 31
