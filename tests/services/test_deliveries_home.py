"""Write-then-send has one home: every outbox row is built in bot/services/deliveries.py, with stored values that
never change (rows written before an upgrade are still read correctly after it)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.model import DeliveryKind, DeliveryPriority

BOT = Path(__file__).resolve().parents[2] / "bot"


def test_no_module_but_deliveries_constructs_a_delivery_row() -> None:
    builders = sorted(str(path.relative_to(BOT)) for path in BOT.rglob("*.py")
                      if re.search(r"(?<!class )\bDelivery\(", path.read_text(encoding="utf-8")))
    assert builders == ["services/deliveries.py"]


def test_the_stored_kinds_and_priorities_keep_their_values() -> None:
    assert {k.name: k.value for k in DeliveryKind} == {
        "CARD": "card", "EDIT": "edit", "NOTICE": "notice", "CONFIRM": "confirm", "CHART": "chart", "DIGEST": "digest",
        "PHOTO": "photo", "MEDIA": "media", "BOARD": "board"}
    assert {p.name: p.value for p in DeliveryPriority} == {
        "NEW_POST": 0, "NOTICE": 1, "EDIT": 2, "SCHEDULED_POST": 3, "CHART": 4, "BOARD": 5}
    assert DeliveryPriority.MEDIA is DeliveryPriority.NOTICE  # media: after new cards, before edits
