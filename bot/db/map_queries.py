"""The map's one read: every open incident with its agencies' steps, in two queries whatever their number."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.lifecycle import IncidentStatus
from ..domain.map_view import MapIncident, MapTarget
from .models import Incident, IncidentTarget

# Open and awaiting confirmation (an IN list uses the status index; `!= closed` would read every closed row).
UNCLOSED = tuple(s.value for s in IncidentStatus if s != IncidentStatus.CLOSED)
MAP_LIMIT = 2000  # far above a storm's open reports; a runaway import cannot make one answer unbounded


class MapQueries:
    session: AsyncSession

    async def open_for_map(self, ranks: Mapping[str, int]) -> list[MapIncident]:
        """The MAP_LIMIT most urgent open reports (priority rank, then the oldest first)."""
        keys = sorted((await self.session.execute(select(Incident.id, Incident.priority, Incident.created_at)
                                                  .where(Incident.status.in_(UNCLOSED)))).all(),
                      key=lambda k: (ranks.get(k.priority, 99), k.created_at, k.id))
        wanted = [k.id for k in keys[:MAP_LIMIT]]
        if not wanted:
            return []
        columns = (Incident.id, Incident.number, Incident.status, Incident.category, Incident.subtype,
                   Incident.priority, Incident.kecamatan, Incident.village, Incident.village_code,
                   Incident.outside_city, Incident.address, Incident.description, Incident.lat, Incident.lon,
                   Incident.created_at)  # caller_name and caller_phone are not read at all
        found = {row.id: row for row in (await self.session.execute(
            select(*columns).where(Incident.id.in_(wanted)))).all()}
        rows = [found[i] for i in wanted if i in found]
        targets: dict[int, list[MapTarget]] = {}
        for incident_id, key, status in (await self.session.execute(
                select(IncidentTarget.incident_id, IncidentTarget.agency_key, IncidentTarget.status)
                .join(Incident, Incident.id == IncidentTarget.incident_id)
                .where(Incident.id.in_(wanted)).order_by(IncidentTarget.id))).all():
            targets.setdefault(incident_id, []).append(MapTarget(key, status))
        return [MapIncident(**dict(row._mapping), targets=tuple(targets.get(row.id, ()))) for row in rows]
