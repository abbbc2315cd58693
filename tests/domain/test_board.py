"""The live board (issue 14) is total: for any number of open reports and any user text it parses, fits Telegram's
limit as Telegram counts it, ends with "… and N more" when it cannot show every report, and never shows a caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.board import BoardEntry, DayCounts, oldest_unanswered, open_list, render_board
from bot.domain.lifecycle import IncidentStatus
from bot.domain.model import Incident, Report
from bot.domain.privacy import Audience
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.i18n.text import TEXT_LIMIT
from tests.conftest import RULES_DIR

from .test_total_renderers import NOW, PROPERTY, WIT, assert_fits, incidents, user_text

NAMES = ["Damkar", "PLN", "Dinkes/RS", "Dishub", "TNI-Polri"]


@st.composite
def entries(draw: st.DrawFn, max_size: int = 150) -> list[BoardEntry]:
    count = draw(st.integers(0, max_size))
    base = replace(draw(incidents()), status=IncidentStatus.OPEN, closed_at=None, outcome=None)
    silent = draw(st.lists(st.one_of(st.sampled_from(NAMES), user_text(60)), max_size=12))
    priorities = ["kritis", "tinggi", "sedang", "rendah"]
    return [BoardEntry(replace(base, id=i + 1, number=f"112-2026-{i + 1:05d}",
                               report=replace(base.report, priority=priorities[i % 4]),
                               created_at=NOW - timedelta(minutes=i)), tuple(silent[: i % 6]))
            for i in range(count)]


@PROPERTY
@given(data=st.data())
def test_every_board_parses_and_fits_and_counts_what_it_leaves_out(rules: Rules, tr: Catalogue,
                                                                   data: st.DataObject) -> None:
    items = data.draw(entries())
    for audience in Audience:
        plain = assert_fits(render_board(items, DayCounts(len(items), 3, len(items)), rules, tr, WIT, NOW, audience))
        shown = sum(1 for e in items if f"• {e.incident.number}" in plain)
        assert shown == len(items) or f"dan {len(items) - shown} laporan lainnya" in plain
        if audience != Audience.DESK:
            for entry in items[:3]:
                for secret in (entry.incident.report.caller_name, entry.incident.report.address):
                    assert not secret or len(secret.strip()) < 4 or secret.strip() not in plain
    assert_fits(open_list(items, rules, tr, NOW, TEXT_LIMIT - 1000), TEXT_LIMIT - 1000)


def test_the_board_orders_by_priority_then_age_and_names_the_oldest_unanswered(rules: Rules,
                                                                               tr: Catalogue) -> None:
    report = Report(category="bencana", subtype="kebakaran", priority="kritis", kecamatan="Sirimau",
                    kecamatan_code="81.71.02", village=None, village_code=None, outside_city=False,
                    address="Jl. Sudirman", description="Rumah terbakar", caller_name="Ibu Maria",
                    caller_phone="+6281234567890")
    fire = Incident(1, "112-2026-00001", report, NOW, "Rina")
    low = BoardEntry(replace(fire, id=1, number="112-2026-00001", created_at=NOW - timedelta(hours=2),
                             report=replace(fire.report, priority="rendah")), ("PLN",))
    critical = BoardEntry(replace(fire, id=2, number="112-2026-00002", created_at=NOW - timedelta(minutes=5)),
                          ("Damkar", "Dinkes/RS"))
    answered = BoardEntry(replace(fire, id=3, number="112-2026-00003", created_at=NOW - timedelta(hours=5)), ())
    assert oldest_unanswered([low, critical, answered]) == low
    plain = assert_fits(render_board([low, critical, answered], DayCounts(4, 1, 3), rules, tr, WIT, NOW,
                                     Audience.OVERSIGHT))
    assert plain.index("112-2026-00003") < plain.index("112-2026-00002") < plain.rindex("112-2026-00001")
    assert "Terlama menunggu: 112-2026-00001 (2 jam 0 mnt) — belum merespons: PLN" in plain
    assert "Hari ini: 4 masuk · 1 ditutup · 3 masih terbuka" in plain
    assert "Maria" not in plain and "7890" not in plain and "Sudirman" not in plain
    desk = assert_fits(render_board([critical], DayCounts(1, 0, 1), rules, tr, WIT, NOW, Audience.DESK))
    assert "📍 Jl. Sudirman" in desk and "Maria" not in desk


def test_a_lead_agency_must_be_on_its_route_and_a_rung_scope_must_be_known() -> None:
    import pytest
    import yaml
    from pydantic import ValidationError

    from bot.domain.ladders_and_shifts import Rung, rung_taken
    from bot.domain.rule_schemas import RoutingFile

    routing = yaml.safe_load((RULES_DIR / "routing.yaml").read_text())
    routing["lead"]["medis"] = "pln"
    with pytest.raises(ValidationError, match="instansi 'pln' tidak ada di routes.medis"):
        RoutingFile(**routing)
    with pytest.raises(ValidationError):
        Rung(after="5mnt", to="pimpinan", agencies="pimpinan")  # type: ignore[arg-type]
    assert rung_taken("lead", ["pln", "damkar"], "damkar") and not rung_taken("lead", ["pln"], "damkar")
    assert rung_taken("supporting", ["pln"], "damkar") and not rung_taken("supporting", ["damkar"], "damkar")
    assert rung_taken("lead", ["pln"], None) and not rung_taken("all", [], "damkar")
