"""Issue 14 at the service level, with a controllable clock: rungs kept to the lead agency's (or the supporting
agencies') silence, the daily recap's list of what is still open, and board edits coalesced in the outbox."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.db import models as db
from bot.domain.lifecycle import Action
from bot.domain.model import DeliveryKind, DeliveryPriority
from bot.domain.privacy import Audience
from bot.rules_loader import load_rules
from bot.services import boards, followups, intake, lifecycle, scheduled_posts
from bot.services.context import Actor, Services
from bot.services.dispatch import Route
from tests.center import RINA, setup_center
from tests.conftest import RULES_DIR, WIT

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 WIT
FIRE = ("kategori: kebakaran\nkecamatan: Sirimau\nkelurahan: Batu Merah\nalamat: Jl. Sudirman\n"
        "pelapor: Ibu Maria\ntelepon: 0812 3456 7890\nketerangan: Rumah terbakar")
PLN_CHAT, DAMKAR_CHAT = -1000 - 6, -1000 - 5  # as setup_center binds them (agencies.yaml order)
BLOCK = """  {name}:
    acknowledge: {{within: 1h, reminders: 0,
                  ladder: [{{after: 3mnt, to: call_center}}, {{after: 5mnt, to: pimpinan, agencies: supporting}},
                           {{after: 5mnt, to: monitoring, agencies: lead}}]}}
    on_scene: {{within: 1h, ladder: []}}
    update: {{every: 1h, reminders: 0}}
    resolve: {{within: 1d, ladder: []}}
