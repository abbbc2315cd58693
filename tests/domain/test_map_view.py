"""What the map shows of an open report: its place (reported point, else the village's centre, else the
kecamatan's), where it stands, and who may see it — never a caller field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.map_view import MapIncident, MapStatus, MapTarget, Viewer, map_status, reports_json
from bot.domain.privacy import Audience
from bot.domain.ruleset import Rules

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
WIT = ZoneInfo("Asia/Jayapura")


def incident(n: int, *, targets: tuple[tuple[str, str], ...] = (("damkar", "pending"),), status: str = "open",
             lat: float | None = None, village_code: str | None = None, kecamatan: str | None = "Sirimau",
             priority: str = "kritis") -> MapIncident:
    return MapIncident(n, f"112-2026-{n:05d}", status, "bencana", "kebakaran", priority, kecamatan, None,
                       village_code, False, "Jl. A", "Rumah terbakar", lat, 128.2 if lat else None,
                       NOW - timedelta(minutes=n), tuple(MapTarget(k, s) for k, s in targets))


def test_a_report_is_placed_at_its_point_else_its_village_else_its_kecamatan(rules: Rules) -> None:
    village = rules.gazetteer.villages[0]
    shown = reports_json(Viewer(1, Audience.DESK), [
        incident(1, lat=-3.7), incident(2, village_code=village.code), incident(3), incident(4, kecamatan=None)],
        rules, NOW, WIT)["reports"]
    by_id = {r["id"]: r for r in shown}
    assert (by_id[1]["lat"], by_id[1]["approx"]) == (-3.7, False)
    assert (by_id[2]["lat"], by_id[2]["lon"], by_id[2]["approx"]) == (village.lat, village.lon, True)
    assert by_id[3]["approx"] and by_id[3]["lat"] is not None
    assert by_id[4]["lat"] is None  # in the list, not on the map


def test_where_a_report_stands_follows_its_most_advanced_agency() -> None:
    assert map_status(incident(1)) == MapStatus.UNANSWERED
    assert map_status(incident(1, targets=(("damkar", "claimed"), ("pln", "pending")))) == MapStatus.ANSWERED
    assert map_status(incident(1, targets=(("damkar", "on_scene"), ("pln", "declined")))) == MapStatus.ON_SCENE
    assert map_status(incident(1, status="awaiting_confirmation")) == MapStatus.CONFIRMING


def test_agency_staff_see_their_agencys_reports_and_the_most_urgent_oldest_come_first(rules: Rules) -> None:
    reports = [incident(1, priority="sedang"), incident(2, targets=(("pln", "pending"),)), incident(3)]
    damkar = reports_json(Viewer(1, Audience.RESPONDER, "damkar"), reports, rules, NOW, WIT)
    assert [r["id"] for r in damkar["reports"]] == [3, 1]
    everyone = reports_json(Viewer(1, Audience.OVERSIGHT), reports, rules, NOW, WIT)
    assert [r["id"] for r in everyone["reports"]] == [3, 2, 1]
    assert "caller" not in json.dumps(everyone) and "phone" not in json.dumps(everyone)
