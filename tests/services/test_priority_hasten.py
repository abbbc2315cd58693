"""Review #12: raising a report's priority speeds up the chase already waiting (never slows it)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.db import models as db
from bot.rules_loader import load_rules
from bot.services import desk, intake
from bot.services.context import Services
from tests.center import RINA, setup_center
from tests.conftest import RULES_DIR, WIT

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
FIRE = ("kategori: kebakaran\nkecamatan: Sirimau\nkelurahan: Batu Merah\nalamat: Jl. Sudirman\n"
        "pelapor: Ibu Maria\ntelepon: 0812 3456 7890\nketerangan: Rumah terbakar")
WAITS = {"kritis": "2mnt", "tinggi": "10mnt", "sedang": "20mnt", "rendah": "40mnt"}
BLOCK = """  {name}:
    acknowledge: {{within: 1h, reminders: 0, ladder: [{{after: {wait}, to: call_center}}]}}
    on_scene: {{within: 1h, ladder: []}}
    update: {{every: 1h, reminders: 0}}
    resolve: {{within: 1d, ladder: []}}
"""


async def acknowledge_due(services: Services) -> set[datetime | None]:
    async with services.db.uow() as uow:
        rows = (await uow.session.scalars(select(db.Followup).where(db.Followup.kind == "acknowledge",
                                                                    db.Followup.status == "pending"))).all()
        return {r.due_at for r in rows}


async def test_raising_the_priority_brings_the_waiting_chase_forward_and_lowering_it_does_not_delay_it(
        services: Services, tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    (rules_dir / "escalation.yaml").write_text(
        "priorities:\n" + "".join(BLOCK.format(name=n, wait=w) for n, w in WAITS.items()))
    services = Services(services.db, load_rules(rules_dir), WIT, services.tr, services.admin_ids)
    await setup_center(services)
    filed = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE + "\nprioritas: rendah", T0)
    assert isinstance(filed, intake.Accepted)
    assert await acknowledge_due(services) == {T0 + timedelta(minutes=40)}
    number = filed.number
    result = await desk.set_priority(services, RINA, RINA.id, True, number, "kritis", T0 + timedelta(minutes=1))
    assert result.key == "desk_priority"
    assert await acknowledge_due(services) == {T0 + timedelta(minutes=2)}  # from when the chase started
    await desk.set_priority(services, RINA, RINA.id, True, number, "rendah", T0 + timedelta(minutes=1))
    assert await acknowledge_due(services) == {T0 + timedelta(minutes=2)}  # lowered: never later
