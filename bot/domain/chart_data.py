"""Plain data of a recap chart: what it shows (importing it does not load matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartData:
    title: str
    categories: list[tuple[str, int]]
    kecamatan: list[tuple[str, int]]
    response: list[tuple[str, float | None, float | None]]  # agency, median minutes to acknowledge, to on scene
