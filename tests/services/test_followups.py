"""Follow-ups with a controllable clock: no real waiting, the database is the schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.db import models as db
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.domain.lifecycle import Action
from bot.services import desk, followups, intake, lifecycle, people, scheduled_posts
from bot.services.context import Actor, Services
from tests.center import ADMIN, FIRE, RINA, setup_center

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 WIT, in the morning shift
RESPONDERS = ["damkar", "pln", "dinkes", "dishub", "tni_polri"]
CHAT = {key: -1000 - i for i, key in enumerate(["call_center", "pimpinan", "monitoring", "tni_polri", "sar",
                                                  "damkar", "pln", "dinkes", "dishub", "bpbd", "satpol_pp",
                                                  "perkim", "dlhp", "jenazah"])}


async def notices(services: Services, marker: str) -> list[db.Delivery]:
    async with services.db.uow() as uow:
        rows = await uow.session.scalars(select(db.Delivery).where(db.Delivery.kind == "notice")
                                         .order_by(db.Delivery.id))
        return [r for r in rows if r.text and marker in r.text]


async def fire_at(services: Services, when: datetime, message_id: int = 10) -> int:
    outcome = await intake.lapor(services, RINA, RINA.id, True, message_id, FIRE, when)
    assert isinstance(outcome, intake.Accepted)
    return outcome.incident_id


async def test_every_rung_fires_at_its_time_and_not_before(services: Services) -> None:
    await setup_center(services)
    await fire_at(services, T0)
    for seconds, reminders, escalations in ((59, 0, 0), (60, 5, 0), (61, 5, 0), (119, 5, 0), (120, 10, 0),
                                            (179, 10, 0), (180, 10, 1), (299, 10, 1), (300, 10, 3)):
        await followups.sweep(services, T0 + timedelta(seconds=seconds))
        assert len(await notices(services, "Pengingat")) == reminders, seconds
        assert len(await notices(services, "ESKALASI")) == escalations, seconds
    # One message per rung, naming every silent agency (not one per agency).
    escalated_to = sorted(d.agency_key for d in await notices(services, "ESKALASI"))
    assert escalated_to == ["call_center", "monitoring", "pimpinan"]
    silent = "Damkar, PLN, Dinkes/RS, Dishub, TNI-Polri belum menerima laporan"
    assert all(silent in (d.text or "") for d in await notices(services, "ESKALASI"))
    reminder = (await notices(services, "Pengingat"))[0]
    assert reminder.agency_key in RESPONDERS and reminder.reply_to_message_id is None  # no card posted in this test
    for minutes in (10, 60, 600):  # nothing more: reminders never repeat past the rule's limit
        await followups.sweep(services, T0 + timedelta(minutes=minutes))
    assert len(await notices(services, "Pengingat")) == 10
    # + the resolve ladder (not finished after 3 h: call center; after 6 h: leadership), one message per rung
    assert len(await notices(services, "ESKALASI")) == 3 + 1 + 1


async def test_acting_stops_the_chase_and_later_escalations_say_who_acted(services: Services) -> None:
    await setup_center(services)
    incident = await fire_at(services, T0)
    await followups.sweep(services, T0 + timedelta(seconds=60))
    await lifecycle.press(services, Actor(2002, "Yani"), CHAT["pln"], incident, Action.ACK, T0 + timedelta(seconds=90))
    await followups.sweep(services, T0 + timedelta(seconds=120))
    second_round = (await notices(services, "Pengingat"))[5:]
    assert len(second_round) == 4 and "pln" not in {d.agency_key for d in second_round}
    await followups.sweep(services, T0 + timedelta(seconds=180))
    escalations = await notices(services, "ESKALASI")
    assert len(escalations) == 1
    assert "Damkar, Dinkes/RS, Dishub, TNI-Polri belum menerima laporan" in (escalations[0].text or "")
    assert all("PLN: ✅ diterima 10.01 (Yani)" in d.text for d in escalations)  # type: ignore[operator]


async def test_a_restart_between_sweeps_neither_loses_nor_repeats(services: Services, database_url: str) -> None:
    await setup_center(services)
    await fire_at(services, T0)
    await followups.sweep(services, T0 + timedelta(seconds=60))
    engine = make_engine(database_url)  # a new process: nothing in memory
    restarted = Services(Database(make_session_factory(engine)), services.rules, services.tz, services.tr)
    try:
        await followups.sweep(restarted, T0 + timedelta(seconds=65))
        assert len(await notices(restarted, "Pengingat")) == 5
        await followups.sweep(restarted, T0 + timedelta(seconds=150))  # down at 120 s: caught up, once
        assert len(await notices(restarted, "Pengingat")) == 10
    finally:
        await engine.dispose()


async def test_two_sweeps_at_once_send_each_rung_once(services: Services, database_url: str) -> None:
    await setup_center(services)
    for i in range(4):
        await fire_at(services, T0, message_id=100 + i)
    engines = [make_engine(database_url) for _ in range(2)]
    others = [Services(Database(make_session_factory(e)), services.rules, services.tz, services.tr) for e in engines]
    try:
        await asyncio.gather(*[followups.sweep(s, T0 + timedelta(seconds=61)) for s in others])
    finally:
        for engine in engines:
            await engine.dispose()
    reminders = await notices(services, "Pengingat")
    assert len(reminders) == 4 * 5
    assert len({(d.incident_id, d.agency_key) for d in reminders}) == 20


async def test_a_supervisor_snoozes_the_chase_with_a_reason(services: Services) -> None:
    await setup_center(services)
    await people.add_user(services, 1002, "Sari", "supervisor", None, T0)
    incident = await fire_at(services, T0)
    refused = await desk.snooze(services, RINA, RINA.id, True, "1", "30m", "alat berat", T0)
    assert refused.key == "snooze_supervisors_only"
    result = await desk.snooze(services, Actor(1002, "Sari"), 1002, True, "1", "30m", "menunggu alat berat", T0)
    assert result.key == "snoozed"
    await followups.sweep(services, T0 + timedelta(minutes=5))
    assert await notices(services, "Pengingat") == [] and await notices(services, "ESKALASI") == []
    await followups.sweep(services, T0 + timedelta(minutes=30))
    assert len(await notices(services, "Pengingat")) == 5
    async with services.db.uow() as uow:
        assert [e.detail for e in await uow.repo.events(incident) if e.kind == "snoozed"] == [
            {"reason": "menunggu alat berat"}]


async def test_closing_cancels_every_follow_up(services: Services) -> None:
    await setup_center(services)
    await fire_at(services, T0)
    await desk.close(services, RINA, RINA.id, True, "1", "palsu", "iseng", T0 + timedelta(seconds=30))
    await followups.sweep(services, T0 + timedelta(hours=5))
    assert await notices(services, "Pengingat") == [] and await notices(services, "ESKALASI") == []


async def test_the_sweep_reads_only_due_rows(services: Services, database_url: str) -> None:
    await setup_center(services)
    fresh = await fire_at(services, T0, 1)
    async with services.db.uow() as uow:  # many open incidents whose follow-ups are not due
        await uow.session.execute(db.Followup.__table__.insert(), [
            {"incident_id": fresh if i == 0 else 1, "agency_key": "damkar",
             "kind": "resolve", "started_at": T0, "step": 0, "due_at": T0 + timedelta(days=2), "status": "pending",
             "created_at": T0} for i in range(3000)])
        await uow.commit()
    async with services.db.uow() as uow:
        due = await uow.repo.due_followups(T0 + timedelta(seconds=60), 1000)
    assert len(due) == 5  # only the first reminders of the one fresh report
    if database_url.startswith("sqlite"):
        async with services.db.uow() as uow:
            plan = (await uow.session.execute(text(
                "EXPLAIN QUERY PLAN SELECT id, step FROM followup WHERE status = 'pending' AND due_at <= :now "
                "ORDER BY due_at LIMIT 200"), {"now": T0})).all()
        assert any("ix_followup_due" in str(row) for row in plan), plan


async def test_handover_covers_the_shift_that_ended_across_midnight(services: Services) -> None:
    await setup_center(services)
    wit = lambda d, h, m=0: datetime(2026, 3, d, h, m, tzinfo=services.tz)  # noqa: E731
    await fire_at(services, wit(2, 20, 50).astimezone(UTC), 1)   # Siang shift
    await fire_at(services, wit(2, 23, 30).astimezone(UTC), 2)   # Malam, before midnight
    await fire_at(services, wit(3, 2, 15).astimezone(UTC), 3)    # Malam, after midnight
    await fire_at(services, wit(3, 7, 5).astimezone(UTC), 4)     # Pagi
    assert await scheduled_posts.run_due(services, wit(3, 7, 0, ).astimezone(UTC) + timedelta(seconds=30)) == [
        "handover", "daily_recap"]
    assert await scheduled_posts.run_due(services, wit(3, 7, 1).astimezone(UTC)) == []  # once per period
    handover = (await notices(services, "Serah terima"))[0]
    assert handover.agency_key == "call_center"
    assert "shift Malam</b> (21.00–07.00 WIT, 03-03-2026)" in handover.text  # type: ignore[operator]
    assert "Laporan masuk:</b> 2 — Bencana 2" in handover.text  # type: ignore[operator]
    recap = await notices(services, "Rekap harian")
    assert sorted(d.agency_key for d in recap) == ["monitoring", "pimpinan"]
    assert "02-03-2026</b>: 2 laporan" in recap[0].text  # type: ignore[operator]


async def test_a_shift_nobody_checked_in_to_is_flagged_once(services: Services) -> None:
    await setup_center(services)
    await people.add_user(services, 1002, "Sari", "supervisor", None, T0)
    start = datetime(2026, 3, 2, 14, 0, tzinfo=services.tz).astimezone(UTC)
    assert "empty_shift" not in await scheduled_posts.run_due(services, start + timedelta(minutes=10))
    assert "empty_shift" in await scheduled_posts.run_due(services, start + timedelta(minutes=16))
    assert "empty_shift" not in await scheduled_posts.run_due(services, start + timedelta(minutes=20))
    flags = await notices(services, "belum ada petugas yang check-in")
    assert sorted(str(d.agency_key or d.chat_id) for d in flags) == sorted(["call_center", "1002", str(ADMIN.id)])
    evening = datetime(2026, 3, 2, 21, 0, tzinfo=services.tz).astimezone(UTC)
    await scheduled_posts.check_in(services, RINA.id, RINA.name, evening - timedelta(minutes=5))
    assert "empty_shift" not in await scheduled_posts.run_due(services, evening + timedelta(minutes=20))


async def test_a_follow_up_that_fails_is_moved_on_and_the_others_are_still_sent(services: Services) -> None:
    await setup_center(services)
    broken = await fire_at(services, T0, message_id=10)
    await fire_at(services, T0, message_id=11)
    async with services.db.uow() as uow:  # a priority renamed in the rules after the report was made
        await uow.session.execute(text("UPDATE incident SET priority = 'dihapus' WHERE id = :id"), {"id": broken})
        await uow.commit()
    result = await followups.sweep(services, T0 + timedelta(seconds=60))
    assert result.reminders == 5 and result.failed == 5  # the broken report's 5 agencies
    assert len(await notices(services, "Pengingat")) == 5
    async with services.db.uow() as uow:
        rows = (await uow.session.scalars(select(db.Followup).where(db.Followup.incident_id == broken,
                                                                   db.Followup.kind == "acknowledge"))).all()
    assert len(rows) == 5 and all(r.status == "pending" and r.step == 0 for r in rows)
    assert all(r.due_at == T0 + timedelta(seconds=60) + followups.RETRY_FAILED_AFTER for r in rows)
    # the next sweep does not stumble over it again before its new time
    assert (await followups.sweep(services, T0 + timedelta(seconds=120))).failed == 0