"""


def lead_rules(services: Services, tmp_path: Path) -> Services:
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    blocks = "".join(BLOCK.format(name=n) for n in ("kritis", "tinggi", "sedang", "rendah"))
    (rules_dir / "escalation.yaml").write_text("priorities:\n" + blocks)
    return Services(services.db, load_rules(rules_dir), WIT, services.tr, services.admin_ids)


async def rows(services: Services, kind: DeliveryKind) -> list[db.Delivery]:
    async with services.db.uow() as uow:
        return list((await uow.session.scalars(select(db.Delivery).where(db.Delivery.kind == kind)
                                               .order_by(db.Delivery.id))).all())


async def fire_at(services: Services, when: datetime, message_id: int = 10) -> int:
    outcome = await intake.lapor(services, RINA, RINA.id, True, message_id, FIRE, when)
    assert isinstance(outcome, intake.Accepted)
    return outcome.incident_id


async def test_rungs_kept_to_the_lead_or_the_supporting_agencies(services: Services, tmp_path: Path) -> None:
    services = lead_rules(services, tmp_path)
    await setup_center(services)
    silent_fire = await fire_at(services, T0, 10)
    led_fire = await fire_at(services, T0, 11)
    await lifecycle.press(services, Actor(2001, "Budi"), DAMKAR_CHAT, led_fire, Action.ACK, T0 + timedelta(seconds=30))
    only_lead_silent = await fire_at(services, T0, 12)
    for agency_chat in (PLN_CHAT, -1000 - 7, -1000 - 8, -1000 - 3):  # pln, dinkes, dishub, tni_polri answer
        await lifecycle.press(services, Actor(2002, "Yani"), agency_chat, only_lead_silent, Action.ACK,
                              T0 + timedelta(seconds=40))
    await followups.sweep(services, T0 + timedelta(minutes=5))
    sent = [(d.agency_key, d.incident_id) for d in await rows(services, DeliveryKind.NOTICE)
            if "ESKALASI" in (d.text or "")]
    # The call center hears of every silence, once per report; the mayor's group only of the lead's (Damkar);
    # the leaders (rung kept to supporting agencies) only where a supporting agency is silent.
    assert sorted(sent) == sorted([("call_center", silent_fire), ("call_center", led_fire),
                                   ("call_center", only_lead_silent), ("monitoring", silent_fire),
                                   ("monitoring", only_lead_silent), ("pimpinan", silent_fire),
                                   ("pimpinan", led_fire)])


async def test_the_daily_recap_lists_what_is_still_open_without_the_caller(services: Services) -> None:
    await setup_center(services)
    incident = await fire_at(services, T0)
    morning = datetime(2026, 3, 3, 7, 0, tzinfo=WIT).astimezone(UTC)
    assert "daily_recap" in await scheduled_posts.run_due(services, morning + timedelta(minutes=1))
    recaps = [d for d in await rows(services, DeliveryKind.NOTICE) if "Masih terbuka sekarang (1)" in (d.text or "")]
    assert sorted(d.agency_key for d in recaps) == ["monitoring", "pimpinan"]
    async with services.db.uow() as uow:
        number = (await uow.repo.incident(incident)).number  # type: ignore[union-attr]
    for recap in recaps:
        assert number in (recap.text or "") and "belum merespons: Damkar, PLN" in (recap.text or "")
        assert "Maria" not in (recap.text or "") and "7890" not in (recap.text or "")


async def test_a_burst_of_changes_is_one_waiting_board_edit_per_group_behind_the_cards(services: Services) -> None:
    await setup_center(services)
    await boards.ensure(services, boards.board_keys(services, ["call_center", "pimpinan", "monitoring", "damkar",
                                                               "nowhere"]), T0)
    for row in await rows(services, DeliveryKind.BOARD):  # the first boards went out
        async with services.db.uow() as uow:
            await uow.session.execute(db.Delivery.__table__.update().where(db.Delivery.id == row.id)
                                      .values(status="sent"))
            await uow.commit()
    incident = await fire_at(services, T0 + timedelta(seconds=1))
    for agency_chat in (PLN_CHAT, DAMKAR_CHAT):
        await lifecycle.press(services, Actor(2002, "Yani"), agency_chat, incident, Action.ACK,
                              T0 + timedelta(seconds=2))
    waiting = [d for d in await rows(services, DeliveryKind.BOARD) if d.status == "pending"]
    assert sorted(d.agency_key for d in waiting) == ["call_center", "monitoring", "pimpinan"]  # one per group
    assert all(d.priority == DeliveryPriority.BOARD for d in waiting)
    cards = await rows(services, DeliveryKind.CARD)
    assert cards and all(c.priority < DeliveryPriority.BOARD and c.id < min(d.id for d in waiting) for c in cards)


async def test_a_board_whose_group_moved_to_another_topic_of_its_forum_is_posted_there_not_edited(
        services: Services) -> None:
    """Review #6: only the chat was compared, so the board kept being edited in the old topic."""
    await setup_center(services)
    forum = -1009
    await boards.ensure(services, ["monitoring"], T0)
    async with services.db.uow() as uow:
        await uow.repo.remove_group("monitoring")
        await uow.repo.add_group("monitoring", forum, "Forum", T0, thread_id=5)
        await uow.repo.board_sent("monitoring", forum, 40, True, T0, thread_id=5)
        await uow.commit()
    board = (await rows(services, DeliveryKind.BOARD))[-1]
    async with services.db.uow() as uow:
        same = await boards.board_job(uow, services, board, Route("monitoring", None), T0)
        assert same is not None and same.message_id == 40  # still in its topic: edited in place
        await uow.repo.remove_group("monitoring")
        await uow.repo.add_group("monitoring", forum, "Forum", T0, thread_id=7)
        await uow.repo.flush()
        moved = await boards.board_job(uow, services, board, Route("monitoring", None), T0)
    assert moved is not None and moved.message_id is None and moved.thread_id == 7 and moved.pin


async def test_the_board_and_the_map_read_the_most_urgent_open_reports_and_count_the_rest(
        services: Services) -> None:
    """Review #5: they read the OLDEST open reports (the first 300 / 2000): a new kritis report past that never
    showed, and "… and N more" was wrong."""
    await setup_center(services)
    ids = [await fire_at(services, T0 + timedelta(minutes=n), message_id=10 + n) for n in range(4)]
    async with services.db.uow() as uow:
        await uow.session.execute(db.Incident.__table__.update().where(db.Incident.id.in_(ids[:3]))
                                  .values(priority="rendah"))
        await uow.session.execute(db.Incident.__table__.update().where(db.Incident.id == ids[3])
                                  .values(priority="kritis"))
        await uow.commit()
    ranks = services.rules.priority_ranks()
    async with services.db.uow() as uow:
        read, unread = await uow.repo.open_incidents(2, ranks)
        on_map = await uow.repo.open_for_map(ranks)
    assert [i.id for i in read] == [ids[3], ids[0]]  # the newest but kritis one first, then the oldest rendah
    assert unread == {"rendah": 2}
    assert [i.id for i in on_map] == [ids[3], *ids[:3]]
    board = boards.render_board([boards.BoardEntry(i, ()) for i in read], boards.DayCounts(4, 0, 4),
                                services.rules, services.tr, WIT, T0, Audience.DESK, unread)
    assert "dan 2 laporan lainnya" in board and "(3)" in board  # 3 rendah open, 1 of them shown
