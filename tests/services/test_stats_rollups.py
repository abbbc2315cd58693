"""The statistics roll-ups equal the direct computation from the incidents, their agencies and the call log,
whatever happened: a property test over random histories (reports filed, agencies' steps, closes, reopens,
duplicates, priority and place corrections, agencies added, calls logged and re-kinded) on SQLite and
PostgreSQL; and `stats rebuild` gives back exactly the sums kept along the way."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.db import models as db
from bot.domain.lifecycle import Action
from bot.domain.periods import Period, month_period
from bot.services import calls, desk, desk_acts, intake, lifecycle, stats
from bot.services.context import Actor, Services
from tests.center import FIRE, RINA, setup_center
from tests.conftest import WIT

REPORTS = (FIRE,
           "kategori: medis\nkecamatan: Nusaniwe\nalamat: Jl. Pattimura\nketerangan: sesak napas",
           "kategori: banjir\nkecamatan: Teluk Ambon\nalamat: Jl. Laksdya Leo Wattimena\nketerangan: air naik",
           "kategori: lainnya\nkecamatan: Salahutu\nalamat: Tulehu\nketerangan: di luar kota")
ACTIONS = (Action.ACK, Action.CLAIM, Action.ARRIVE, Action.DONE, Action.DECLINE)
BASE = datetime(2026, 3, 1, tzinfo=UTC)
_messages = itertools.count(1000)
_ready: set[int] = set()

# one step of a history: (what, which report of this history, a choice, minutes after the history's start)
steps = st.lists(st.tuples(st.sampled_from(["file", "press", "close", "duplicate", "reopen", "priority", "place",
                                            "agency", "step", "call", "rekind"]),
                           st.integers(0, 5), st.integers(0, 40), st.integers(0, 600)), min_size=1, max_size=25)


def whole_days(first: date, last: date) -> Period:
    return Period(datetime.combine(first, time(0), tzinfo=WIT),
                  datetime.combine(last + timedelta(days=1), time(0), tzinfo=WIT), "periode")


async def play(services: Services, history: list[tuple[str, int, int, int]], start: datetime) -> int:
    """Runs the history through the services (as the bot would); returns how many steps changed something."""
    agencies = list(services.rules.agencies)
    filed: list[tuple[int, str]] = []  # (incident id, number)
    logged: list[int] = []
    done = 0
    for what, which, choice, minutes in sorted(history, key=lambda s: s[3]):
        now = start + timedelta(minutes=minutes, seconds=choice * 7)
        message = next(_messages)
        if what == "file" or not filed:
            outcome = await intake.lapor(services, RINA, RINA.id, True, message, REPORTS[choice % len(REPORTS)], now)
            if isinstance(outcome, intake.Accepted):
                async with services.db.uow() as uow:
                    row = await uow.session.get(db.Incident, outcome.incident_id)
                    assert row is not None
                    filed.append((row.id, row.number))
                done += 1
            continue
        incident_id, number = filed[which % len(filed)]
        key = agencies[choice % len(agencies)]
        result: object = None
        if what == "press":
            result = await lifecycle.press(services, Actor(2001 + choice, "Budi"), -1000 - agencies.index(key),
                                           incident_id, ACTIONS[choice % len(ACTIONS)], now)
        elif what == "close":
            result = await desk.close(services, RINA, RINA.id, True, number, ("tertangani", "palsu")[choice % 2], "",
                                      now)
        elif what == "duplicate":
            other = filed[choice % len(filed)][1]
            result = await desk.close(services, RINA, RINA.id, True, number, "duplikat", other, now)
        elif what == "reopen":
            result = await desk.reopen(services, RINA, RINA.id, True, number, now)
        elif what == "priority":
            result = await desk.set_priority(services, RINA, RINA.id, True, number,
                                             list(services.rules.priorities)[choice % 4], now)
        elif what == "place":
            place = ("kecamatan: Sirimau\nkelurahan: Batu Merah", "kecamatan: Nusaniwe",
                     "kecamatan: Leitimur Selatan")[choice % 3]
            result = await desk.edit_report(services, RINA, RINA.id, True, number, place, now) \
                if hasattr(desk, "edit_report") else await _edit(services, number, place, now)
        elif what == "agency":
            result = await desk.add_agency(services, RINA, RINA.id, True, number, key, now)
        elif what == "step":
            result = await desk_acts.record_step(services, RINA, RINA.id, True, number, key,
                                                 ("terima", "tangani", "tiba", "selesai")[choice % 4], "", now)
        elif what == "call":
            logged_call = await calls.log_line(services, RINA, RINA.id, True, message,
                                               ("iseng", "info", "diam 0812 3456 7890", "uji")[choice % 4], now)
            if hasattr(logged_call, "call_id"):
                logged.append(logged_call.call_id)
            result = logged_call
        elif what == "rekind":
            result = await calls.log_press(services, RINA, RINA.id, True, which, ("isg", "inf", "sal")[choice % 3],
                                           now - timedelta(minutes=choice), now)
        done += result is not None
    return done


async def _edit(services: Services, number: str, place: str, now: datetime) -> object:
    from bot.services import corrections

    return await corrections.edit_report(services, RINA, RINA.id, True, number, place, now)


async def sums(services: Services) -> list[list[tuple[object, ...]]]:
    async with services.db.uow() as uow:
        counts = (await uow.session.execute(select(db.StatsCount.day, db.StatsCount.dimension, db.StatsCount.key,
                                                   db.StatsCount.n).where(db.StatsCount.n != 0)
                                            .order_by(db.StatsCount.day, db.StatsCount.dimension,
                                                      db.StatsCount.key))).all()
        response = (await uow.session.execute(
            select(db.StatsResponse.day, db.StatsResponse.agency, db.StatsResponse.measure, db.StatsResponse.bucket,
                   db.StatsResponse.n, db.StatsResponse.inside)
            .where((db.StatsResponse.n != 0) | (db.StatsResponse.inside != 0))
            .order_by(db.StatsResponse.day, db.StatsResponse.agency, db.StatsResponse.measure,
                      db.StatsResponse.bucket))).all()
        m = db.StatsResponseMonth
        months = (await uow.session.execute(
            select(m.day, m.agency, m.measure, m.bucket, m.n, m.inside).where((m.n != 0) | (m.inside != 0))
            .order_by(m.day, m.agency, m.measure, m.bucket))).all()
    return [[tuple(r) for r in rows] for rows in (counts, response, months)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(history=steps, day=st.integers(0, 40))
async def test_the_roll_ups_equal_the_direct_computation_over_random_histories(
        services: Services, history: list[tuple[str, int, int, int]], day: int) -> None:
    # The database is shared by the examples (a fresh one each would take too long): histories pile up, which
    # only makes the comparison harder, and every period below must agree whatever came before.
    if id(services) not in _ready:
        await setup_center(services)
        _ready.add(id(services))
    start = BASE + timedelta(days=day, hours=day % 24)
    await play(services, history, start)
    local = start.astimezone(WIT).date()
    periods = [whole_days(local, local), whole_days(local, local + timedelta(days=2)),
               whole_days(local - timedelta(days=20), local + timedelta(days=40)),  # days, a whole month, days
               month_period(local.year, local.month, WIT), whole_days(date(2026, 1, 1), date(2026, 12, 31))]
    for period in periods:
        async with services.db.uow() as uow:
            kept = await stats.recap(uow, services, period, villages=True)
            direct = await stats.recap_direct(uow, services, period, villages=True)
        assert kept == direct
    before = await sums(services)
    await stats.rebuild(services, start)
    assert await sums(services) == before


async def test_a_history_exercises_every_kind_of_change(services: Services) -> None:
    """The property test is only as good as its histories: this one changes counts and step times, and the
    recap of its day sees them (one of each change, checked against the direct computation)."""
    await setup_center(services)
    start = BASE + timedelta(days=3)
    history = [("file", 0, 0, 0), ("file", 0, 1, 1), ("file", 0, 3, 2), ("press", 0, 5, 3), ("press", 0, 6, 4),
               ("step", 0, 5, 5), ("step", 1, 3, 6), ("close", 1, 1, 7), ("reopen", 1, 0, 8), ("duplicate", 2, 0, 9),
               ("priority", 0, 0, 10), ("place", 0, 1, 11), ("agency", 1, 5, 12), ("call", 0, 0, 13),
               ("call", 0, 2, 14), ("rekind", 0, 1, 15)]
    changed = await play(services, history, start)
    assert changed >= 12
    period = whole_days(start.astimezone(WIT).date(), start.astimezone(WIT).date())
    async with services.db.uow() as uow:
        kept = await stats.recap(uow, services, period, villages=True)
        direct = await stats.recap_direct(uow, services, period, villages=True)
    assert kept == direct
    assert kept.total == 3 and kept.duplicates == 1 and kept.still_open == 2
    assert kept.calls is not None and kept.calls.total >= 3
    assert any(r.acknowledge.n for r in kept.response)


async def test_changes_at_the_same_moment_are_all_counted_once(services: Services) -> None:
    """Agencies pressing on one report at the same instant, while the desk changes its priority and logs calls:
    on PostgreSQL these transactions really overlap; the roll-ups still equal the direct computation."""
    import asyncio

    await setup_center(services)
    start = BASE + timedelta(days=50)
    outcome = await intake.lapor(services, RINA, RINA.id, True, next(_messages), FIRE, start)
    assert isinstance(outcome, intake.Accepted)
    agencies = list(services.rules.agencies)
    later = start + timedelta(minutes=2)
    for action in (Action.ACK, Action.CLAIM, Action.ARRIVE):
        await asyncio.gather(
            *(lifecycle.press(services, Actor(3000 + i, "Budi"), -1000 - agencies.index(key), outcome.incident_id,
                              action, later + timedelta(seconds=i)) for i, key in enumerate(outcome.targets)),
            desk.set_priority(services, RINA, RINA.id, True, outcome.number, ("tinggi", "kritis")[action == Action.ACK],
                              later),
            *(calls.log_line(services, RINA, RINA.id, True, next(_messages), "iseng", later) for _ in range(3)))
    period = whole_days(start.astimezone(WIT).date(), start.astimezone(WIT).date())
    async with services.db.uow() as uow:
        kept = await stats.recap(uow, services, period)
        direct = await stats.recap_direct(uow, services, period)
    assert kept == direct
    assert kept.calls is not None and kept.calls.total == 10  # 9 pranks and the report
    assert sum(r.on_scene.n for r in kept.response) >= 3


async def test_instances_starting_together_on_a_fresh_database_build_the_roll_ups_once(services: Services) -> None:
    """Two instances started at the same moment after `db upgrade`: both find the roll-ups unbuilt; one builds
    them, the other waits for it and finds them built (before, the second failed to start on a duplicate key)."""
    await setup_center(services)
    start = BASE + timedelta(days=40)
    await play(services, [("file", 0, 0, 0), ("press", 0, 5, 3)], start)
    before = await sums(services)
    async with services.db.uow() as uow:
        await uow.session.execute(delete(db.StatsState))  # as just migrated
        await uow.commit()
    assert not await stats.rollups_current(services)
    results = await asyncio.gather(stats.ensure_rollups(services, start), stats.ensure_rollups(services, start))
    assert sorted(results, key=lambda r: r is not None) == [None, (1, 1)]  # the report and its call
    assert await stats.rollups_current(services)
    assert await sums(services) == before
