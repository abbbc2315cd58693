"""Sweeps and open-report reads cost what is due or open, not the history: every statement they run on the
incident, delivery, follow-up and agency tables is answered through an index (EXPLAIN QUERY PLAN on SQLite;
EXPLAIN with sequential scans priced out on PostgreSQL, so a plan shows a table scan only when no index can
answer). Statements are captured while the real sweep and reads run, then explained with their parameters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import calls, desk, followups, media, scheduled_posts
from bot.services.context import Services
from tests.center import NOW, RINA, fire

WATCHED = ("incident", "incident_target", "delivery", "followup")
SQLITE_SCAN = re.compile(r"\bSCAN (\w+)")
PG_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
PG_INDEX_NODE = re.compile(r"(?:Index Scan|Index Only Scan)(?: Backward)? using \w+ on (\w+)")


def _engine(services: Services) -> AsyncEngine:
    bind = services.db.session_factory.kw["bind"]
    assert isinstance(bind, AsyncEngine)
    return bind


async def _captured(services: Services, work: Any) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        words = statement.lstrip().split(None, 1)
        if words and words[0].upper() in ("SELECT", "UPDATE", "DELETE", "WITH") and not _many:
            statements.append((statement, parameters))

    sync_engine = _engine(services).sync_engine
    event.listen(sync_engine, "before_cursor_execute", keep)
    try:
        await work()
    finally:
        event.remove(sync_engine, "before_cursor_execute", keep)
    return statements


async def _full_scans(services: Services, statement: str, parameters: Any,
                      watched: tuple[str, ...] = WATCHED) -> list[str]:
    engine = _engine(services)
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
            return [t for t in (m.group(1) for r in rows for m in [SQLITE_SCAN.search(str(r[-1]))] if m)
                    if t in watched]
        await conn.exec_driver_sql("SET enable_seqscan = off")
        plan = [str(r[0]) for r in (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()]
        await conn.rollback()
    scans = [m.group(1) for line in plan for m in [PG_SEQ_SCAN.search(line)] if m and m.group(1) in watched]
    for i, line in enumerate(plan):  # an index walked from end to end, with no condition on it, is a scan too
        node = PG_INDEX_NODE.search(line)
        if node and node.group(1) in watched:
            rest = []
            for following in plan[i + 1:]:
                if "->" in following:
                    break
                rest.append(following)
            if not any("Index Cond" in r for r in rest):
                scans.append(node.group(1))
    return scans


async def history(services: Services) -> None:
    """A few reports, one closed, with their posts, follow-ups and events: every table has rows to skip."""
    first = await fire(services)
    from bot.services import intake
    from tests.center import FIRE

    for i in range(3):
        await intake.lapor(services, RINA, RINA.id, True, 20 + i, FIRE, NOW + timedelta(minutes=1 + i))
    async with services.db.uow() as uow:
        incident = await uow.repo.incident(first)
        assert incident is not None
        number = incident.number
    await desk.close(services, RINA, RINA.id, True, number, "tertangani", "", NOW + timedelta(minutes=5))


async def test_the_sweep_reads_only_what_is_due(services: Services) -> None:
    await history(services)
    later = NOW + timedelta(hours=3)

    async def sweep() -> None:  # what bot/tg/jobs.py's sweep runs, then the sender's look for due posts
        await followups.sweep(services, later)
        await scheduled_posts.run_due(services, later)
        await calls.forget_old_phones(services, later)
        await media.flush_albums(services, later)
        async with services.db.uow() as uow:
            await uow.repo.route_schedule(later)
            for key in services.rules.agencies:
                await uow.repo.next_due(key, None, later)
                await uow.repo.due_cards(key, later, 30)
                await uow.repo.due_notices(key, None, later, 30)
            keys = sorted(services.rules.agencies)  # a batch of claims: every group at once
            await uow.repo.due_cards_of(keys, later, 30)
            await uow.repo.routes_with_due(keys, [RINA.id], later)
            await uow.repo.incidents_of_deliveries([1, 2, 3])
            await uow.repo.deliveries_by_ids([1, 2, 3])
            await uow.repo.lease_all([1, 2, 3], later, later + timedelta(seconds=30), "plans")
            await uow.repo.claim_waiting_boards(keys, later)  # what every change to a report does
            await uow.repo.sent_since(later - timedelta(minutes=1))  # a sender starting again
            await uow.repo.oldest_due_followup(later)
            await uow.repo.outbox_backlog()

    statements = await _captured(services, sweep)
    assert len(statements) > 20
    scans = {s: found for s, p in statements if (found := await _full_scans(services, s, p))}
    assert not scans, "\n\n".join(f"{found}: {s}" for s, found in scans.items())


async def test_the_open_reports_are_read_through_the_status_index(services: Services) -> None:
    await history(services)

    async def reads() -> None:  # /aktif, the map and the board of open reports
        async with services.db.uow() as uow:
            assert len(await desk.active_items(uow, services)) == 3
            ranks = services.rules.priority_ranks()
            assert len(await uow.repo.open_for_map(ranks)) == 3
            shown, _ = await uow.repo.open_incidents(300, ranks)
            assert len(shown) == 3 and await uow.repo.count_open() == 3

    statements = await _captured(services, reads)
    assert statements
    scans = {s: found for s, p in statements if (found := await _full_scans(services, s, p))}
    assert not scans, "\n\n".join(f"{found}: {s}" for s, found in scans.items())


async def test_a_recap_reads_only_its_days_of_the_roll_ups(services: Services) -> None:
    from bot.domain.periods import month_period
    from bot.services import stats
    from tests.conftest import WIT

    await history(services)

    async def recap() -> None:
        async with services.db.uow() as uow:
            summary = await stats.recap(uow, services, month_period(2026, 3, WIT))
        assert summary.total == 4

    statements = await _captured(services, recap)
    watched = ("stats_count", "stats_response", "stats_response_month")
    assert any("stats_response_month" in s for s, _ in statements)
    scans = {s: found for s, p in statements if (found := await _full_scans(services, s, p, watched))}
    assert not scans, "\n\n".join(f"{found}: {s}" for s, found in scans.items())


async def test_a_new_report_reads_and_writes_through_indexes(services: Services) -> None:
    """Filing a report costs the same after a year of calls, drafts and reports as on the first day: what it reads
    or updates on those tables (who files, a replay, the rate limit, a call waiting for its details, an open
    draft, the boards) is found through an index."""
    from bot.services import intake
    from tests.center import FIRE

    await history(services)
    await calls.log_press(services, RINA, RINA.id, True, 500, "isg", NOW, NOW)  # waits for its phone or note

    async def file() -> None:
        outcome = await intake.lapor(services, RINA, RINA.id, True, 99, FIRE, NOW + timedelta(minutes=9))
        assert isinstance(outcome, intake.Accepted)

    statements = await _captured(services, file)
    assert any("call" in s and "details_open" in s for s, _ in statements)
    watched = (*WATCHED, "call", "draft", "person")  # (the boards: one row per group)
    scans = {s: found for s, p in statements if (found := await _full_scans(services, s, p, watched))}
    assert not scans, "\n\n".join(f"{found}: {s}" for s, found in scans.items())
