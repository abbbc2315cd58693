"""The call center of the service and sender tests, on a real database: its people (from the fixture world),
every agency group bound (chat ids -1000, -1001, … in the order of agencies.yaml), and a fire reported in it.
Shared by the test modules, which import this module, never one another."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.rules_loader import load_rules
from bot.sandbox import world
from bot.services import intake, people
from bot.services.context import Actor, Services
from tests.conftest import RULES_DIR, WIT

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ADMIN = Actor(world.ADMIN, world.NAMES[world.ADMIN])
RINA = Actor(world.CALL_TAKER, world.NAMES[world.CALL_TAKER])
BUDI = Actor(world.DAMKAR_STAFF, world.NAMES[world.DAMKAR_STAFF])
DAMKAR_CHAT = -1000 - 5  # the 6th agency in agencies.yaml, bound by setup_center
FIRE = ("kategori: kebakaran\nkecamatan: Sirimau\nkelurahan: Batu Merah\nalamat: Jl. Sudirman\n"
        "telepon: 0812 3456 7890\nketerangan: Rumah terbakar")


async def setup_center(services: Services, groups: dict[str, int] | None = None) -> None:
    await people.add_user(services, RINA.id, RINA.name, "call_taker", None, NOW)
    for i, key in enumerate(groups or services.rules.agencies):
        await people.bind_group(services, ADMIN, -1000 - i, f"Grup {key}", key, NOW)


async def fire(services: Services) -> int:
    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted)
    return outcome.incident_id


def requiring_registration(services: Services, tmp_path: Path) -> Services:
    """The same services, with rules in which Damkar lets only its registered responders act."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    agencies = (rules_dir / "agencies.yaml").read_text()
    (rules_dir / "agencies.yaml").write_text(agencies.replace(
        "damkar: {name: Damkar, name_en: Fire brigade, kind: responder}",
        "damkar: {name: Damkar, name_en: Fire brigade, kind: responder, require_registration: true}"))
    return Services(services.db, load_rules(rules_dir), WIT, services.tr, services.admin_ids)
