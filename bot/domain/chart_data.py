"""Plain data of a recap chart: what it shows (importing it does not load matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass

# The chart's words, from the catalogue (`chart.<name>`), so that a chart speaks the bot's language.
CHART_TEXTS = ("by_category", "by_kecamatan", "response", "no_reports", "no_response", "acknowledged", "on_scene")


@dataclass(frozen=True)
class ChartData:
    title: str
    categories: list[tuple[str, int]]
    kecamatan: list[tuple[str, int]]
    response: list[tuple[str, float | None, float | None]]  # agency, median minutes to acknowledge, to on scene
    texts: dict[str, str]  # CHART_TEXTS -> words
