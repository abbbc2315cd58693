"""Statistics roll-ups in the database: kept in step with every change to an incident, its agencies' steps and
the call log, in the transaction of the change.

How: before the first flush that touches an incident or a call (in the columns statistics read), it is read as
it stands in the database; just before the transaction commits, every row it touched is read again; their
contributions (bot/domain/rollups.py) then and now give the difference, which is written, sorted (so two
transactions never wait on each other in a cycle), as INSERT … ON CONFLICT DO UPDATE on
SQLite and PostgreSQL. Every use case goes through the ORM, so no service can forget it; a bulk UPDATE or DELETE
written in SQL bypasses it (none does; after one, `sigap112 stats rebuild`). The unit of work switches it on by
putting the Policy in the session's info (see uow.py)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    event,
    func,
    inspect,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..domain.rollups import IncidentFacts, Policy, Tally, TargetFacts, add_call, add_incident
from .dialect import insert_for, insert_of
from .models import Call, Incident, IncidentTarget, StatsCount, StatsResponse, StatsResponseMonth, StatsState

POLICY, PENDING, TOUCHED, FRESH = "rollup_policy", "rollup_pending", "rollup_touched", "rollup_fresh"
INCIDENT_COLUMNS = ("created_at", "category", "subtype", "priority", "kecamatan", "outside_city", "village",
                    "outcome", "status")
TARGET_COLUMNS = ("incident_id", "agency_key", "acknowledged_at", "claimed_at", "arrived_at", "done_at")
CALL_COLUMNS = ("kind", "called_at", "incident_id")
CHUNK = 500


def _changed(row: Any, columns: Iterable[str]) -> bool:
    state = inspect(row)
    return any(state.attrs[c].history.has_changes() for c in columns)


def _old_and_new(row: Any, column: str) -> set[Any]:
    """The value the row had in the database and the one it will have (reading it loads it if expired)."""
    history = inspect(row).attrs[column].history
    return {v for v in (*history.deleted, getattr(row, column)) if v is not None}


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    policy = session.info.get(POLICY)
    if policy is None:
        return
    incidents: set[int] = set()
    calls: set[int] = set()
    fresh: list[Any] = []  # rows without an id yet: they had no contribution before this transaction
    for row in session.new:
        if isinstance(row, Incident | Call):
            fresh.append(row)
        if isinstance(row, IncidentTarget | Call):
            incidents |= _old_and_new(row, "incident_id")
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, Incident) and (row in session.deleted or _changed(row, INCIDENT_COLUMNS)):
            incidents.add(row.id)
        elif isinstance(row, IncidentTarget) and (row in session.deleted or _changed(row, TARGET_COLUMNS)):
            incidents |= _old_and_new(row, "incident_id")
        elif isinstance(row, Call) and (row in session.deleted or _changed(row, CALL_COLUMNS)):
            calls.add(row.id)
            incidents |= _old_and_new(row, "incident_id")
    if not (incidents or calls or fresh):
        return
    seen_incidents, seen_calls = session.info.setdefault(TOUCHED, (set(), set()))
    incidents -= seen_incidents
    calls -= seen_calls
    if incidents or calls:
        # Read as the transaction found them, once: later flushes of this transaction change them from there.
        # PostgreSQL: the rows are locked as they are read, so that another transaction cannot change them
        # before this one commits (its difference and ours would both start from the same state).
        lock = session.connection().dialect.name == "postgresql"
        was = tally_of(session.connection(), policy, incidents, calls, lock)
        session.info.setdefault(PENDING, Tally()).add(Tally().minus(was))
        seen_incidents |= incidents
        seen_calls |= calls
    session.info[FRESH] = fresh


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    fresh = session.info.pop(FRESH, None)
    if session.info.get(POLICY) is None or not fresh:
        return
    seen_incidents, seen_calls = session.info.setdefault(TOUCHED, (set(), set()))
    for row in fresh:
        (seen_incidents if isinstance(row, Incident) else seen_calls).add(row.id)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """The difference of the whole transaction: what its rows contribute now, less what they did when it first
    touched them (read once each, not before and after every flush)."""
    policy = session.info.get(POLICY)
    if policy is None:
        return
    session.flush()  # the last changes first: commit would flush them after this event
    pending = session.info.pop(PENDING, None) or Tally()
    touched = session.info.pop(TOUCHED, None)
    if touched is not None:
        pending.add(tally_of(session.connection(), policy, *touched))
    if pending:
        write(session.connection(), pending.nonzero())


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    for key in (PENDING, TOUCHED, FRESH):
        session.info.pop(key, None)


def tally_of(connection: Connection, policy: Policy, incident_ids: Iterable[int], call_ids: Iterable[int],
             lock: bool = False) -> Tally:
    """The contribution of these incidents (with their agencies and the calls that led to them) and these calls,
    as the database holds them now."""
    tally = Tally()
    ids = sorted(set(incident_ids))
    calls = set(call_ids)
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first:first + CHUNK]
        if lock:
            _add_incidents(connection, policy, tally, Incident.id.in_(chunk), lock)
        else:
            _add_incidents_at_once(connection, policy, tally, chunk, calls)
    remaining = sorted(calls)  # the calls not already read with their incident (a new report's call is)
    for first in range(0, len(remaining), CHUNK):
        query = (select(Call.kind, Call.called_at).where(Call.id.in_(remaining[first:first + CHUNK]))
                 .order_by(Call.id))
        for kind, called_at in connection.execute(query.with_for_update() if lock else query):
            add_call(tally, kind, _aware(called_at), policy)
    return tally


def _add_incidents(connection: Connection, policy: Policy, tally: Tally, where: Any, lock: bool = False) -> int:
    query = select(Incident.id, *(getattr(Incident, c) for c in INCIDENT_COLUMNS)).where(where).order_by(Incident.id)
    rows: list[Any] = list(connection.execute(query.with_for_update() if lock else query).all())
    if not rows:
        return 0
    ids = select(Incident.id).where(where).scalar_subquery()
    targets: dict[int, list[TargetFacts]] = {}
    for r in connection.execute(select(IncidentTarget.incident_id, IncidentTarget.agency_key,
                                       IncidentTarget.acknowledged_at, IncidentTarget.claimed_at,
                                       IncidentTarget.arrived_at, IncidentTarget.done_at)
                                .where(IncidentTarget.incident_id.in_(ids))):
        targets.setdefault(r[0], []).append(TargetFacts(r[1], *(_aware(v) for v in r[2:])))
    called: dict[int, list[datetime]] = {}
    for incident_id, called_at in connection.execute(select(Call.incident_id, Call.called_at)
                                                     .where(Call.incident_id.in_(ids))):
        called.setdefault(int(incident_id or 0), []).append(_aware(called_at))
    for r in rows:
        facts = IncidentFacts(_aware(r[1]), r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8], r[9])
        add_incident(tally, facts, targets.get(r[0], []), called.get(r[0], []), policy)
    return len(rows)


def _add_incidents_at_once(connection: Connection, policy: Policy, tally: Tally, ids: list[int],
                           calls: set[int]) -> None:
    """_add_incidents in one query (the commit's read of a transaction's incidents: one round trip, not three):
    the incidents, their agencies and their calls as one UNION ALL, told apart by its first column. The calls in
    `calls` read here (a new report's) are counted here and taken out of `calls`: they need no query of their own."""
    facts: dict[int, IncidentFacts] = {}
    agencies: dict[int, list[TargetFacts]] = {}
    called: dict[int, list[datetime]] = {}
    for r in connection.execute(_incidents_at_once(), {"ids": ids}):
        tag, incident_id = int(r[0]), int(r[1] or 0)
        if tag == 0:
            facts[incident_id] = IncidentFacts(_aware(r[2]), r[6], r[7], r[8], r[9], bool(r[13]), r[10], r[11],
                                               r[12])
        elif tag == 1:
            agencies.setdefault(incident_id, []).append(TargetFacts(r[6], *(_aware(v) for v in r[2:6])))
        else:
            called.setdefault(incident_id, []).append(_aware(r[2]))
            if r[14] in calls:
                add_call(tally, r[6], _aware(r[2]), policy)
                calls.discard(r[14])
    for incident_id in sorted(facts):
        add_incident(tally, facts[incident_id], agencies.get(incident_id, []), called.get(incident_id, []), policy)


@functools.cache  # built once, on first use: only its parameters change (building the clauses cost ≈ 1 ms a run)
def _incidents_at_once() -> Any:
    when, text, flag, number = Incident.created_at.type, String(), Boolean(), Integer()
    ids: Any = bindparam("ids", expanding=True)

    def none(kind: Any, times: int = 1) -> list[Any]:
        return [cast(null(), kind) for _ in range(times)]

    incidents = select(literal_column("0"), Incident.id, Incident.created_at, *none(when, 3), Incident.category,
                       Incident.subtype, Incident.priority, Incident.kecamatan, Incident.village, Incident.outcome,
                       Incident.status, Incident.outside_city, *none(number)).where(Incident.id.in_(ids))
    targets = select(literal_column("1"), IncidentTarget.incident_id, IncidentTarget.acknowledged_at,
                     IncidentTarget.claimed_at, IncidentTarget.arrived_at, IncidentTarget.done_at,
                     IncidentTarget.agency_key, *none(text, 6), *none(flag), *none(number)
                     ).where(IncidentTarget.incident_id.in_(ids))
    called_rows = select(literal_column("2"), Call.incident_id, Call.called_at, *none(when, 3), Call.kind,
                         *none(text, 6), *none(flag), Call.id).where(Call.incident_id.in_(ids))
    in_order: tuple[Any, ...] = (literal_column("1"), literal_column("2"), literal_column("15"))  # kind, incident, call
    return union_all(incidents, targets, called_rows).order_by(*in_order)


def _aware(value: Any) -> Any:
    """Timestamps read back naive (SQLite) are UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    return value


def write(connection: Connection, tally: Tally) -> None:
    """Add the differences to the sums: counts first, then histograms, each in key order."""
    statements = _upserts(connection.dialect.name)
    counts = [{"day": d, "dimension": dim, "key": k, "n": n} for (d, dim, k), n in sorted(tally.counts.items())]
    if counts:
        connection.execute(statements[StatsCount], counts)
    for table, by in ((StatsResponse, lambda d: d), (StatsResponseMonth, lambda d: d.replace(day=1))):
        summed: dict[tuple[date, str, str, int], list[int]] = {}
        for key in set(tally.response) | set(tally.inside):
            d, a, m, b = key
            entry = summed.setdefault((by(d), a, m, b), [0, 0])
            entry[0] += tally.response[key]
            entry[1] += tally.inside[key]
        rows = [{"day": d, "agency": a, "measure": m, "bucket": b, "n": n, "inside": i}
                for (d, a, m, b), (n, i) in sorted(summed.items()) if n or i]
        if rows:
            connection.execute(statements[table], rows)


@functools.cache
def _upserts(dialect: str) -> dict[type, Any]:
    """The three roll-up upserts of a dialect, built once."""
    insert = insert_of(dialect)
    counts = insert(StatsCount)
    built: dict[type, Any] = {StatsCount: counts.on_conflict_do_update(
        index_elements=["day", "dimension", "key"], set_={"n": StatsCount.n + counts.excluded.n})}
    for table in (StatsResponse, StatsResponseMonth):
        statement = insert(table)
        built[table] = statement.on_conflict_do_update(
            index_elements=["day", "agency", "measure", "bucket"],
            set_={"n": table.n + statement.excluded.n, "inside": table.inside + statement.excluded.inside})
    return built


class RollupQueries:
    session: AsyncSession

    async def rollup_counts(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """(dimension, key) -> count over the days first..last (both included)."""
        rows = await self.session.execute(
            select(StatsCount.dimension, StatsCount.key, func.sum(StatsCount.n))
            .where(StatsCount.day >= first, StatsCount.day <= last)
            .group_by(StatsCount.dimension, StatsCount.key))
        return {(d, k): int(n) for d, k, n in rows.all() if n}

    async def rollup_response(self, first: date, last: date) -> list[tuple[str, str, int, int, int]]:
        """(agency, measure, bucket start in seconds, count, count within the deadline) over the days: whole
        calendar months from the monthly sums, the days before and after them from the daily ones."""
        month_from = first if first.day == 1 else _next_month(first)
        month_to = _next_month(last) if _next_month(last) - timedelta(days=1) == last else last.replace(day=1)
        parts = []
        if month_from < month_to:  # [month_from, month_to) are whole months
            parts.append(_response_sums(StatsResponseMonth, month_from, month_to - timedelta(days=1)))
            spans = [(first, month_from - timedelta(days=1)), (month_to, last)]
        else:
            spans = [(first, last)]
        parts += [_response_sums(StatsResponse, a, b) for a, b in spans if a <= b]
        union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        rows = await self.session.execute(
            select(union.c.agency, union.c.measure, union.c.bucket, func.sum(union.c.n), func.sum(union.c.inside))
            .group_by(union.c.agency, union.c.measure, union.c.bucket))
        return [(a, m, int(b), int(n), int(i or 0)) for a, m, b, n, i in rows.all() if n]

    async def rollup_fingerprint(self) -> str | None:
        return await self.session.scalar(select(StatsState.fingerprint).where(StatsState.id == 1))

    async def lock_rollups(self, now: datetime) -> str:
        """What the roll-ups were last built for ('' never), the row that says it locked to this transaction:
        instances starting together on a fresh database rebuild one after the other (the second finds the work
        done) instead of both inserting that row (the loser's start-up failed on the duplicate key)."""
        await self.session.execute(insert_for(self.session)(StatsState).values(id=1, fingerprint="", built_at=now)
                                   .on_conflict_do_nothing(index_elements=["id"]))
        return await self.session.scalar(select(StatsState.fingerprint).where(StatsState.id == 1)
                                         .with_for_update()) or ""

    async def rebuild_rollups(self, policy: Policy, now: datetime) -> tuple[int, int]:
        """Compute the sums again from the incidents, their agencies and the call log (in this transaction), a
        month at a time (memory stays small). Returns (incidents, calls) read."""
        await self.session.execute(delete(StatsCount))
        await self.session.execute(delete(StatsResponse))
        await self.session.execute(delete(StatsResponseMonth))
        seen = [0, 0]
        first = [v for v in (await self.session.scalar(select(func.min(Incident.created_at))),
                             await self.session.scalar(select(func.min(Call.called_at)))) if v is not None]
        last = [v for v in (await self.session.scalar(select(func.max(Incident.created_at))),
                            await self.session.scalar(select(func.max(Call.called_at)))) if v is not None]
        if first:
            month = policy.day(_aware(min(first))).replace(day=1)
            end_day = policy.day(_aware(max(last)))
            while month <= end_day:
                following = (month + timedelta(days=32)).replace(day=1)
                start, end = _midnight(month, policy), _midnight(following, policy)

                def one_month(s: Session, start: datetime = start, end: datetime = end) -> None:
                    tally, connection = Tally(), s.connection()
                    seen[0] += _add_incidents(connection, policy, tally,
                                              (Incident.created_at >= start) & (Incident.created_at < end))
                    for kind, called_at in connection.execute(select(Call.kind, Call.called_at).where(
                            Call.called_at >= start, Call.called_at < end)):
                        add_call(tally, kind, _aware(called_at), policy)
                        seen[1] += 1
                    write(connection, tally.nonzero())

                await self.session.run_sync(one_month)
                month = following
        state = await self.session.get(StatsState, 1)
        if state is None:
            self.session.add(StatsState(id=1, fingerprint=policy.fingerprint(), built_at=now))
        else:
            state.fingerprint, state.built_at = policy.fingerprint(), now
        return seen[0], seen[1]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _response_sums(table: Any, first: date, last: date) -> Any:
    return (select(table.agency, table.measure, table.bucket, func.sum(table.n).label("n"),
                   func.sum(table.inside).label("inside"))
            .where(table.day >= first, table.day <= last).group_by(table.agency, table.measure, table.bucket))


def _midnight(day: date, policy: Policy) -> datetime:
    return datetime.combine(day, time(0), tzinfo=policy.tz)
